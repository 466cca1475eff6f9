/**
 * A model of when Convex re-runs a subscribed query: when a committed write
 * touches its read set. The read set is what the query's last run read:
 * every document it fetched by id, and every index range (or table scan) it
 * opened, whether or not a document of that range was returned. A commit
 * touches it when it writes a document fetched by id, or writes (inserts,
 * changes or deletes) a document that lies inside an opened range before or
 * after the write. Ranges are taken whole: a query that stopped early
 * (`first`, `take`) is treated as having read its whole range, which can
 * only count more re-runs, never fewer.
 *
 * It patches convex-test's fake database (found through bench/probe.ts).
 */
import { withDatabasePrototype } from "./probe.js";

type Filter = { type: string; fieldPath: string; value: unknown };
type OpenedRange = { db: object; table: string; filters: Filter[] | null };

export type ReadSet = {
  ids: Map<object, Set<string>>;
  ranges: OpenedRange[];
};

type Doc = Record<string, unknown> | null | undefined;
/** One committed write: the document's id, and its value before and after (null: none). */
export type Write = { id: string; before: Doc; after: Doc };
/** Called once per outermost commit, with everything it wrote. */
type Listener = (db: object, writes: Write[]) => void;

let recording: ReadSet | null = null;
/** Inside convex-test's own query resolution (its per-candidate `get`s are not point reads). */
let scanning = 0;
const listeners = new Set<Listener>();
let installed = false;

const tableOf = (id: string) => id.replace(/^\d+/, "");

function install(): void {
  if (installed) return;
  installed = true;
  withDatabasePrototype((proto) => {
    const startQuery = proto.startQuery;
    proto.startQuery = function (this: object, ...args: unknown[]) {
      const query = args[0] as {
        source: {
          type: string;
          indexName?: string;
          tableName?: string;
          range?: Filter[];
        };
      };
      if (recording) {
        const { source } = query;
        if (source.type === "IndexRange")
          recording.ranges.push({
            db: this,
            table: source.indexName!.split(".")[0],
            filters: source.range ?? [],
          });
        else {
          recording.ranges.push({
            db: this,
            table: source.tableName ?? source.indexName!.split(".")[0],
            filters: null,
          });
        }
      }
      // Resolving a query fetches every candidate by id: those are not point reads.
      scanning++;
      try {
        return startQuery.apply(this, args);
      } finally {
        scanning--;
      }
    };
    const get = proto.get;
    proto.get = function (this: object, ...args: unknown[]) {
      if (recording && scanning === 0) {
        const id = String(args[1] ?? args[0]);
        let ids = recording.ids.get(this);
        if (!ids) recording.ids.set(this, (ids = new Set()));
        ids.add(id);
      }
      return get.apply(this, args);
    };
    const commit = proto.commit;
    proto.commit = function (
      this: {
        _writes: Record<string, Doc>[];
        _documents: Record<string, Doc>;
      },
      ...args: unknown[]
    ) {
      // Only the outermost commit makes writes visible to other transactions.
      if (this._writes.length === 1 && listeners.size > 0) {
        const writes = Object.entries(this._writes[0]).map(([id, after]) => ({
          id,
          before: this._documents[id],
          after,
        }));
        for (const listener of listeners) listener(this, writes);
      }
      return commit.apply(this, args);
    };
  });
}

/** Runs `work` and returns what it read. Not re-entrant. */
export async function recordReadSet<T>(
  work: () => Promise<T>,
): Promise<{ result: T; readSet: ReadSet }> {
  install();
  const readSet: ReadSet = { ids: new Map(), ranges: [] };
  recording = readSet;
  try {
    return { result: await work(), readSet };
  } finally {
    recording = null;
  }
}

/** Calls `listener` with the writes of every outermost commit, until the returned stop. */
export function onCommittedWrite(listener: Listener): () => void {
  install();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function compare(a: unknown, b: unknown): number {
  const rank = (x: unknown) =>
    x === undefined
      ? 0
      : x === null
        ? 1
        : typeof x === "number" || typeof x === "bigint"
          ? 2
          : typeof x === "boolean"
            ? 3
            : typeof x === "string"
              ? 4
              : 5;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (ra === 5) return JSON.stringify(a) < JSON.stringify(b) ? -1 : 1;
  return (a as number) < (b as number) ? -1 : a === b ? 0 : 1;
}

function inRange(doc: Doc, range: OpenedRange): boolean {
  if (!doc) return false;
  if (!range.filters) return true;
  return range.filters.every((f) => {
    const value = f.fieldPath
      .split(".")
      .reduce<unknown>(
        (v, k) => (v as Record<string, unknown> | undefined)?.[k],
        doc,
      );
    const c = compare(value, f.value);
    switch (f.type) {
      case "Eq":
        return c === 0;
      case "Gt":
        return c > 0;
      case "Gte":
        return c >= 0;
      case "Lt":
        return c < 0;
      case "Lte":
        return c <= 0;
      default:
        return true;
    }
  });
}

/** Whether a committed write of document `id` (from `before` to `after`) touches `readSet`. */
export function touches(
  readSet: ReadSet,
  db: object,
  id: string,
  before: Doc,
  after: Doc,
): boolean {
  if (readSet.ids.get(db)?.has(id)) return true;
  const table = tableOf(id);
  return readSet.ranges.some(
    (r) =>
      r.db === db &&
      r.table === table &&
      (inRange(before, r) || inRange(after, r)),
  );
}
