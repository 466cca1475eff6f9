/**
 * `npm run playground`: the example app live in a browser, on one local
 * port, with no account and no network.
 *
 *   /                 the example's product page with the real tracker
 *   /admin            the real <Dashboard> over the app's report queries
 *   /analytics/...    the app's HTTP routes (the ingest route), on convex-test
 *   /api/...          the bridge the page's client talks to (see client.ts)
 *
 * Options: --port N (default 5178; 0 picks a free one), --traffic N (simulated
 * visitors per minute, default 0), --seed-days N (default 21),
 * --seed-visits N (visits per seeded day, default 40), --cron-every S
 * (seconds between runs of each cron target, default 60), --fail NAME (a
 * query that fails on purpose from the start; repeatable).
 *
 * Bridge protocol (JSON): POST /api/{query,mutation,action} with
 * `{ path, args }` (args in Convex's JSON encoding) answers
 * `{ status: "success", value } | { status: "error", errorMessage, errorData? }`;
 * GET /api/events is a server-sent event stream with one `commit` event after
 * every committed write (mutations and scheduled functions, at most every
 * 150 ms), so the client re-runs its watched queries; GET /api/playground
 * describes the backend; GET /api/playground/seed lists the seeded visits as
 * sent (`{ visits: [{ visitorId, sessionId, context, events }] }`, for tests
 * to compute expected figures from); POST /api/playground/fail
 * `{ functionName, failing }` makes one query fail on purpose (or work again).
 *
 * The site gets two goals from the start (`PLAYGROUND_GOALS` in traffic.ts):
 * "Signup" (the `signup` event) and "Pricing page" (`/pricing*`).
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  createServer as createViteServer,
  createServerModuleRunnerTransport,
} from "vite";
import {
  ESModulesEvaluator,
  ModuleRunner,
  createNodeImportMeta,
} from "vite/module-runner";
import {
  convexToJson,
  jsonToConvex,
  type JSONValue,
  type Value,
} from "convex/values";
import { packageAliases } from "../../vitest.config";
import type { CronTarget, FunctionKind, PlaygroundBackend } from "./backend";
import {
  PLAYGROUND_GOALS,
  rewindClockForSeed,
  seedHistory,
  startTraffic,
  type SeededVisit,
} from "./traffic";

const exampleRoot = fileURLToPath(new URL("..", import.meta.url));

export interface PlaygroundOptions {
  port: number;
  traffic: number;
  seedDays: number;
  seedVisits: number;
  cronEverySeconds: number;
  fail: string[];
  log?: (line: string) => void;
}

export interface RunningPlayground {
  url: string;
  backend: PlaygroundBackend;
  stop(): Promise<void>;
}

export function parsePlaygroundArgs(argv: string[]): PlaygroundOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "5178" },
      traffic: { type: "string", default: "0" },
      "seed-days": { type: "string", default: "21" },
      "seed-visits": { type: "string", default: "40" },
      "cron-every": { type: "string", default: "60" },
      fail: { type: "string", multiple: true, default: [] },
    },
    strict: true,
  });
  const number = (name: string, value: string) => {
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0)
      throw new Error(
        `--${name} must be a number ≥ 0, got ${JSON.stringify(value)}`,
      );
    return parsed;
  };
  return {
    port: number("port", values.port),
    traffic: number("traffic", values.traffic),
    seedDays: Math.floor(number("seed-days", values["seed-days"])),
    seedVisits: Math.floor(number("seed-visits", values["seed-visits"])),
    cronEverySeconds: Math.max(1, number("cron-every", values["cron-every"])),
    fail: values.fail,
  };
}

export async function startPlayground(
  options: PlaygroundOptions,
): Promise<RunningPlayground> {
  const log =
    options.log ?? ((line: string) => console.log(`[playground] ${line}`));
  const httpServer = createHttpServer();
  const writeKey = "wk_playground_0123456789abcdef";
  // Read by example/src/main.tsx and AdminPage.tsx (Vite exposes VITE_* variables).
  process.env.VITE_PLAYGROUND = "true";
  process.env.VITE_ANALYTICS_WRITE_KEY = writeKey;

  const vite = await createViteServer({
    configFile: fileURLToPath(new URL("../vite.config.ts", import.meta.url)),
    root: exampleRoot,
    appType: "spa",
    logLevel: "warn",
    clearScreen: false,
    // Its own pre-bundled dependencies, apart from `npm run example:dev`'s
    // (tests running side by side each pass their own directory).
    cacheDir:
      process.env.PLAYGROUND_VITE_CACHE_DIR ??
      fileURLToPath(
        new URL("../../node_modules/.vite-playground", import.meta.url),
      ),
    // The page's modules for the browser, and the backend's through the module runner below.
    resolve: { alias: packageAliases },
    server: { middlewareMode: true, hmr: { server: httpServer } },
    ssr: { noExternal: ["convex-test", /^@convex-dev\//] },
  });
  // Vite's default runner times every module fetch with setTimeout; the
  // backend may load a module while convex-test runs a transaction, where
  // timers are forbidden. A runner without that timeout avoids it.
  const runner = new ModuleRunner(
    {
      transport: {
        ...createServerModuleRunnerTransport({
          channel: vite.environments.ssr.hot as never,
        }),
        timeout: 0,
      },
      createImportMeta: createNodeImportMeta,
      hmr: false,
      sourcemapInterceptor: "prepareStackTrace",
    },
    new ESModulesEvaluator(),
  );
  const { startBackend } = (await runner.import(
    "/playground/backend.ts",
  )) as typeof import("./backend");
  const seeding = options.seedDays > 0 && options.seedVisits > 0;
  const started = Date.now();
  if (seeding) rewindClockForSeed(options.seedDays);
  const backend = await startBackend({ writeKey });
  for (const name of options.fail) backend.setFailing(name, true);
  // Defined before any event arrives, the goals need no backfill: each
  // aggregation run counts them as the seed comes in (README, "Goals").
  for (const goal of PLAYGROUND_GOALS) {
    const created = await backend.call("mutation", "analytics:createGoal", {
      siteId: backend.siteId,
      ...goal,
    });
    if (created.status === "error")
      throw new Error(`goal ${goal.name}: ${created.errorMessage}`);
  }

  let seeded: SeededVisit[] = [];
  if (seeding) {
    const { visits, sent } = await seedHistory(backend.fetch, writeKey, {
      days: options.seedDays,
      visitsPerDay: options.seedVisits,
    });
    seeded = sent;
    log(
      `seeded ${visits} visits over ${options.seedDays} day${options.seedDays === 1 ? "" : "s"} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }

  // ---- live updates: one "commit" event per burst of commits --------------
  const streams = new Set<ServerResponse>();
  let pending: ReturnType<typeof setTimeout> | undefined;
  const announce = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = undefined;
      const line = `event: commit\ndata: ${JSON.stringify({ commits: backend.commits() })}\n\n`;
      for (const stream of streams) stream.write(line);
    }, 150);
  };
  const stopCommits = backend.onCommit(announce);
  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.write(": keep-alive\n\n");
  }, 15_000);

  // ---- crons.ts on the playground's own schedule --------------------------
  const cronTimers = backend.cronTargets.map((target) =>
    setInterval(
      () => void runCron(backend, target, log),
      Math.min(target.everyMs, options.cronEverySeconds * 1000),
    ),
  );
  // Settle the seeded history once the seed's aggregation has run.
  const firstCompaction = setTimeout(() => {
    for (const target of backend.cronTargets)
      if (target.functionName.endsWith(":compact"))
        void runCron(backend, target, log);
  }, 10_000);

  const stopTraffic = startTraffic(backend.fetch, writeKey, options.traffic);

  httpServer.on("request", (req, res) => {
    handle(req, res).catch((error) => {
      log(
        `request ${req.method} ${req.url} failed: ${error instanceof Error ? error.stack : error}`,
      );
      if (!res.headersSent)
        res.writeHead(500, { "content-type": "text/plain" });
      res.end("Internal error");
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const method = req.method ?? "GET";
    if (url.pathname.startsWith("/api/")) return handleBridge(req, res, url);
    if (backend.handlesHttp(url.pathname, method))
      return handleRoute(req, res, url);
    vite.middlewares(req, res);
  }

  async function handleBridge(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ) {
    const kind = url.pathname.slice("/api/".length);
    if (
      req.method === "POST" &&
      (kind === "query" || kind === "mutation" || kind === "action")
    ) {
      const { path, args } = JSON.parse(await readBody(req)) as {
        path: string;
        args?: JSONValue;
      };
      const decoded = (args === undefined ? {} : jsonToConvex(args)) as Record<
        string,
        Value
      >;
      const outcome = await backend.call(kind as FunctionKind, path, decoded);
      return sendJson(
        res,
        200,
        outcome.status === "success"
          ? { status: "success", value: convexToJson(outcome.value) }
          : {
              ...outcome,
              errorData:
                outcome.errorData === undefined
                  ? undefined
                  : convexToJson(outcome.errorData),
            },
      );
    }
    if (req.method === "GET" && kind === "events") {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        connection: "keep-alive",
      });
      res.write(
        `event: hello\ndata: ${JSON.stringify({ commits: backend.commits() })}\n\n`,
      );
      streams.add(res);
      req.on("close", () => streams.delete(res));
      return;
    }
    if (req.method === "GET" && kind === "playground") {
      return sendJson(res, 200, {
        siteId: backend.siteId,
        commits: backend.commits(),
        failing: backend.failing(),
        crons: backend.cronTargets.map((c) => c.name),
        traffic: options.traffic,
      });
    }
    if (req.method === "GET" && kind === "playground/seed") {
      return sendJson(res, 200, { visits: seeded });
    }
    if (req.method === "POST" && kind === "playground/fail") {
      const { functionName, failing } = JSON.parse(await readBody(req)) as {
        functionName: string;
        failing: boolean;
      };
      backend.setFailing(functionName, failing !== false);
      log(
        `${functionName} ${failing !== false ? "fails on purpose now" : "works again"}`,
      );
      // Like a new result: watchers re-run their queries and see the change.
      announce();
      return sendJson(res, 200, { failing: backend.failing() });
    }
    sendJson(res, 404, {
      error: `No bridge endpoint ${req.method} ${url.pathname}`,
    });
  }

  async function handleRoute(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
  ) {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
      else if (Array.isArray(value)) headers.set(name, value.join(", "));
    }
    const body =
      req.method === "GET" || req.method === "HEAD"
        ? undefined
        : await readBody(req);
    const response = await backend.fetch(url.pathname + url.search, {
      method: req.method,
      headers,
      body,
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(options.port, "127.0.0.1", () => resolve());
  });
  const address = httpServer.address();
  const port =
    typeof address === "object" && address ? address.port : options.port;
  const url = `http://localhost:${port}`;

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      stopTraffic();
      stopCommits();
      clearTimeout(pending);
      clearTimeout(firstCompaction);
      clearInterval(heartbeat);
      for (const timer of cronTimers) clearInterval(timer);
      for (const stream of streams) stream.end();
      streams.clear();
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await runner.close();
      await vite.close();
    })());
  return { url, backend, stop };
}

async function runCron(
  backend: PlaygroundBackend,
  target: CronTarget,
  log: (line: string) => void,
) {
  try {
    await backend.runCron(target);
  } catch (error) {
    log(
      `cron ${target.name} failed: ${error instanceof Error ? error.message : error}`,
    );
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
  });
  res.end(JSON.stringify(body));
}

// ---- command line -----------------------------------------------------------

async function main() {
  const options = parsePlaygroundArgs(process.argv.slice(2));
  const playground = await startPlayground(options);
  console.log(
    `[playground] ready at ${playground.url} (product page) and ${playground.url}/admin (dashboard)`,
  );
  if (options.traffic > 0)
    console.log(`[playground] simulating ${options.traffic} visitors a minute`);
  const shutdown = (signal: string) => {
    console.log(`[playground] ${signal}: stopping`);
    // Pending scheduled functions of convex-test would keep the process alive: exit once closed.
    void playground.stop().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
