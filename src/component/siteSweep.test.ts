import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { FunctionReference } from "convex/server";
import { api, internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { LEASE_MS } from "./leases.js";
import { ALL_SITES, SWEEP_MAX_SITES, sweepSitesPage } from "./siteSweep.js";
import { measure } from "./testing/meter.js";
import { setupComponent, type TestInstance } from "./testing/setup.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.UTC(2026, 9, 12, 8);
/** A multi-tenant app: one site per customer. */
const SITES = 2_000;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

type SeedOptions = {
  sites: number;
  eventsPerSite: number;
  shards?: number;
  /** How old the events are. */
  ageMs?: number;
  /** Write each stream's row with its cursor past the events (aggregated). */
  aggregated?: boolean;
};

/**
 * Writes sites and their raw events directly (ingest and aggregation of
 * thousands of sites would take minutes in convex-test, whose index scans
 * visit whole tables). Events spread over the site's shards.
 */
async function seed(t: TestInstance, options: SeedOptions): Promise<string[]> {
  const shards = options.shards ?? 1;
  const ids: string[] = [];
  const chunk = Math.max(
    1,
    Math.floor(1_500 / (1 + options.eventsPerSite + shards)),
  );
  for (let first = 0; first < options.sites; first += chunk) {
    await t.run(async (ctx) => {
      for (let i = first; i < Math.min(first + chunk, options.sites); i++) {
        const siteId = await ctx.db.insert("sites", {
          slug: `customer-${i}`,
          name: `Customer ${i}`,
          writeKeyHash: i.toString(16).padStart(64, "0"),
          status: "active",
          allowedOrigins: [],
          timezone: "UTC",
          sessionTimeoutMs: 30 * MINUTE,
          rawEventRetentionDays: 90,
          hourlyRollupRetentionDays: 400,
          rollupShardCount: shards,
        });
        ids.push(siteId);
        const occurredAt = NOW - (options.ageMs ?? 0);
        for (let k = 0; k < options.eventsPerSite; k++) {
          await ctx.db.insert("events", {
            siteId,
            visitorId: `v${i}`,
            sessionId: `s${i}-${k % shards}`,
            type: "pageview",
            name: "pageview",
            path: `/p${k}`,
            occurredAt: occurredAt + k,
            receivedAt: occurredAt + k,
            shard: k % shards,
          });
        }
        if (options.aggregated) {
          for (let shard = 0; shard < shards; shard++) {
            await ctx.db.insert("aggregationStreams", {
              siteId,
              shard,
              cursor: Number.MAX_SAFE_INTEGER,
              scheduled: false,
            });
          }
        }
      }
    });
  }
  return ids;
}

type Scheduled = {
  _id: string;
  name: string;
  args: Record<string, unknown>[];
  state: { kind: string };
};

async function scheduledFunctions(t: TestInstance): Promise<Scheduled[]> {
  return (await t.run(async (ctx) =>
    ctx.db.system.query("_scheduled_functions").collect(),
  )) as unknown as Scheduled[];
}

/** Proof that every scheduled function that ran succeeded (a limit exceeded fails its function). */
async function expectNoFailures(t: TestInstance) {
  const failed = (await scheduledFunctions(t)).filter(
    (f) => f.state.kind === "failed",
  );
  expect(failed.map((f) => `${f.name}: ${JSON.stringify(f.state)}`)).toEqual(
    [],
  );
}

/** The sites a per-site function was scheduled for, each once. */
async function sitesScheduledFor(
  t: TestInstance,
  name: string,
): Promise<Set<string>> {
  const calls = (await scheduledFunctions(t))
    .filter((f) => f.name.endsWith(name))
    .map((f) => f.args[0].siteId as string);
  const sites = new Set(calls);
  expect(calls.length, `${name} scheduled for a site twice`).toBe(sites.size);
  return sites;
}

/**
 * Runs a sweep's own continuations as the scheduler would, one transaction
 * each, and nothing else: the per-site work stays scheduled, so thousands of
 * sites take seconds. (The drained tests below run everything.) Returns the
 * number of pages, the first included.
 */
async function driveSweep(
  t: TestInstance,
  name: string,
  continuation: FunctionReference<"mutation", "internal">,
) {
  for (let pages = 1; pages < 1_000; pages++) {
    const pending = (await scheduledFunctions(t)).filter(
      (f) => f.name.endsWith(name) && f.state.kind === "pending",
    );
    if (pending.length === 0) return pages;
    expect(pending).toHaveLength(1); // one chain, never two
    await t.run(async (ctx) =>
      ctx.scheduler.cancel(pending[0]._id as Id<"_scheduled_functions">),
    );
    await t.mutation(continuation, pending[0].args[0]);
  }
  throw new Error(`${name} never finished`);
}

async function leases(t: TestInstance) {
  return await t.run(async (ctx) =>
    ctx.db.query("maintenanceLeases").collect(),
  );
}

const drainAll = (t: TestInstance) =>
  t.finishAllScheduledFunctions(vi.runAllTimers, 100_000);

describe(`one cron tick's sweep reaches every one of ${SITES.toLocaleString("en-US")} sites, each page within the transaction limits`, () => {
  test("cleanup", async () => {
    const t = setupComponent();
    const ids = await seed(t, { sites: SITES, eventsPerSite: 2 });
    expect(await t.mutation(api.maintenance.cleanup, { maxPages: 25 })).toEqual(
      { scheduled: SWEEP_MAX_SITES },
    );
    // The next tick while the sweep still runs does nothing.
    expect(await t.mutation(api.maintenance.cleanup, { maxPages: 25 })).toEqual(
      { scheduled: 0 },
    );
    expect(
      await driveSweep(t, "cleanupSweep", internal.maintenance.cleanupSweep),
    ).toBe(SITES / SWEEP_MAX_SITES);
    expect(await sitesScheduledFor(t, "cleanupSite")).toEqual(new Set(ids));
    expect(await leases(t)).toEqual([]);
  });

  test("compact", async () => {
    const t = setupComponent();
    const ids = await seed(t, { sites: SITES, eventsPerSite: 2 });
    expect(await t.mutation(api.compaction.compact, {})).toEqual({
      scheduled: SWEEP_MAX_SITES,
    });
    expect(await t.mutation(api.compaction.compact, {})).toEqual({
      scheduled: 0,
    });
    expect(
      await driveSweep(
        t,
        "compactSweep",
        internal.compactionSweep.compactSweep,
      ),
    ).toBe(SITES / SWEEP_MAX_SITES);
    expect(await sitesScheduledFor(t, "compactShards")).toEqual(new Set(ids));
    expect(await leases(t)).toEqual([]);
  });

  test("aggregatePending (the repair cron)", async () => {
    const t = setupComponent();
    const ids = await seed(t, { sites: SITES, eventsPerSite: 1 });
    vi.advanceTimersByTime(MINUTE); // the events have settled
    const first = await t.mutation(api.repair.aggregatePending, {});
    expect(first.streams).toBeGreaterThan(0);
    expect(await t.mutation(api.repair.aggregatePending, {})).toEqual({
      streams: 0,
    });
    const pages = await driveSweep(
      t,
      "aggregatePendingSweep",
      internal.repair.aggregatePendingSweep,
    );
    expect(pages).toBe(SITES / SWEEP_MAX_SITES); // one site costs 1 + 1 + 8 units: 100 sites a page
    // Every site's stream was flagged and its job enqueued.
    const streams = await t.run(async (ctx) =>
      ctx.db.query("aggregationStreams").collect(),
    );
    expect(streams).toHaveLength(SITES);
    expect(new Set(streams.map((s) => s.siteId))).toEqual(new Set(ids));
    expect(streams.every((s) => s.scheduled)).toBe(true);
    expect(await leases(t)).toEqual([]);
  });
});

describe("drained end to end: the scheduler runs the sweeps and all per-site work", () => {
  test("cleanup deletes every site's expired events", async () => {
    const t = setupComponent();
    const ids = await seed(t, {
      sites: 250,
      eventsPerSite: 2,
      ageMs: 100 * DAY,
      aggregated: true,
    });
    await t.mutation(api.maintenance.cleanup, { maxPages: 25 });
    await drainAll(t);
    await expectNoFailures(t);
    expect(await sitesScheduledFor(t, "cleanupSite")).toEqual(new Set(ids));
    expect(
      await t.run(async (ctx) => (await ctx.db.query("events").take(1)).length),
    ).toBe(0);
    expect(await leases(t)).toEqual([]);
  });

  test("compact runs every site's compaction", async () => {
    const t = setupComponent();
    const ids = await seed(t, { sites: 250, eventsPerSite: 0 });
    await t.mutation(api.compaction.compact, {});
    await drainAll(t);
    await expectNoFailures(t);
    expect(await sitesScheduledFor(t, "compactShards")).toEqual(new Set(ids));
    expect(await leases(t)).toEqual([]);
  });

  test("aggregatePending gets every site's events aggregated", async () => {
    const t = setupComponent();
    const ids = await seed(t, { sites: 150, eventsPerSite: 2 });
    vi.advanceTimersByTime(MINUTE);
    await t.mutation(api.repair.aggregatePending, { limitSites: 40 });
    await drainAll(t);
    await expectNoFailures(t);
    const streams = await t.run(async (ctx) =>
      ctx.db.query("aggregationStreams").collect(),
    );
    const events = await t.run(async (ctx) => ctx.db.query("events").collect());
    const lastEvent = new Map(events.map((e) => [e.siteId, e._creationTime]));
    expect(new Set(streams.map((s) => s.siteId))).toEqual(new Set(ids));
    for (const stream of streams)
      expect(stream.cursor).toBe(lastEvent.get(stream.siteId));
    expect(await leases(t)).toEqual([]);
  });
});

test("aggregatePending's pages stay within the limits when every site has 64 pending streams", async () => {
  const t = setupComponent();
  const ids = await seed(t, { sites: 3, eventsPerSite: 64, shards: 64 });
  vi.advanceTimersByTime(MINUTE);
  const { result: first, usage } = await measure(() =>
    t.mutation(api.repair.aggregatePending, {}),
  );
  // One site costs 1 + 64 × 9 units: the page stopped after the second site.
  expect(first.streams).toBe(128);
  expect(usage.indexRanges).toBeLessThan(4_096 / 4);
  expect(usage.documentsRead).toBeLessThan(32_000 / 4);
  await drainAll(t);
  await expectNoFailures(t);
  const streams = await t.run(async (ctx) =>
    ctx.db.query("aggregationStreams").collect(),
  );
  expect(streams).toHaveLength(3 * 64);
  expect(new Set(streams.map((s) => s.siteId))).toEqual(new Set(ids));
  expect(streams.every((s) => s.cursor > 0 && !s.scheduled)).toBe(true);
});

test("aggregatePending leaves a paused stream (a rollup rebuild in progress) alone, even long after it was flagged", async () => {
  const t = setupComponent();
  const [siteId] = await seed(t, { sites: 1, eventsPerSite: 2, shards: 2 });
  await t.run(async (ctx) => {
    await ctx.db.insert("aggregationStreams", {
      siteId,
      shard: 0,
      cursor: 0,
      scheduled: true,
      scheduledAt: NOW,
      paused: true,
    });
  });
  vi.advanceTimersByTime(60 * MINUTE);
  // Shard 1 has a pending event and no job: repaired. Shard 0 is paused: left alone.
  expect(await t.mutation(api.repair.aggregatePending, { siteId })).toEqual({
    streams: 1,
  });
  const streams = await t.run(async (ctx) =>
    ctx.db.query("aggregationStreams").collect(),
  );
  expect(streams.find((s) => s.shard === 0)).toMatchObject({
    paused: true,
    scheduledAt: NOW,
  });
});

describe("pruneExpired holds a lease", () => {
  test("a second start while a chain runs does nothing; the chain finishes and lets go", async () => {
    const t = setupComponent();
    await t.run(async (ctx) => {
      for (let i = 0; i < 1_300; i++) {
        await ctx.db.insert("aggregationFailures", {
          siteId: `site-${i % 7}`,
          shard: 0,
          error: "old",
          failedAt: NOW - 40 * DAY,
        });
      }
    });
    expect(await t.mutation(api.maintenance.pruneExpired, {})).toEqual({
      leases: 0,
      failures: 500,
    });
    expect(await t.mutation(api.maintenance.pruneExpired, {})).toEqual({
      leases: 0,
      failures: 0,
    });
    await drainAll(t);
    expect(
      await t.run(
        async (ctx) =>
          (await ctx.db.query("aggregationFailures").collect()).length,
      ),
    ).toBe(0);
    expect(await leases(t)).toEqual([]);
    // Done: the next run starts again.
    await t.run(async (ctx) => {
      await ctx.db.insert("aggregationFailures", {
        siteId: "site-1",
        shard: 0,
        error: "old",
        failedAt: NOW - 40 * DAY,
      });
    });
    expect(await t.mutation(api.maintenance.pruneExpired, {})).toEqual({
      leases: 0,
      failures: 1,
    });
  });
});

// ---------------------------------------------------------------- the generic page

describe("sweepSitesPage", () => {
  /** Runs a sweep to its end by hand, one page per transaction; returns what each page handled. */
  async function runSweep(
    t: TestInstance,
    options: {
      maxSites?: number;
      budget?: number;
      cost: (i: number) => number;
    },
  ) {
    const order = await t.run(async (ctx) =>
      (await ctx.db.query("sites").collect()).map((s) => s._id as string),
    );
    const pages: { sites: string[]; cost: number }[] = [];
    let position: { runId?: string; after?: number } = {};
    for (let guard = 0; guard < 1_000; guard++) {
      let next: { runId: string; after: number } | null = null;
      const handled: string[] = [];
      let cost = 0;
      const result = await t.run(async (ctx) =>
        sweepSitesPage(ctx, {
          chain: "sweep:test",
          ...position,
          maxSites: options.maxSites,
          budget: options.budget,
          perSite: async (site: Doc<"sites">) => {
            handled.push(site._id);
            const c = options.cost(order.indexOf(site._id));
            cost += c;
            return { count: 1, cost: c };
          },
          continueWith: async (n) => {
            next = n;
          },
        }),
      );
      expect(result.ran).toBe(true);
      pages.push({ sites: handled, cost });
      if (result.done) {
        expect(next).toBeNull();
        return { pages, order };
      }
      expect(next).not.toBeNull();
      position = next!;
    }
    throw new Error("sweep never finished");
  }

  test("visits every site once, in order, within maxSites and the budget (stopping after the site that reaches it)", async () => {
    const t = setupComponent();
    await seed(t, { sites: 230, eventsPerSite: 0 });
    const cost = (i: number) => 1 + ((i * 37) % 50);
    const { pages, order } = await runSweep(t, {
      maxSites: 40,
      budget: 120,
      cost,
    });
    expect(pages.flatMap((p) => p.sites)).toEqual(order);
    for (const page of pages) {
      expect(page.sites.length).toBeLessThanOrEqual(40);
      const last = cost(order.indexOf(page.sites[page.sites.length - 1]));
      expect(page.cost - last).toBeLessThan(120); // the budget was not reached before the last site
    }
    expect(pages.length).toBeGreaterThan(230 / 40);
    expect(await leases(t)).toEqual([]);
  });

  test("an empty sites table is done at once; a second start is refused until the lease ends or is released", async () => {
    const t = setupComponent();
    const page = (runId?: string) =>
      t.run(async (ctx) =>
        sweepSitesPage(ctx, {
          chain: "sweep:test",
          runId,
          perSite: async () => ({ count: 1, cost: 1 }),
          continueWith: async () => {},
        }),
      );
    expect(await page()).toEqual({ ran: true, sites: 0, count: 0, done: true });
    await seed(t, { sites: SWEEP_MAX_SITES + 5, eventsPerSite: 0 });
    const first = await page();
    expect(first).toMatchObject({
      ran: true,
      sites: SWEEP_MAX_SITES,
      done: false,
    });
    const held = await leases(t);
    expect(held).toMatchObject([{ siteId: ALL_SITES, chain: "sweep:test" }]);
    expect(await page()).toEqual({
      ran: false,
      sites: 0,
      count: 0,
      done: false,
    });
    // A continuation of a run that lost its lease stops too.
    expect(await page("some-other-run")).toMatchObject({ ran: false });
    // A sweep that died leaves its lease to expire; then the next start runs.
    vi.advanceTimersByTime(LEASE_MS + 1);
    expect(await page()).toMatchObject({ ran: true, sites: SWEEP_MAX_SITES });
  });
});
