import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { replay } from "./testing/replay.js";
import {
  expectReportMatchesTruth,
  reportsFor,
  rollupRows,
  type Range,
} from "./testing/reports.js";
import {
  createTestSite,
  drain,
  setupComponent,
  type TestInstance,
} from "./testing/setup.js";
import { generateTraffic, uniqueEvents } from "./testing/traffic.js";
import {
  buildSessions,
  truthOverview,
  type SentEvent,
} from "./testing/truth.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 6, 6);
const RANGES: Range[] = [
  { from: START, to: START + 2 * DAY },
  { from: START + 7 * HOUR, to: START + 31 * HOUR },
  { from: START + 2 * HOUR + 11 * MINUTE, to: START + 40 * HOUR + 3 * MINUTE },
];

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => vi.useRealTimers());

async function table<
  T extends
    | "aggregationStreams"
    | "aggregationFailures"
    | "sessions"
    | "visitors"
    | "events",
>(t: TestInstance, name: T) {
  return await t.run(async (ctx) => ctx.db.query(name).collect());
}

async function setTimezone(t: TestInstance, siteId: string, timezone: string) {
  await t.run(async (ctx) =>
    ctx.db.patch("sites", siteId as Id<"sites">, { timezone }),
  );
}

/** Everything aggregation writes, to prove a repair run changes nothing. */
async function aggregateState(t: TestInstance, siteId: string) {
  return {
    rollups: await rollupRows(t, siteId),
    sessions: await table(t, "sessions"),
    visitors: await table(t, "visitors"),
    streams: await table(t, "aggregationStreams"),
  };
}

describe("repair of failed aggregation", () => {
  test("a failing job is recorded and frees its stream; retryFailedEvents repairs it; repairs are idempotent", async () => {
    const t = setupComponent();
    const siteId = await createTestSite(t, { rollupShardCount: 4 });
    await setTimezone(t, siteId, "Not/A_Zone"); // aggregation throws on it
    const batches = generateTraffic({
      seed: 3,
      start: START,
      days: 2,
      visitors: 15,
      sessionsPerVisitor: [1, 3],
      eventsPerSession: [1, 6],
    });
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    const sent = await replay(t, batches);
    const thrown = logged.mock.calls.filter((call) =>
      String(call).includes("Invalid time zone"),
    ).length;
    logged.mockRestore();
    const events = uniqueEvents(batches);
    expect(sent.accepted).toBe(events.length);
    expect(thrown).toBeGreaterThan(0);

    const failures = await table(t, "aggregationFailures");
    expect(failures.length).toBeGreaterThan(0);
    expect(
      failures.every((f) => f.siteId === siteId && f.error.length > 0),
    ).toBe(true);
    const streams = await table(t, "aggregationStreams");
    expect(new Set(failures.map((f) => f.shard))).toEqual(
      new Set(streams.map((s) => s.shard)),
    );
    expect(streams.map((s) => [s.shard, s.scheduled, s.cursor])).toEqual(
      streams.map((s) => [s.shard, false, 0]),
    );
    expect(await rollupRows(t, siteId)).toEqual([]);

    await setTimezone(t, siteId, "UTC");
    vi.setSystemTime(START + 3 * DAY);
    const retry = await t.mutation(api.repair.retryFailedEvents, { siteId });
    expect(retry).toEqual({
      retried: streams.length,
      failures: failures.length,
    });
    await drain(t);

    expect(await table(t, "aggregationFailures")).toEqual([]);
    const sessions = buildSessions(events, 30 * MINUTE);
    for (const report of await reportsFor(t, siteId, RANGES))
      expectReportMatchesTruth(report, events, sessions);
    expect((await table(t, "sessions")).length).toBe(sessions.length);

    const before = await aggregateState(t, siteId);
    expect(await t.mutation(api.repair.retryFailedEvents, { siteId })).toEqual({
      retried: 0,
      failures: 0,
    });
    expect(await t.mutation(api.repair.aggregatePending, { siteId })).toEqual({
      streams: 0,
    });
    await drain(t);
    expect(await aggregateState(t, siteId)).toEqual(before);
  });

  test("a lost job (stream flagged scheduled long ago, no job) is picked up by aggregatePending, and only then", async () => {
    const t = setupComponent();
    const siteId = await createTestSite(t);
    const sent = await seedUnaggregatedEvents(t, siteId, 2, 20);
    await t.run(async (ctx) => {
      await ctx.db.insert("aggregationStreams", {
        siteId,
        shard: 2,
        cursor: 0,
        scheduled: true,
        scheduledAt: START - MINUTE,
      });
    });

    vi.setSystemTime(START + 2 * MINUTE);
    expect(await t.mutation(api.repair.aggregatePending, { siteId })).toEqual({
      streams: 0,
    }); // may still be running
    await drain(t);
    expect((await table(t, "aggregationStreams"))[0]).toMatchObject({
      cursor: 0,
      scheduled: true,
    });

    vi.setSystemTime(START + 20 * MINUTE);
    expect(await t.mutation(api.repair.aggregatePending, { siteId })).toEqual({
      streams: 1,
    });
    await drain(t);
    const [stream] = await table(t, "aggregationStreams");
    expect(stream.scheduled).toBe(false);
    expect(stream.cursor).toBe(
      Math.max(...(await table(t, "events")).map((e) => e._creationTime)),
    );
    const range = { from: START - HOUR, to: START + HOUR };
    const overview = await t.query(api.analytics.getOverview, {
      siteId,
      ...range,
    });
    const { viewsPerSession: _v, ...expected } = truthOverview(
      sent,
      buildSessions(sent, 30 * MINUTE),
      range.from,
      range.to,
    );
    expect(overview).toMatchObject(expected);
    expect(overview.events).toBe(20);

    expect(await t.mutation(api.repair.aggregatePending, { siteId })).toEqual({
      streams: 0,
    });
  });
});

