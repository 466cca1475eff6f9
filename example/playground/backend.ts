/// <reference types="vite/client" />
/**
 * The playground's backend: the example app's Convex functions on the
 * embedded convex-test backend, with real timers, so the workpool,
 * aggregation and compaction run on their own as in a deployment (README,
 * "How it works"). Loaded through Vite's module runner by `server.ts`
 * because convex-test and the components' test helpers find their functions
 * with `import.meta.glob`.
 *
 * What the browser may do here is what it may do against a deployment: call
 * the app's *public* queries, mutations and actions, and the app's HTTP
 * routes. The maintenance functions are internal; the playground calls them
 * on its own schedule, in place of `crons.ts` (which convex-test does not run).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { convexTest } from "convex-test";
import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";
import {
  makeFunctionReference,
  type GenericSchema,
  type SchemaDefinition,
} from "convex/server";
import {
  ConvexError,
  jsonToConvex,
  type JSONValue,
  type Value,
} from "convex/values";
import analyticsTest from "convex-analytics/test";
import { api } from "../convex/_generated/api";

const appModules = import.meta.glob([
  "../convex/**/*.ts",
  "!../convex/**/*.test.ts",
]);

export type FunctionKind = "query" | "mutation" | "action";

/** A function call's outcome as the bridge sends it to the browser. */
export type CallOutcome =
  | { status: "success"; value: Value }
  | { status: "error"; errorMessage: string; errorData?: Value };

export interface CronTarget {
  /** Name in crons.ts, e.g. "analytics:compact". */
  name: string;
  /** Function path, e.g. "analytics:compact". */
  functionName: string;
  args: Record<string, Value>;
  /** The interval crons.ts asks for (a deployment's schedule). */
  everyMs: number;
}

export interface PlaygroundBackend {
  siteId: string;
  writeKey: string;
  /** Runs one of the app's public functions, as a deployment would for a client. */
  call(
    kind: FunctionKind,
    functionName: string,
    args: Record<string, Value>,
  ): Promise<CallOutcome>;
  /** Whether one of the app's HTTP routes handles this request. */
  handlesHttp(path: string, method: string): boolean;
  /** Serves a request with the app's HTTP routes. */
  fetch(path: string, init: RequestInit): Promise<Response>;
  /** Listens for committed transactions that wrote something; returns an unsubscribe. */
  onCommit(listener: () => void): () => void;
  /** Makes a query fail on purpose (the dashboard's per-panel error state), or work again. */
  setFailing(functionName: string, failing: boolean): void;
  failing(): string[];
  /** The targets of example/convex/crons.ts. */
  cronTargets: CronTarget[];
  /** Runs one cron target now (what a deployment's scheduler would do). */
  runCron(target: CronTarget): Promise<void>;
  /** Number of committed transactions that wrote something. */
  commits(): number;
}

export interface BackendOptions {
  writeKey?: string;
  siteName?: string;
  timezone?: string;
}

// ---- commits: every top-level transaction that wrote a document -----------

const commitListeners = new Set<() => void>();
// The commit hook runs inside convex-test's per-transaction context, where
// timers are forbidden; listeners run in the context captured here instead.
const outsideTransactions = AsyncLocalStorage.snapshot();
let commitCount = 0;
let trackerPatched = false;

/**
 * convex-test has no commit hook, but every transaction of an instance made
 * with `transactionLimits: true` ends in `TransactionMetricsTracker.commit`,
 * right after its writes reached the database. A top-level layer with writes
 * is a committed mutation (or a scheduled function's mutation): exactly when a
 * deployment would re-run the subscribed queries.
 */
function patchCommitHook() {
  if (trackerPatched) return;
  trackerPatched = true;
  const original = TransactionMetricsTracker.prototype.commit;
  TransactionMetricsTracker.prototype.commit = function (
    this: TransactionMetricsTracker,
  ) {
    const layers = (
      this as unknown as {
        _layers: { metrics: { documentsWritten: number } }[];
      }
    )._layers;
    const wrote = layers.length === 1 && layers[0].metrics.documentsWritten > 0;
    original.call(this);
    if (wrote) {
      commitCount += 1;
      for (const listener of commitListeners) outsideTransactions(listener);
    }
  };
}

// ---- the backend ------------------------------------------------------------

type Registered = {
  isQuery?: boolean;
  isMutation?: boolean;
  isAction?: boolean;
  isPublic?: boolean;
};
type HttpRouterLike = { lookup(path: string, method: string): unknown };
type CronsLike = {
  crons: Record<
    string,
    {
      name: string;
      args: JSONValue[];
      schedule: {
        type: string;
        minutes?: number;
        hours?: number;
        seconds?: number;
      };
    }
  >;
};

