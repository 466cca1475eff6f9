import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import {
  compactBucket,
  COMPACTION_PAGE_BYTES,
  COMPACTION_PAGE_ROWS,
  SETTLE_GRACE_MS,
} from "./compaction.js";
import { ROLLUP_ROW_BUDGET_BYTES } from "./rollups.js";
import {
  addToSketch,
  emptySketch,
  encodeSketch,
  hashVisitor,
} from "./lib/sketch.js";
import { bigKeyedEntries, visitorSketch } from "./testing/bigRows.js";
import { measure, type Usage } from "./testing/meter.js";
import { replay } from "./testing/replay.js";
import {
  expectReportMatchesTruth,
  reportFor,
  reportsFor,
  rollupRows,
  shardsPerGroup,
  type Range,
} from "./testing/reports.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";
import { generateTraffic, uniqueEvents } from "./testing/traffic.js";
import { buildSessions, truthTop, type SentEvent } from "./testing/truth.js";
import { shardFor } from "./ingest.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 4, 4);
/** Late enough that every bucket of two days of traffic has settled. */
const SETTLED_AT = START + 4 * DAY;

const RANGES: Range[] = [
  { from: START, to: START + 3 * DAY },
  { from: START + DAY, to: START + 2 * DAY },
  { from: START + 5 * HOUR, to: START + 29 * HOUR },
  { from: START + 3 * HOUR + 37 * MINUTE, to: START + 41 * HOUR + 13 * MINUTE },
];

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => vi.useRealTimers());

/** A site with 8 shards and two days of generated traffic, fully aggregated. */
async function siteWithTraffic(seed: number, visitors: number) {
  const t = setupComponent();
  const siteId = await createTestSite(t, { rollupShardCount: 8 });
  const batches = generateTraffic({
    seed,
    start: START,
    days: 2,
    visitors,
    sessionsPerVisitor: [2, 4],
    eventsPerSession: [2, 7],
  });
  await replay(t, batches);
  const events = uniqueEvents(batches);
  return { t, siteId, events, sessions: buildSessions(events, 30 * MINUTE) };
}

async function compactUnitCount(t: TestInstance): Promise<number> {
  return (await t.run(async (ctx) => ctx.db.query("rollupTops").collect()))
    .length;
}

async function leaseCount(t: TestInstance): Promise<number> {
  return (
    await t.run(async (ctx) => ctx.db.query("maintenanceLeases").collect())
  ).length;
}

function groupsWithSeveralShards(groups: Map<string, Set<number>>): number {
  return [...groups.values()].filter((shards) => shards.size > 1).length;
}

