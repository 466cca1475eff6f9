/**
 * Per-function and per-transaction attribution of convex-test's own
 * transaction metrics.
 *
 * `src/component/testing/meter.ts` brackets process-wide totals; this probe
 * additionally records *which function* each read and write belongs to and
 * what every top-level transaction used in total (the figure Convex's limits
 * apply to). It wraps the same `TransactionMetricsTracker` methods, and learns
 * the running function from convex-test's execution-context AsyncLocalStorage
 * (captured the first time convex-test enters a function with it).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { realNowMs } from "./clock.js";
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";

export type Counters = {
  documentsRead: number;
  bytesRead: number;
  documentsWritten: number;
  bytesWritten: number;
  indexRanges: number;
};

export const zero = (): Counters => ({
  documentsRead: 0,
  bytesRead: 0,
  documentsWritten: 0,
  bytesWritten: 0,
  indexRanges: 0,
});

export function addInto(target: Counters, other: Counters): Counters {
  target.documentsRead += other.documentsRead;
  target.bytesRead += other.bytesRead;
  target.documentsWritten += other.documentsWritten;
  target.bytesWritten += other.bytesWritten;
  target.indexRanges += other.indexRanges;
  return target;
}

/** One top-level transaction: the function convex-test ran and what it used in all. */
export type Transaction = {
  fn: string;
  depth: number;
  usage: Counters;
  committed: boolean;
};

type ExecContext = { componentPath?: string; udfPath?: string; depth?: number };

let execStorage: AsyncLocalStorage<ExecContext> | null = null;
let installed = false;
let dbPatched = false;
/** The table of the document convex-test touched last (it reads it right before counting it). */
let lastTable = "?";

/** Usage per function ("component/module:function"; the app component is "analytics"). */
let byFunction = new Map<string, Counters>();
/** Usage per table ("component:table"). */
let byTable = new Map<string, Counters>();
let transactions: Transaction[] = [];
const open = new WeakMap<object, Transaction>();

function currentFunction(): { name: string; depth: number } {
  const store = execStorage?.getStore();
  if (!store?.udfPath) return { name: "(test harness: t.run)", depth: 0 };
  const component = store.componentPath ? store.componentPath : "analytics";
  return {
    name: `${component}/${store.udfPath.replace(/\.js$/, "")}`,
    depth: store.depth ?? 0,
  };
}

function bump(
  map: Map<string, Counters>,
  key: string,
  apply: (c: Counters) => void,
): void {
  let c = map.get(key);
  if (!c) map.set(key, (c = zero()));
  apply(c);
}

function countFor(
  tracker: object,
  apply: (c: Counters) => void,
  table: boolean,
): void {
  const { name, depth } = currentFunction();
  bump(byFunction, name, apply);
  if (table) bump(byTable, lastTable, apply);
  const tx = open.get(tracker);
  if (tx) {
    apply(tx.usage);
    // The outermost function seen in the transaction names it.
    if (depth < tx.depth) {
      tx.depth = depth;
      tx.fn = name;
    }
  }
}

const componentName = (path: string | undefined) => (path ? path : "analytics");
const tableFromId = (id: unknown) =>
  typeof id === "string" ? id.replace(/^\d+/, "") : "?";

type DatabaseProto = Record<string, (...a: unknown[]) => unknown>;
let databaseProto: DatabaseProto | null = null;
const protoListeners: ((proto: DatabaseProto) => void)[] = [];

/**
 * Calls `patch` with convex-test's fake-database prototype once it is known
 * (the first time a function runs after `installProbe`), for further probes.
 */
export function withDatabasePrototype(
  patch: (proto: DatabaseProto) => void,
): void {
  installProbe();
  if (databaseProto) patch(databaseProto);
  else protoListeners.push(patch);
}

/** Notes the table of each document convex-test's fake database hands out. */
function patchDatabase(proto: DatabaseProto): void {
  dbPatched = true;
  databaseProto = proto;
  for (const listener of protoListeners.splice(0)) listener(proto);
  type Db = { _componentPath?: string };
  const get = proto.get;
  proto.get = function (this: Db, table: unknown, ...rest: unknown[]) {
    lastTable = `${componentName(this._componentPath)}:${table === undefined ? tableFromId(rest[0]) : String(table)}`;
    return get.call(this, table, ...rest);
  };
  const queryNext = proto.queryNext;
  proto.queryNext = function (this: Db, ...args: unknown[]) {
    const out = queryNext.apply(this, args) as {
      value: { _id?: unknown } | null;
    };
    if (out?.value)
      lastTable = `${componentName(this._componentPath)}:${tableFromId(out.value._id)}`;
    return out;
  };
  const paginate = proto.paginate;
  proto.paginate = function (this: Db, ...args: unknown[]) {
    const out = paginate.apply(this, args) as { page: { _id?: unknown }[] };
    if (out?.page?.length)
      lastTable = `${componentName(this._componentPath)}:${tableFromId(out.page[0]._id)}`;
    return out;
  };
}