export async function startBackend(
  options: BackendOptions = {},
): Promise<PlaygroundBackend> {
  patchCommitHook();
  const writeKey = options.writeKey ?? "wk_playground_0123456789abcdef";
  // The example's auth check lets everyone in only with this switch; the
  // playground has no sign-in (example/convex/auth.ts says why it exists).
  process.env.ANALYTICS_ALLOW_ANONYMOUS = "true";
  process.env.ANALYTICS_WRITE_KEY = writeKey;

  const t = convexTest({ modules: appModules, transactionLimits: true });
  // Remember every module map registered, to load them all up front: a module
  // first loaded inside a transaction would go through Vite's loader, whose
  // timers convex-test forbids there.
  const moduleMaps: Record<string, () => Promise<unknown>>[] = [appModules];
  const register = t.registerComponent.bind(t);
  t.registerComponent = ((
    name: string,
    schema: SchemaDefinition<GenericSchema, boolean>,
    modules: Record<string, () => Promise<unknown>>,
  ) => {
    moduleMaps.push(modules);
    return register(name, schema, modules);
  }) as typeof t.registerComponent;
  analyticsTest.register(t);
  const loaded = new Map<string, Record<string, unknown>>();
  for (const modules of moduleMaps) {
    for (const [path, load] of Object.entries(modules)) {
      if (path.includes("convex.config") || /\.test\.tsx?$/.test(path))
        continue;
      const module = (await load()) as Record<string, unknown>;
      if (modules === appModules) loaded.set(path, module);
    }
  }
  const appModule = (name: string) => loaded.get(`../convex/${name}.ts`);

  const { siteId } = await t.mutation(api.analytics.provisionSite, {
    slug: "shop",
    name: options.siteName ?? "Example shop (playground)",
    allowedOrigins: [],
    timezone: options.timezone ?? "UTC",
  });

  const failing = new Set<string>();
  const httpRouter = appModule("http")?.default as HttpRouterLike | undefined;
  const crons = appModule("crons")?.default as CronsLike | undefined;

  const lookupFunction = (functionName: string): Registered | undefined => {
    const [modulePath, exportName = "default"] = functionName.split(":");
    const module = appModule(modulePath);
    return module?.[exportName] as Registered | undefined;
  };

  async function call(
    kind: FunctionKind,
    functionName: string,
    args: Record<string, Value>,
  ): Promise<CallOutcome> {
    const fn = lookupFunction(functionName);
    const matches =
      kind === "query"
        ? fn?.isQuery
        : kind === "mutation"
          ? fn?.isMutation
          : fn?.isAction;
    if (!fn || !matches || !fn.isPublic) {
      return {
        status: "error",
        errorMessage: `Could not find public ${kind} "${functionName}"`,
      };
    }
    if (failing.has(functionName)) {
      return {
        status: "error",
        errorMessage: `${functionName} failed on purpose: the playground was asked to break it (POST /api/playground/fail)`,
      };
    }
    try {
      const value =
        kind === "query"
          ? await t.query(makeFunctionReference<"query">(functionName), args)
          : kind === "mutation"
            ? await t.mutation(
                makeFunctionReference<"mutation">(functionName),
                args,
              )
            : await t.action(
                makeFunctionReference<"action">(functionName),
                args,
              );
      return { status: "success", value: value as Value };
    } catch (error) {
      if (error instanceof ConvexError) {
        const data = error.data as Value;
        return {
          status: "error",
          errorMessage: typeof data === "string" ? data : error.message,
          errorData: data,
        };
      }
      return {
        status: "error",
        errorMessage: error instanceof Error ? error.message : String(error),
      };
    }
  }

  const cronTargets: CronTarget[] = Object.entries(crons?.crons ?? {}).map(
    ([name, job]) => ({
      name,
      functionName: job.name,
      args: jsonToConvex((job.args[0] ?? {}) as JSONValue) as Record<
        string,
        Value
      >,
      everyMs: scheduleMs(job.schedule),
    }),
  );

  return {
    siteId,
    writeKey,
    call,
    handlesHttp: (path, method) => Boolean(httpRouter?.lookup(path, method)),
    fetch: (path, init) => t.fetch(path, init),
    onCommit(listener) {
      commitListeners.add(listener);
      return () => commitListeners.delete(listener);
    },
    setFailing(functionName, on) {
      if (on) failing.add(functionName);
      else failing.delete(functionName);
    },
    failing: () => [...failing],
    cronTargets,
    async runCron(target) {
      await t.mutation(
        makeFunctionReference<"mutation">(target.functionName),
        target.args,
      );
    },
    commits: () => commitCount,
  };
}

function scheduleMs(schedule: {
  type: string;
  minutes?: number;
  hours?: number;
  seconds?: number;
}): number {
  if (schedule.type === "interval") {
    return (
      ((schedule.hours ?? 0) * 3600 +
        (schedule.minutes ?? 0) * 60 +
        (schedule.seconds ?? 0)) *
      1000
    );
  }
  // Cron expressions and daily/weekly schedules: once an hour is close enough here.
  return 3_600_000;
}