describe("compaction of generated traffic (8 shards)", () => {
  test("moves every settled bucket into compact units; every report is unchanged and equals the truth", async () => {
    const { t, siteId, events, sessions } = await siteWithTraffic(5, 40);
    vi.setSystemTime(SETTLED_AT);
    const before = await reportsFor(t, siteId, RANGES);
    expect(before[0].overview.events).toBe(events.length);
    const groupsBefore = shardsPerGroup(await rollupRows(t, siteId));
    expect(groupsWithSeveralShards(groupsBefore)).toBeGreaterThan(20);

    await t.mutation(api.compaction.compact, { siteId, since: 0 });
    await drain(t);

    // Every settled bucket moved into compact units; no live row is left.
    expect(await rollupRows(t, siteId)).toEqual([]);
    expect(await compactUnitCount(t)).toBeGreaterThan(groupsBefore.size / 2);
    const after = await reportsFor(t, siteId, RANGES);
    expect(after).toEqual(before);
    for (const report of after)
      expectReportMatchesTruth(report, events, sessions);
    expect(await leaseCount(t)).toBe(0);
  });

  test("two chains started at once: the second exits, nothing is counted twice", async () => {
    const { t, siteId, events, sessions } = await siteWithTraffic(9, 20);
    vi.setSystemTime(SETTLED_AT);
    const runs = await Promise.all([
      t.action(internal.compaction.compactShards, { siteId, since: 0 }),
      t.action(internal.compaction.compactShards, { siteId, since: 0 }),
    ]);
    expect(runs.map((r) => r.ran).sort()).toEqual([false, true]);
    const loser = runs.find((r) => !r.ran)!;
    expect(loser).toEqual({ merged: 0, pages: 0, ran: false });
    expect(runs.find((r) => r.ran)!.merged).toBeGreaterThan(0);

    expect(await rollupRows(t, siteId)).toEqual([]);
    for (const report of await reportsFor(t, siteId, RANGES))
      expectReportMatchesTruth(report, events, sessions);
    expect(await leaseCount(t)).toBe(0);
  });

  test("compact called twice before draining merges once; reports equal the truth", async () => {
    const { t, siteId, events, sessions } = await siteWithTraffic(13, 20);
    vi.setSystemTime(SETTLED_AT);
    expect(
      await t.mutation(api.compaction.compact, { siteId, since: 0 }),
    ).toEqual({ scheduled: 1 });
    expect(
      await t.mutation(api.compaction.compact, { siteId, since: 0 }),
    ).toEqual({ scheduled: 1 });
    await drain(t);
    expect(await rollupRows(t, siteId)).toEqual([]);
    for (const report of await reportsFor(t, siteId, RANGES))
      expectReportMatchesTruth(report, events, sessions);
    expect(await leaseCount(t)).toBe(0);
  });

  test("a chain whose lease is held by another run changes nothing; a run that loses its lease stops", async () => {
    const { t, siteId } = await siteWithTraffic(17, 10);
    vi.setSystemTime(SETTLED_AT);
    const rowsBefore = await rollupRows(t, siteId);
    const horizon = await t.mutation(internal.compaction.claimCompaction, {
      siteId,
      runId: "holder",
    });
    expect(horizon).toBe(SETTLED_AT - SETTLE_GRACE_MS);

    const blocked = await t.action(internal.compaction.compactShards, {
      siteId,
      since: 0,
    });
    expect(blocked).toEqual({ merged: 0, pages: 0, ran: false });
    // A continuation of a run that lost the lease to a live run exits too.
    const position = { phase: 0 };
    const orphan = await t.action(internal.compaction.compactShards, {
      siteId,
      since: 0,
      runId: "orphan",
      position,
    });
    expect(orphan).toEqual({ merged: 0, pages: 0, ran: false });
    // A page of a run that lost its lease mid-chain reports it and touches nothing.
    const page = await t.mutation(internal.compaction.compactPage, {
      siteId,
      runId: "orphan",
      horizon: horizon!,
      position,
    });
    expect(page).toEqual({ next: null, merged: 0, lost: true });
    await drain(t);
    expect(await rollupRows(t, siteId)).toEqual(rowsBefore);
    expect(await leaseCount(t)).toBe(1);
  });
});

// ---------------------------------------------------------------- one bucket with very many shard rows

describe("a bucket whose units pass the fold budget", () => {
  test("is folded a few dimensions per page; after every page each report still equals the truth", async () => {
    const { t, siteId, events, sessions } = await siteWithTraffic(11, 30);
    vi.setSystemTime(SETTLED_AT);
    // Every hour reads as compacted: its hour unit (or its day's) plus its
    // live rows, so a change must be in exactly one of them at every page.
    await t.run(async (ctx) => {
      await ctx.db.insert("rollupWatermarks", {
        siteId,
        hoursBefore: START + 2 * DAY,
        daysBefore: 0,
        blocksBeforeDay: -Infinity,
      });
    });
    const ranges = [RANGES[2], RANGES[3]];
    const expectTrue = async () => {
      for (const report of await reportsFor(t, siteId, ranges))
        expectReportMatchesTruth(report, events, sessions);
    };
    const site = (await t.run((ctx) =>
      ctx.db.get("sites", siteId as Id<"sites">),
    ))!;
    let pages = 0;
    let partial = 0;
    // A one-byte budget: past the first hour, one dimension per page.
    for (let h = START + 5 * HOUR; h < START + 7 * HOUR; h += HOUR) {
      for (let all = false; !all;) {
        const step = await t.run((ctx) =>
          compactBucket(ctx as never, site, "hour", h, undefined, 1),
        );
        all = step.all;
        pages++;
        if (!all) partial++;
        if (pages % 8 === 0) await expectTrue();
      }
    }
    expect(partial).toBeGreaterThan(10);
    await expectTrue();
    const left = (await rollupRows(t, siteId)).filter(
      (r) =>
        r.bucketStart >= START + 5 * HOUR && r.bucketStart < START + 7 * HOUR,
    );
    expect(left).toEqual([]);
  }, 300_000);
});

const STRESS_BUCKET = START + 5 * HOUR;
const NEIGHBOUR_BUCKET = STRESS_BUCKET + HOUR;
const OVERVIEW_SHARDS = 600;
const KEYED_SHARDS = 300;
const PAGES = 37;

