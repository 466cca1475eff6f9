import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import { replay } from "./testing/replay.js";
import {
  expectReportMatchesTruth,
  reportsFor,
  type Range,
} from "./testing/reports.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";
import {
  generateTraffic,
  uniqueEvents,
  type Batch,
} from "./testing/traffic.js";
import {
  buildSessions,
  truthOverview,
  type SentEvent,
} from "./testing/truth.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 6, 6);
const LATER = START + 6 * DAY;
const RANGES: Range[] = [
  { from: START, to: START + 4 * DAY },
  { from: START + DAY, to: START + 2 * DAY },
  { from: START + 5 * HOUR, to: START + 29 * HOUR },
];

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => vi.useRealTimers());

async function compactedSite(): Promise<{
  t: TestInstance;
  siteId: string;
  batches: Batch[];
}> {
  const t = setupComponent();
  const siteId = await createTestSite(t, { rollupShardCount: 4 });
  const batches = generateTraffic({
    seed: 44,
    start: START,
    days: 3,
    visitors: 30,
    sessionsPerVisitor: [1, 3],
    eventsPerSession: [1, 6],
  });
  await replay(t, batches);
  vi.setSystemTime(LATER);
  await t.mutation(api.compaction.compact, { siteId });
  await drain(t);
  return { t, siteId, batches };
}

/** What rollups written under another definition look like: every stored duration off. */
async function corruptDurations(t: TestInstance) {
  await t.run(async (ctx) => {
    for (const row of await ctx.db.query("rollupTops").collect()) {
      const values = row.values.map((v, i) =>
        i % 6 === 4 ? v * 3 + 60_000 : v,
      );
      await ctx.db.patch("rollupTops", row._id, { values });
    }
  });
}

async function visitorEventCounts(t: TestInstance) {
  const rows = await t.run(async (ctx) => ctx.db.query("visitors").collect());
  return Object.fromEntries(rows.map((r) => [r.visitorId, r.events]));
}

async function rebuildAndSettle(
  t: TestInstance,
  siteId: string,
  from?: number,
) {
  const started = await t.mutation(api.rebuild.rebuildRollups, {
    siteId,
    from,
  });
  expect(started.started).toBe(true);
  await drain(t);
  await t.mutation(api.compaction.compact, { siteId });
  await drain(t);
  return started;
}

function truthOf(events: SentEvent[]) {
  return buildSessions(events, 30 * MINUTE);
}

describe("rebuildRollups", () => {
  test("recomputes rollups stored under another definition: every report equals the truth again, visitors' counts unchanged", async () => {
    const { t, siteId, batches } = await compactedSite();
    const events = uniqueEvents(batches);
    const countsBefore = await visitorEventCounts(t);
    await corruptDurations(t);
    const [wrong] = await reportsFor(t, siteId, RANGES);
    const truth = truthOverview(
      events,
      truthOf(events),
      RANGES[0].from,
      RANGES[0].to,
    );
    expect(
      Math.abs(
        wrong.overview.averageSessionDurationMs -
          truth.averageSessionDurationMs,
      ),
    ).toBeGreaterThan(1_000);

    const { from } = await rebuildAndSettle(t, siteId);
    expect(from).toBe(START);
    for (const report of await reportsFor(t, siteId, RANGES))
      expectReportMatchesTruth(report, events, truthOf(events));
    expect(await visitorEventCounts(t)).toEqual(countsBefore);
    const leases = await t.run(async (ctx) =>
      ctx.db.query("maintenanceLeases").collect(),
    );
    expect(leases).toEqual([]);
  });

  test("events ingested while the rebuild runs are counted once, after the replay", async () => {
    const { t, siteId, batches } = await compactedSite();
    await corruptDurations(t);
    const started = await t.mutation(api.rebuild.rebuildRollups, { siteId });
    expect(started.started).toBe(true);
    // A second rebuild while the first holds its lease does not start.
    expect(
      (await t.mutation(api.rebuild.rebuildRollups, { siteId })).started,
    ).toBe(false);

    const late: Batch = {
      arrival: LATER + MINUTE,
      visitorId: "during-rebuild",
      sessionId: "during-rebuild-session",
      context: { device: "desktop", country: "FR" },
      events: [
        {
          visitorId: "during-rebuild",
          sessionId: "during-rebuild-session",
          type: "pageview",
          name: "pageview",
          path: "/new",
          occurredAt: LATER - 2 * HOUR,
        },
        {
          visitorId: "during-rebuild",
          sessionId: "during-rebuild-session",
          type: "track",
          name: "signup",
          occurredAt: LATER - 2 * HOUR + MINUTE,
        },
      ],
    };
    vi.setSystemTime(late.arrival);
    const sent = await t.mutation(api.ingest.ingestBatch, {
      writeKeyHash: WRITE_KEY_HASH,
      visitorId: late.visitorId,
      sessionId: late.sessionId,
      context: late.context,
      events: late.events.map(({ visitorId: _v, sessionId: _s, ...e }) => e),
    });
    expect(sent.accepted).toBe(2);
    await drain(t);
    vi.setSystemTime(LATER + 3 * DAY);
    await t.mutation(api.compaction.compact, { siteId });
    await drain(t);

    const events = uniqueEvents([...batches, late]);
    const ranges = [...RANGES, { from: START, to: LATER }];
    for (const report of await reportsFor(t, siteId, ranges))
      expectReportMatchesTruth(report, events, truthOf(events));
    const streams = await t.run(async (ctx) =>
      ctx.db.query("aggregationStreams").collect(),
    );
    expect(
      streams.filter((s) => s.paused || s.replayUntil !== undefined),
    ).toEqual([]);
  });

  test("with `from`, rows before its day stay as they were and the events after it are recounted exactly", async () => {
    const { t, siteId, batches } = await compactedSite();
    const events = uniqueEvents(batches);
    const before = await t.run(async (ctx) =>
      (await ctx.db.query("rollupTops").collect()).filter(
        (r) => r.level <= 1 && r.bucketStart < START + DAY,
      ),
    );
    await rebuildAndSettle(t, siteId, START + DAY + 5 * HOUR);
    const after = await t.run(async (ctx) =>
      (await ctx.db.query("rollupTops").collect()).filter(
        (r) => r.level <= 1 && r.bucketStart < START + DAY,
      ),
    );
    expect(after).toEqual(before);
    const [report] = await reportsFor(t, siteId, [
      { from: START + DAY, to: START + 4 * DAY },
    ]);
    const inside = events.filter((e) => e.occurredAt >= START + DAY);
    expect(report.overview.events).toBe(inside.length);
    expect(report.overview.pageviews).toBe(
      inside.filter((e) => e.type === "pageview").length,
    );
  });
});