/** Inserts raw events of one stream directly, as ingest would, without scheduling anything. */
async function seedUnaggregatedEvents(
  t: TestInstance,
  siteId: string,
  shard: number,
  count: number,
) {
  const sent: SentEvent[] = Array.from({ length: count }, (_, i) => ({
    visitorId: `v${i % 4}`,
    sessionId: `s${i % 4}`,
    type: "pageview" as const,
    name: "pageview",
    path: `/p${i % 3}`,
    occurredAt: START - 30 * MINUTE + i * MINUTE,
  }));
  await t.run(async (ctx) => {
    for (const e of sent)
      await ctx.db.insert("events", { ...e, siteId, receivedAt: START, shard });
  });
  return sent;
}

// ---------------------------------------------------------------- pruneExpired

async function seedBookkeeping(t: TestInstance, siteId: string, now: number) {
  await t.run(async (ctx) => {
    await ctx.db.insert("maintenanceLeases", {
      siteId,
      chain: "cleanup",
      runId: "died",
      leaseUntil: now - 1,
    });
    await ctx.db.insert("maintenanceLeases", {
      siteId: "other-site",
      chain: "compaction",
      runId: "died-too",
      leaseUntil: now - DAY,
    });
    await ctx.db.insert("maintenanceLeases", {
      siteId,
      chain: "compaction",
      runId: "alive",
      leaseUntil: now + MINUTE,
    });
    const failure = (failedAt: number, error: string) => ({
      siteId,
      shard: 1,
      error,
      failedAt,
    });
    await ctx.db.insert("aggregationFailures", failure(now - 31 * DAY, "old"));
    await ctx.db.insert(
      "aggregationFailures",
      failure(now - 30 * DAY + MINUTE, "just inside 30 days"),
    );
    await ctx.db.insert("aggregationFailures", failure(now - HOUR, "recent"));
    await ctx.db.insert("aggregationStreams", {
      siteId,
      shard: 1,
      cursor: 0,
      scheduled: false,
    });
  });
}

async function bookkeeping(t: TestInstance) {
  return await t.run(async (ctx) => ({
    leases: (await ctx.db.query("maintenanceLeases").collect())
      .map((l) => l.runId)
      .sort(),
    failures: (await ctx.db.query("aggregationFailures").collect())
      .map((f) => f.error)
      .sort(),
    streams: (await ctx.db.query("aggregationStreams").collect()).length,
    sites: (await ctx.db.query("sites").collect()).length,
  }));
}

describe("pruneExpired", () => {
  test("removes leases past their end and failure records older than the threshold, nothing else", async () => {
    const t = setupComponent();
    const siteId = await createTestSite(t);
    await seedBookkeeping(t, siteId, START);

    expect(await t.mutation(api.maintenance.pruneExpired, {})).toEqual({
      leases: 2,
      failures: 1,
    });
    expect(await bookkeeping(t)).toEqual({
      leases: ["alive"],
      failures: ["just inside 30 days", "recent"],
      streams: 1,
      sites: 1,
    });

    expect(
      await t.mutation(api.maintenance.pruneExpired, { olderThanDays: 1 }),
    ).toEqual({ leases: 0, failures: 1 });
    expect(await bookkeeping(t)).toEqual({
      leases: ["alive"],
      failures: ["recent"],
      streams: 1,
      sites: 1,
    });
    // The live lease still keeps a second compaction chain out.
    expect(
      await t.action(internal.compaction.compactShards, { siteId, since: 0 }),
    ).toMatchObject({ ran: false });
  });

  test("more old records than one page holds are all pruned by the chain", async () => {
    const t = setupComponent();
    const siteId = await createTestSite(t);
    await t.run(async (ctx) => {
      for (let i = 0; i < 1_300; i++) {
        await ctx.db.insert("aggregationFailures", {
          siteId,
          shard: i % 4,
          error: "old",
          failedAt: START - 40 * DAY + i,
        });
      }
      for (let i = 0; i < 700; i++) {
        await ctx.db.insert("maintenanceLeases", {
          siteId: `site-${i}`,
          chain: "cleanup",
          runId: `r${i}`,
          leaseUntil: i < 600 ? START + HOUR : START - 1,
        });
      }
      await ctx.db.insert("aggregationFailures", {
        siteId,
        shard: 0,
        error: "recent",
        failedAt: START - HOUR,
      });
    });
    await t.mutation(api.maintenance.pruneExpired, {});
    await drain(t);
    const left = await bookkeeping(t);
    expect(left.failures).toEqual(["recent"]);
    expect(left.leases).toHaveLength(600);
  });
});