type SeedEntry = {
  key: string;
  events: number;
  pageviews: number;
  sessions: number;
  bounces: number;
  durationMs: number;
  visitor: string;
};

function sketchOf(visitor: string): ArrayBuffer {
  return encodeSketch(addToSketch(emptySketch(), hashVisitor(visitor), 1));
}

function overviewSeed(shard: number): SeedEntry {
  return {
    key: "",
    events: 1 + (shard % 7),
    pageviews: shard % 5,
    sessions: 1,
    bounces: shard % 2,
    durationMs: shard * 1000,
    visitor: `v${shard % 90}`,
  };
}

/** Two parts per keyed shard: page keys in part 0, event keys in part 1. */
function keyedSeed(shard: number): SeedEntry[][] {
  const counters = {
    sessions: 0,
    bounces: 0,
    durationMs: 0,
    visitor: `v${shard % 70}`,
  };
  const page = {
    key: `page\t/p${shard % PAGES}`,
    events: 1 + (shard % 3),
    pageviews: 1 + (shard % 3),
    ...counters,
  };
  const event = {
    key: `event\t${shard % 2 ? "signup" : "click"}`,
    events: 2,
    pageviews: 0,
    ...counters,
  };
  return [[page], [event]];
}

function toEntry({ visitor, ...counters }: SeedEntry) {
  return { ...counters, visitors: sketchOf(visitor) };
}

/** Writes rollup rows directly: ~600 overview and ~600 keyed rows in one bucket, a few in the next. */
async function seedManyShardRows(
  t: TestInstance,
  siteId: string,
): Promise<number> {
  return await t.run(async (ctx) => {
    let rows = 0;
    const insert = async (
      bucketStart: number,
      dimension: string,
      shard: number,
      part: number,
      entries: SeedEntry[],
    ) => {
      await ctx.db.insert("rollupShards", {
        siteId,
        interval: "hour",
        bucketStart,
        dimension,
        shard,
        part,
        entries: entries.map(toEntry),
        bytes: 100,
      });
      rows++;
    };
    for (let i = 0; i < OVERVIEW_SHARDS; i++)
      await insert(STRESS_BUCKET, "overview", i * 3, 0, [overviewSeed(i * 3)]);
    for (let i = 0; i < KEYED_SHARDS; i++) {
      for (const [part, entries] of keyedSeed(i * 5).entries())
        await insert(STRESS_BUCKET, "keyed", i * 5, part, entries);
    }
    for (const shard of [2, 9, 70, 71, 130]) {
      await insert(NEIGHBOUR_BUCKET, "overview", shard, 0, [
        overviewSeed(shard),
      ]);
      await insert(NEIGHBOUR_BUCKET, "keyed", shard, 0, keyedSeed(shard)[0]);
    }
    return rows;
  });
}

/** The figures of the seeded rows (README, "Metric definitions"), computed from the seed definitions alone. */
function seededExpectation() {
  const overview = [
    ...Array.from({ length: OVERVIEW_SHARDS }, (_, i) => overviewSeed(i * 3)),
    ...[2, 9, 70, 71, 130].map(overviewSeed),
  ];
  const sum = (
    key: "events" | "pageviews" | "sessions" | "bounces" | "durationMs",
  ) => overview.reduce((n, e) => n + e[key], 0);
  const pageEntries = [
    ...Array.from({ length: KEYED_SHARDS }, (_, i) => keyedSeed(i * 5)[0][0]),
    ...[2, 9, 70, 71, 130].map((shard) => keyedSeed(shard)[0][0]),
  ];
  const pages = new Map<
    string,
    { count: number; pageviewCount: number; visitors: Set<string> }
  >();
  for (const e of pageEntries) {
    const key = e.key.split("\t")[1];
    const row = pages.get(key) ?? {
      count: 0,
      pageviewCount: 0,
      visitors: new Set<string>(),
    };
    row.count += e.events;
    row.pageviewCount += e.pageviews;
    row.visitors.add(e.visitor);
    pages.set(key, row);
  }
  const topPages = [...pages]
    .map(([key, r]) => ({
      key,
      count: r.count,
      pageviewCount: r.pageviewCount,
      visitors: r.visitors.size,
    }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1));
  return {
    events: sum("events"),
    pageviews: sum("pageviews"),
    sessions: sum("sessions"),
    visitors: new Set(overview.map((e) => e.visitor)).size,
    bounceRate: sum("bounces") / sum("sessions"),
    averageSessionDurationMs: sum("durationMs") / sum("sessions"),
    topPages,
  };
}

