// @vitest-environment node
/**
 * The playground server without a browser: scheduled functions (the
 * workpool's aggregation) run on real timers in its Node process, the
 * app's HTTP route takes events, the bridge answers the app's public
 * functions only, announces commits, breaks a query on request, and the
 * process stops cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";

let server: ChildProcess;
let output = "";
let url: string;
let siteId: string;
const viteCache = mkdtempSync(join(tmpdir(), "playground-vite-"));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "example/playground/server.ts",
      "--port",
      "0",
      "--seed-days",
      "0",
      "--cron-every",
      "2",
    ],
    {
      cwd: process.cwd(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      // Not the browser test's Vite cache: the two may run side by side.
      env: { ...process.env, PLAYGROUND_VITE_CACHE_DIR: viteCache },
    },
  );
  server.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const started = Date.now();
  while (!/ready at (http:\/\/localhost:\d+)/.test(output)) {
    if (server.exitCode !== null || Date.now() - started > 60_000)
      throw new Error(`The playground did not start:\n${output}`);
    await sleep(100);
  }
  url = /ready at (http:\/\/localhost:\d+)/.exec(output)![1];
  siteId = (
    (await (await fetch(`${url}/api/playground`)).json()) as { siteId: string }
  ).siteId;
}, 90_000);

afterAll(() => {
  try {
    process.kill(-server.pid!, "SIGKILL");
  } catch {
    // Already gone, as it should be.
  }
  rmSync(viteCache, { recursive: true, force: true });
});

/** Calls a function through the bridge; `Result` is what the test expects back. */
async function call<Result = unknown>(
  kind: string,
  path: string,
  args: unknown,
) {
  const response = await fetch(`${url}/api/${kind}`, {
    method: "POST",
    body: JSON.stringify({ path, args }),
  });
  return (await response.json()) as {
    status: string;
    value?: Result;
    errorMessage?: string;
  };
}

const HOUR = 3_600_000;

test("ingest through the HTTP route is aggregated on real timers, and watchers hear of each commit", async () => {
  const events = new AbortController();
  const commits: number[] = [];
  const stream = fetch(`${url}/api/events`, { signal: events.signal }).then(
    async (response) => {
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        for (const match of decoder
          .decode(value)
          .matchAll(/event: commit\ndata: (\{.*\})/g))
          commits.push(JSON.parse(match[1]).commits);
      }
    },
  );
  const now = Date.now();
  const response = await fetch(`${url}/analytics/ingest`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-analytics-write-key": "wk_playground_0123456789abcdef",
      origin: "http://localhost:3000",
      "user-agent":
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
    },
    body: JSON.stringify({
      visitorId: "v-probe",
      sessionId: "s-probe",
      events: [
        { type: "pageview", path: "/", occurredAt: now - 2000 },
        { type: "pageview", path: "/pricing", occurredAt: now - 1000 },
      ],
    }),
  });
  expect(response.status).toBe(202);
  expect(response.headers.get("access-control-allow-origin")).toBe(
    "http://localhost:3000",
  );
  const from = Math.floor(now / HOUR) * HOUR;
  // Nobody drives the timers: the workpool's job fires on its own once the events settle (5 s).
  const started = Date.now();
  let overview:
    { events: number; pageviews: number; visitors: number } | undefined;
  while (Date.now() - started < 30_000) {
    overview = (
      await call<typeof overview>("query", "analytics:getOverview", {
        siteId,
        from,
        to: from + HOUR,
      })
    ).value;
    if (overview?.events === 2) break;
    await sleep(500);
  }
  expect(overview).toMatchObject({ events: 2, pageviews: 2, visitors: 1 });
  // The site has the playground's two goals from the start: the probe's
  // /pricing converts "Pricing page" (`/pricing*`), nothing converts "Signup".
  const goals = await call<{
    visitors: number;
    backfilling: boolean;
    goals: { goal: { name: string }; visitors: number; conversions: number }[];
  }>("query", "analytics:getGoalConversions", {
    siteId,
    from,
    to: from + HOUR,
  });
  expect(goals.value).toMatchObject({
    visitors: 1,
    backfilling: false,
    goals: expect.arrayContaining([
      expect.objectContaining({
        goal: expect.objectContaining({ name: "Signup" }),
        visitors: 0,
        conversions: 0,
      }),
      expect.objectContaining({
        goal: expect.objectContaining({ name: "Pricing page" }),
        visitors: 1,
        conversions: 1,
      }),
    ]),
  });
  expect(goals.value!.goals).toHaveLength(2);
  // Nothing seeded here (--seed-days 0), and the seed endpoint says so.
  expect(await (await fetch(`${url}/api/playground/seed`)).json()).toEqual({
    visits: [],
  });
  expect(commits.length).toBeGreaterThan(0);
  expect(commits).toEqual([...commits].sort((a, b) => a - b));
  events.abort();
  await stream.catch(() => {});
}, 60_000);

test("the bridge runs public functions only, and one query can be made to fail on purpose", async () => {
  // Internal functions (the maintenance crons' targets) are not reachable from the browser.
  expect(await call("mutation", "analytics:compact", {})).toMatchObject({
    status: "error",
    errorMessage: expect.stringContaining("Could not find public mutation"),
  });
  expect(await call("query", "analytics:createSite", {})).toMatchObject({
    status: "error",
  });
  const args = { siteId, from: 0, to: HOUR, limit: 5 };
  expect((await call("query", "analytics:getTopReferrers", args)).status).toBe(
    "success",
  );
  await fetch(`${url}/api/playground/fail`, {
    method: "POST",
    body: JSON.stringify({
      functionName: "analytics:getTopReferrers",
      failing: true,
    }),
  });
  expect(await call("query", "analytics:getTopReferrers", args)).toMatchObject({
    status: "error",
    errorMessage: expect.stringContaining("failed on purpose"),
  });
  expect((await call("query", "analytics:getTopPages", args)).status).toBe(
    "success",
  );
  await fetch(`${url}/api/playground/fail`, {
    method: "POST",
    body: JSON.stringify({
      functionName: "analytics:getTopReferrers",
      failing: false,
    }),
  });
  expect((await call("query", "analytics:getTopReferrers", args)).status).toBe(
    "success",
  );
  // The cron targets run on the playground's own schedule (every 2 s here) without failing.
  await sleep(2500);
  expect(output).not.toContain("cron");
});

test("SIGTERM stops the playground: exit 0, nothing left running, port closed", async () => {
  const exited = new Promise<number | null>((resolve) =>
    server.once("exit", (code) => resolve(code)),
  );
  process.kill(server.pid!, "SIGTERM");
  expect(
    await Promise.race([exited, sleep(10_000).then(() => "still running")]),
  ).toBe(0);
  await expect
    .poll(
      () => {
        try {
          process.kill(-server.pid!, 0);
          return true;
        } catch {
          return false;
        }
      },
      {
        timeout: 5_000,
        message: "a process of the playground's group is still running",
      },
    )
    .toBe(false);
  await expect(fetch(`${url}/api/playground`)).rejects.toThrow();
}, 20_000);