export function installProbe(): void {
  if (installed) return;
  installed = true;
  const alsProto = AsyncLocalStorage.prototype as unknown as {
    run: (...a: unknown[]) => unknown;
  };
  const run = alsProto.run;
  alsProto.run = function (
    this: AsyncLocalStorage<unknown>,
    store: unknown,
    ...rest: unknown[]
  ) {
    if (
      execStorage === null &&
      store &&
      typeof store === "object" &&
      "udfPath" in store &&
      "componentPath" in store
    ) {
      execStorage = this as AsyncLocalStorage<ExecContext>;
    }
    if (
      !dbPatched &&
      store &&
      typeof store === "object" &&
      "components" in store &&
      "transactionManager" in store
    ) {
      const root = (store as { components: Record<string, { db: object }> })
        .components[""];
      if (root) patchDatabase(Object.getPrototypeOf(root.db));
    }
    return run.call(this, store, ...rest);
  };

  type Layered = { _layers: unknown[] };
  const proto = TransactionMetricsTracker.prototype as unknown as Record<
    string,
    (this: Layered, ...a: unknown[]) => unknown
  >;
  const wrap = (
    method: string,
    before: (self: Layered, args: unknown[]) => void,
    after?: (self: Layered) => void,
  ) => {
    const original = proto[method];
    proto[method] = function (this: Layered, ...args: unknown[]) {
      before(this, args);
      const result = original.apply(this, args);
      after?.(this);
      return result;
    };
  };
  wrap("startTransaction", (self) => {
    if (self._layers.length === 0) {
      const tx: Transaction = {
        fn: "",
        depth: Infinity,
        usage: zero(),
        committed: false,
      };
      open.set(self, tx);
      transactions.push(tx);
    }
  });
  const finish = (committed: boolean) => (self: Layered) => {
    if (self._layers.length !== 0) return;
    const tx = open.get(self);
    if (tx) {
      tx.committed = committed;
      if (tx.fn === "") tx.fn = "(no reads or writes)";
      open.delete(self);
    }
  };
  wrap("commit", () => {}, finish(true));
  wrap("rollback", () => {}, finish(false));
  wrap("trackRead", (self, [size]) =>
    countFor(
      self,
      (c) => {
        c.documentsRead++;
        c.bytesRead += Number(size ?? 0);
      },
      true,
    ),
  );
  wrap("trackWrite", (self, [size]) =>
    countFor(
      self,
      (c) => {
        c.documentsWritten++;
        c.bytesWritten += Number(size ?? 0);
      },
      true,
    ),
  );
  wrap("trackIndexRange", (self) =>
    countFor(self, (c) => c.indexRanges++, false),
  );
}

export type Recording = {
  /** Everything, summed. */
  total: Counters;
  /** Per function, as attributed by the execution context. */
  byFunction: Map<string, Counters>;
  /** Per table ("component:table"); index ranges are not attributed to tables. */
  byTable: Map<string, Counters>;
  /** Every top-level transaction with its whole usage. */
  transactions: Transaction[];
  /** The largest single transaction's figures (each counter maximised separately). */
  peak: Counters;
  cpuMs: number;
  wallMs: number;
};

/** Records everything `work` makes convex-test read and write. Not re-entrant. */
export async function record<T>(
  work: () => Promise<T>,
): Promise<{ result: T; rec: Recording }> {
  installProbe();
  const savedFn = byFunction;
  const savedTable = byTable;
  const savedTx = transactions;
  byFunction = new Map();
  byTable = new Map();
  transactions = [];
  const cpu = process.cpuUsage();
  const wall = realNowMs();
  try {
    const result = await work();
    const cpuUsed = process.cpuUsage(cpu);
    const rec: Recording = {
      total: [...byFunction.values()].reduce((a, c) => addInto(a, c), zero()),
      byFunction,
      byTable,
      transactions,
      peak: transactions.reduce(
        (p, tx) => ({
          documentsRead: Math.max(p.documentsRead, tx.usage.documentsRead),
          bytesRead: Math.max(p.bytesRead, tx.usage.bytesRead),
          documentsWritten: Math.max(
            p.documentsWritten,
            tx.usage.documentsWritten,
          ),
          bytesWritten: Math.max(p.bytesWritten, tx.usage.bytesWritten),
          indexRanges: Math.max(p.indexRanges, tx.usage.indexRanges),
        }),
        zero(),
      ),
      cpuMs: (cpuUsed.user + cpuUsed.system) / 1000,
      wallMs: realNowMs() - wall,
    };
    return { result, rec };
  } finally {
    // Nested records are not supported; restore so a caller's recording survives.
    for (const [saved, inner] of [
      [savedFn, byFunction],
      [savedTable, byTable],
    ] as const) {
      for (const [k, c] of inner) bump(saved, k, (into) => addInto(into, c));
    }
    savedTx.push(...transactions);
    byFunction = savedFn;
    byTable = savedTable;
    transactions = savedTx;
  }
}

/** Sums the functions whose name passes `pick`. */
export function sumWhere(
  rec: Recording,
  pick: (fn: string) => boolean,
): Counters {
  const out = zero();
  for (const [fn, c] of rec.byFunction) if (pick(fn)) addInto(out, c);
  return out;
}