async function stressSite() {
  const t = setupComponent();
  const siteId = await createTestSite(t, { rollupShardCount: 8 });
  const seeded = await seedManyShardRows(t, siteId);
  vi.setSystemTime(SETTLED_AT);
  return { t, siteId, seeded };
}

const STRESS_RANGE: Range = {
  from: STRESS_BUCKET,
  to: NEIGHBOUR_BUCKET + HOUR,
};

function expectSeededTotals(report: Awaited<ReturnType<typeof reportFor>>) {
  const expected = seededExpectation();
  const { topPages, ...overview } = expected;
  for (const [key, value] of Object.entries(overview))
    expect(report.overview[key], key).toBeCloseTo(value, 6);
  expect(report.top.page).toEqual(topPages);
}

/** Runs the chain page by page (as compactShards does), measuring each page transaction. */
async function compactPageByPage(
  t: TestInstance,
  siteId: string,
): Promise<Usage[]> {
  const runId = "metered";
  const horizon = await t.mutation(internal.compaction.claimCompaction, {
    siteId,
    runId,
  });
  expect(horizon).not.toBeNull();
  const usages: Usage[] = [];
  type Position = { phase: number; day?: number; level?: number; dim?: number };
  let position: Position | null = { phase: 0 };
  while (position) {
    const args: {
      siteId: string;
      runId: string;
      horizon: number;
      position: Position;
    } = { siteId, runId, horizon: horizon!, position };
    const {
      result,
      usage,
    }: { result: { next: Position | null; lost: boolean }; usage: Usage } =
      await measure(() => t.mutation(internal.compaction.compactPage, args));
    expect(result.lost).toBe(false);
    usages.push(usage);
    position = result.next;
    expect(usages.length, "page count").toBeLessThan(40);
  }
  await t.mutation(internal.compaction.releaseCompaction, { siteId, runId });
  return usages;
}

describe("compaction of one bucket with ~600 shard rows per row group", () => {
  test("every page stays within its row cap; no live row is left and the totals are unchanged", async () => {
    const { t, siteId, seeded } = await stressSite();
    expect(seeded).toBe(OVERVIEW_SHARDS + 2 * KEYED_SHARDS + 10);
    const before = await reportFor(t, siteId, STRESS_RANGE);
    expectSeededTotals(before);

    const usages = await compactPageByPage(t, siteId);
    console.log(
      `stress: ${usages.length} pages`,
      usages.map((u) => `${u.documentsRead}r/${u.documentsWritten}w`).join(" "),
    );
    // A page reads and deletes at most COMPACTION_PAGE_ROWS live rows and
    // writes the bucket's compact units (a counts row and a few sketch bands
    // per dimension) besides.
    for (const usage of usages) {
      expect(usage.documentsWritten).toBeLessThanOrEqual(
        COMPACTION_PAGE_ROWS + 100,
      );
      expect(usage.bytesRead).toBeLessThan(1024 * 1024);
    }
    expect(await rollupRows(t, siteId)).toEqual([]);
    expect(await reportFor(t, siteId, STRESS_RANGE)).toEqual(before);
  });

  test("the compactShards chain finishes on its own and leaves the totals unchanged", async () => {
    const { t, siteId } = await stressSite();
    const before = await reportFor(t, siteId, STRESS_RANGE);
    await t.mutation(api.compaction.compact, { siteId, since: 0 });
    await drain(t);
    expect(await rollupRows(t, siteId)).toEqual([]);
    const after = await reportFor(t, siteId, STRESS_RANGE);
    expect(after).toEqual(before);
    expectSeededTotals(after);
    expect(await leaseCount(t)).toBe(0);
  });
});

// ---------------------------------------------------------------- retractions after compaction

/** Two client sessions of one hour whose shards differ, the grower on the higher shard. */
function sessionsOnDifferentShards() {
  const ids = Array.from({ length: 40 }, (_, i) => ({
    visitorId: `visitor-${i}`,
    sessionId: `session-${i}`,
  }));
  const withShard = ids.map((id) => ({
    ...id,
    shard: shardFor(id.visitorId, id.sessionId, 8),
  }));
  const low = withShard.find(
    (id) => id.shard === Math.min(...withShard.map((x) => x.shard)),
  )!;
  const high = withShard.find((id) => id.shard > low.shard)!;
  return { bouncer: low, grower: high };
}

/** Ingests one event at `arrival` (default: a second after it occurred) and aggregates it. */
async function sendEvent(
  t: TestInstance,
  who: Who,
  event: SentEvent,
  sent: SentEvent[],
  arrival = event.occurredAt + 1000,
) {
  vi.setSystemTime(arrival);
  const { visitorId: _v, sessionId: _s, ...wire } = event;
  await t.mutation(api.ingest.ingestBatch, {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: who.visitorId,
    sessionId: who.sessionId,
    events: [wire as never],
  });
  sent.push(event);
  await drain(t);
}

type Who = { visitorId: string; sessionId: string };
const at = (h: number, m: number) => START + h * HOUR + m * MINUTE;
const pageview = (who: Who, path: string, when: number): SentEvent => ({
  visitorId: who.visitorId,
  sessionId: who.sessionId,
  type: "pageview",
  name: "pageview",
  path,
  occurredAt: when,
});
const track = (who: Who, when: number): SentEvent => ({
  visitorId: who.visitorId,
  sessionId: who.sessionId,
  type: "track",
  name: "click",
  occurredAt: when,
});

/** The bouncer exits on /y at 10:10; the grower enters on /a at 10:05 and is on /y at 10:15. */
async function twoSessionsAtTen(t: TestInstance, sent: SentEvent[]) {
  const { bouncer, grower } = sessionsOnDifferentShards();
  await sendEvent(t, grower, pageview(grower, "/a", at(10, 5)), sent);
  await sendEvent(t, bouncer, pageview(bouncer, "/y", at(10, 10)), sent);
  await sendEvent(t, grower, pageview(grower, "/y", at(10, 15)), sent);
  return { bouncer, grower };
}

/** Shards with live rows for 10:00 (compacted buckets have none until a change arrives). */
async function shardsOfTenOClock(
  t: TestInstance,
  siteId: string,
): Promise<number[]> {
  return [
    ...(shardsPerGroup(await rollupRows(t, siteId)).get(
      `hour|${at(10, 0)}|keyed`,
    ) ?? []),
  ].sort((a, b) => a - b);
}

/** Top exit pages of 10:00–11:00 from the component and from the raw-event truth. */
async function exitPagesOfTen(
  t: TestInstance,
  siteId: string,
  sent: SentEvent[],
) {
  const range = { siteId, from: at(10, 0), to: at(11, 0), limit: 100 };
  const expected = truthTop(
    "exitPage",
    sent,
    buildSessions(sent, 30 * MINUTE),
    range.from,
    range.to,
    100,
  );
  return {
    actual: await t.query(api.analytics.getTopExitPages, range),
    expected,
  };
}

const EXIT_PAGES_AFTER_GROWTH = [
  { key: "/y", count: 1, pageviewCount: 1, visitors: 1, sessions: 1 },
  { key: "/z", count: 1, pageviewCount: 1, visitors: 1, sessions: 1 },
];

async function compactNow(t: TestInstance, siteId: string) {
  const run = await t.action(internal.compaction.compactShards, {
    siteId,
    since: 0,
  });
  expect(run.ran).toBe(true);
}

// When a session's exit page moves, the aggregation retracts the old exit
// page (and its visitor) from the session's own shard row of its start
// bucket. Once compaction merged that row into another shard, the retraction
// lands in a fresh row of its own shard: counters and signed visitor counts
// must still add up to the truth over the bucket's rows.
describe("sessions that change after their start bucket was compacted", () => {
  test("a session that keeps growing: exit pages of its start bucket stay true, before and after the next compaction", async () => {
    const t = setupComponent();
    const siteId = await createTestSite(t, { rollupShardCount: 8 });
    const sent: SentEvent[] = [];
    const { grower } = await twoSessionsAtTen(t, sent);
    for (let m = 35; m <= 3 * 60 + 5; m += 20)
      await sendEvent(t, grower, track(grower, at(10, m)), sent);
    await compactNow(t, siteId);
    expect(await shardsOfTenOClock(t, siteId)).toEqual([]);

    await sendEvent(t, grower, pageview(grower, "/z", at(13, 25)), sent);
    expect(await shardsOfTenOClock(t, siteId)).toEqual([grower.shard]);
    const grown = await exitPagesOfTen(t, siteId, sent);
    expect(grown.expected).toEqual(EXIT_PAGES_AFTER_GROWTH);
    expect(grown.actual).toEqual(grown.expected);

    vi.setSystemTime(at(16, 0));
    await compactNow(t, siteId);
    expect(await shardsOfTenOClock(t, siteId)).toEqual([]);
    expect((await exitPagesOfTen(t, siteId, sent)).actual).toEqual(
      EXIT_PAGES_AFTER_GROWTH,
    );
  });

  test("a late event aggregated after its bucket was compacted moves the exit page exactly", async () => {
    const t = setupComponent();
    const siteId = await createTestSite(t, { rollupShardCount: 8 });
    const sent: SentEvent[] = [];
    const { grower } = await twoSessionsAtTen(t, sent);
    vi.setSystemTime(at(13, 30));
    await compactNow(t, siteId);
    expect(await shardsOfTenOClock(t, siteId)).toEqual([]);

    // Arrives 19 h late, within the 24 h an event may lag its arrival
    // (README, "Limits and bad input"), and joins the grower's session.
    await sendEvent(
      t,
      grower,
      pageview(grower, "/z", at(10, 40)),
      sent,
      at(30, 0),
    );
    const late = await exitPagesOfTen(t, siteId, sent);
    expect(late.expected).toEqual(EXIT_PAGES_AFTER_GROWTH);
    expect(late.actual).toEqual(late.expected);

    await compactNow(t, siteId);
    expect(await shardsOfTenOClock(t, siteId)).toEqual([]);
    expect((await exitPagesOfTen(t, siteId, sent)).actual).toEqual(
      EXIT_PAGES_AFTER_GROWTH,
    );
  });
});

// ---------------------------------------------------------------- one bucket of large rows

const LARGE_SHARDS = 80;
const LARGE_KEYS = 28;
const VISITORS_PER_SHARD = 12_000;
const VISITOR_STRIDE = 600;

/** 80 keyed rows of ~230 KB each in one bucket: ~18 MB, more than one transaction may read. */
async function seedLargeRows(t: TestInstance, siteId: string) {
  for (let first = 0; first < LARGE_SHARDS; first += 10) {
    const rows = Array.from({ length: 10 }, (_, i) =>
      bigKeyedEntries(
        LARGE_KEYS,
        visitorSketch((first + i) * VISITOR_STRIDE, VISITORS_PER_SHARD),
      ),
    );
    await t.run(async (ctx) => {
      for (let i = 0; i < 10; i++) {
        const { entries, bytes } = rows[i];
        await ctx.db.insert("rollupShards", {
          siteId,
          interval: "hour",
          bucketStart: STRESS_BUCKET,
          dimension: "keyed",
          shard: first + i,
          part: 0,
          entries,
          bytes,
        });
      }
    });
  }
}

describe("compaction of one bucket whose shard rows are large", () => {
  test("pages stay within the read limit by bytes, and the merged bucket keeps every count", async () => {
    const t = setupComponent();
    const siteId = await createTestSite(t, { rollupShardCount: 8 });
    await seedLargeRows(t, siteId);
    vi.setSystemTime(SETTLED_AT);

    const usages = await compactPageByPage(t, siteId);
    console.log(
      `large rows: ${usages.length} pages`,
      usages
        .map((u) => `${(u.bytesRead / 2 ** 20).toFixed(1)} MiB read`)
        .join(", "),
    );
    // A page reads its rows up to the byte cap plus the one row past it; a
    // merge reads each row it deletes or patches once more.
    // Plus the bucket's compact units, read and rewritten (here well under 1 MiB).
    const bound =
      2 * (COMPACTION_PAGE_BYTES + ROLLUP_ROW_BUDGET_BYTES) + 1024 * 1024;
    for (const usage of usages)
      expect(usage.bytesRead).toBeLessThanOrEqual(bound);
    expect(
      usages.filter((u) => u.bytesRead > COMPACTION_PAGE_BYTES).length,
    ).toBeGreaterThanOrEqual(4);

    expect(await rollupRows(t, siteId)).toEqual([]);
    const top = await t.query(api.analytics.getTopPages, {
      siteId,
      from: STRESS_BUCKET,
      to: STRESS_BUCKET + HOUR,
      limit: 100,
    });
    const distinct = (LARGE_SHARDS - 1) * VISITOR_STRIDE + VISITORS_PER_SHARD;
    expect(top.map((r) => [r.key, r.count, r.pageviewCount])).toEqual(
      Array.from({ length: LARGE_KEYS }, (_, j) => [
        `/p${j}`,
        3 * LARGE_SHARDS,
        3 * LARGE_SHARDS,
      ]).sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    );
    for (const row of top)
      expect(Math.abs(row.visitors - distinct) / distinct).toBeLessThan(0.02);
  });
});
