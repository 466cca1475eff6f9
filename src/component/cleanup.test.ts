import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { CLEANUP_PAGE, CLEANUP_PAGE_BYTES } from "./maintenance.js";
import { bigKeyedEntries, visitorSketch } from "./testing/bigRows.js";
import { measure } from "./testing/meter.js";
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
  type SentEvent,
  type TruthSession,
} from "./testing/truth.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 5, 1);
/** Cleanup runs at midnight UTC ten days in, so five days' retention ends on a day boundary. */
const NOW = START + 10 * DAY;
const RETAINED_DAYS = 5;
/** A day boundary; retention ends half an hour later, inside the day and hour that start here. */
const CUTOFF = NOW - RETAINED_DAYS * DAY;
/** Rollup-cleanup tests run half an hour past midnight, so the cutoff instant straddles buckets. */
const RUN_AT = NOW + 30 * MINUTE;
const EXPIRES_BEFORE = RUN_AT - RETAINED_DAYS * DAY;

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => vi.useRealTimers());

/** One session with a pageview on each side of the retention cutoff instant. */
function straddlingBatch(): Batch {
  const who = { visitorId: "straddler", sessionId: "straddler-session" };
  const pageview = (path: string, occurredAt: number) => ({
    ...who,
    type: "pageview" as const,
    name: "pageview",
    path,
    occurredAt,
  });
  return {
    arrival: CUTOFF + 41 * MINUTE,
    ...who,
    context: { device: "desktop", country: "DE" },
    events: [
      pageview("/before-cutoff", CUTOFF + 10 * MINUTE),
      pageview("/after-cutoff", CUTOFF + 40 * MINUTE),
    ],
  };
}

type Traffic = {
  t: TestInstance;
  siteId: string;
  events: SentEvent[];
  sessions: TruthSession[];
};

/** Eight days of generated traffic, aggregated; the clock then moves to NOW. */
async function siteWithTraffic(
  settings: Record<string, number>,
  goals: { name: string; eventName?: string; pathPattern?: string }[] = [],
): Promise<Traffic> {
  const t = setupComponent();
  const siteId = await createTestSite(t, settings);
  for (const goal of goals)
    await t.mutation(api.goals.createGoal, { siteId, ...goal });
  const generated = generateTraffic({
    seed: 21,
    start: START,
    days: 8,
    visitors: 30,
    sessionsPerVisitor: [1, 3],
    eventsPerSession: [1, 6],
  });
  const batches = [...generated, straddlingBatch()].sort(
    (a, b) => a.arrival - b.arrival,
  );
  await replay(t, batches);
  const events = uniqueEvents(batches);
  vi.setSystemTime(RUN_AT);
  return { t, siteId, events, sessions: buildSessions(events, 30 * MINUTE) };
}

async function siteDocs<T extends "events" | "sessions" | "visitors">(
  t: TestInstance,
  table: T,
  siteId: string,
) {
  return await t.run(
    async (ctx) =>
      (await ctx.db.query(table).collect()).filter(
        (d) => d.siteId === siteId,
      ) as Doc<T>[],
  );
}

async function counts(t: TestInstance, siteId: string) {
  const rows = await rollupRows(t, siteId);
  return {
    events: (await siteDocs(t, "events", siteId)).length,
    sessions: (await siteDocs(t, "sessions", siteId)).length,
    visitors: (await siteDocs(t, "visitors", siteId)).length,
    hourRows: rows.filter((r) => r.interval === "hour").length,
    dayRows: rows.filter((r) => r.interval === "day").length,
  };
}

async function cleanupToTheEnd(t: TestInstance, siteId: string) {
  const first = await t.mutation(api.maintenance.cleanupSite, {
    siteId,
    runUntilComplete: true,
  });
  expect(first.skipped).toBe(false);
  await drain(t);
  await expectNoFailedJobs(t);
  return first;
}

async function expectNoFailedJobs(t: TestInstance) {
  const jobs = await t.run(async (ctx) =>
    ctx.db.system.query("_scheduled_functions").collect(),
  );
  expect(
    jobs
      .filter((j) => j.state.kind !== "success")
      .map((j) => [j.name, j.state]),
  ).toEqual([]);
}

function visitorsSeenSince(events: SentEvent[], cutoff: number): number {
  const lastSeen = new Map<string, number>();
  for (const e of events)
    lastSeen.set(
      e.visitorId,
      Math.max(lastSeen.get(e.visitorId) ?? 0, e.occurredAt),
    );
  return [...lastSeen.values()].filter((t) => t >= cutoff).length;
}

async function expectUnchangedAndTrue(
  traffic: Traffic,
  ranges: Range[],
  before: Awaited<ReturnType<typeof reportsFor>>,
) {
  const after = await reportsFor(traffic.t, traffic.siteId, ranges);
  expect(after).toEqual(before);
  for (const report of after)
    expectReportMatchesTruth(report, traffic.events, traffic.sessions);
}

describe("retention cleanup removes exactly what expired", () => {
  test("compact units expire like the live rows they came from: hour units by the hourly cutoff, day units by the daily one", async () => {
    // With goals, so their units (README, "Goals") expire with the rest.
    const traffic = await siteWithTraffic(
      {
        hourlyRollupRetentionDays: RETAINED_DAYS,
        dailyRollupRetentionDays: RETAINED_DAYS + 2,
      },
      [
        { name: "signup", eventName: "signup" },
        { name: "pages", pathPattern: "/page-*" },
      ],
    );
    const { t, siteId } = traffic;
    await t.mutation(api.compaction.compact, { siteId });
    await drain(t);
    const ranges = [
      { from: CUTOFF, to: CUTOFF + 2 * DAY },
      { from: CUTOFF + 3 * HOUR, to: NOW - 5 * HOUR },
    ];
    const before = await reportsFor(t, siteId, ranges);
    const units = async () =>
      await t.run(async (ctx) =>
        (await ctx.db.query("rollupTops").collect()).filter(
          (r) => r.siteId === siteId,
        ),
      );
    const unitsBefore = await units();
    const hourExpired = (r: { level: number; bucketStart: number }) =>
      r.level === 0 && r.bucketStart + HOUR <= EXPIRES_BEFORE;
    const dayExpired = (r: { level: number; bucketStart: number }) =>
      r.level === 1 && r.bucketStart + DAY <= EXPIRES_BEFORE - 2 * DAY;
    expect(unitsBefore.filter(hourExpired).length).toBeGreaterThan(0);
    expect(unitsBefore.filter(dayExpired).length).toBeGreaterThan(0);
    // Goal units (own rows, or entries "goal…\t…" of a shared row) expire too.
    const holdsGoals = (r: { dimension: string; keys: string[] }) =>
      r.dimension.startsWith("goal") ||
      r.keys.some((k) => k.startsWith("goal"));
    expect(
      unitsBefore.filter((r) => holdsGoals(r) && dayExpired(r)).length,
    ).toBeGreaterThan(0);
    expect(
      unitsBefore.some((r) => r.level === 0 && r.bucketStart === CUTOFF),
    ).toBe(true);

    await cleanupToTheEnd(t, siteId);

    const left = await units();
    expect(left.filter(hourExpired)).toEqual([]);
    expect(left.filter(dayExpired)).toEqual([]);
    const kept = unitsBefore.filter(
      (r) => !hourExpired(r) && !dayExpired(r) && r.level <= 1,
    );
    expect(
      left
        .filter((r) => r.level <= 1)
        .map((r) => r._id)
        .sort(),
    ).toEqual(kept.map((r) => r._id).sort());
    const sketchOrphans = await t.run(async (ctx) => {
      const ids = new Set(
        left.map((r) => `${r.dimension}|${r.level}|${r.bucketStart}`),
      );
      return (await ctx.db.query("rollupSketches").collect()).filter(
        (b) => !ids.has(`${b.dimension}|${b.level}|${b.bucketStart}`),
      ).length;
    });
    expect(sketchOrphans).toBe(0);
    await expectUnchangedAndTrue(traffic, ranges, before);
  });
  test("rawEventRetentionDays: raw events and visitors before the cutoff go, sessions a day and a timeout later; rollups and retained reports stay", async () => {
    const traffic = await siteWithTraffic({
      rawEventRetentionDays: RETAINED_DAYS,
    });
    const { t, siteId, events, sessions } = traffic;
    const ranges = [
      { from: CUTOFF + HOUR, to: NOW },
      { from: EXPIRES_BEFORE + 17 * MINUTE, to: NOW - 3 * HOUR - 5 * MINUTE },
      { from: START, to: CUTOFF }, // whole days: answered from rollups, raw events or not
    ];
    // The clock may move a little while the chain runs: no event sits right at the cutoff.
    expect(
      events.filter(
        (e) =>
          e.occurredAt >= EXPIRES_BEFORE &&
          e.occurredAt < EXPIRES_BEFORE + 5 * MINUTE,
      ),
    ).toEqual([]);
    const before = await reportsFor(t, siteId, ranges);
    const countsBefore = await counts(t, siteId);
    expect(countsBefore).toMatchObject({
      events: events.length,
      sessions: sessions.length,
      visitors: visitorsSeenSince(events, 0),
    });
    const rowsBefore = await rollupRows(t, siteId);

    await cleanupToTheEnd(t, siteId);

    const kept = events.filter((e) => e.occurredAt >= EXPIRES_BEFORE).length;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(events.length);
    expect(await counts(t, siteId)).toEqual({
      ...countsBefore,
      events: kept,
      // Sessions stay a day and a timeout longer, so a late event can still join them.
      sessions: sessions.filter(
        (s) => s.end >= EXPIRES_BEFORE - DAY - 30 * MINUTE,
      ).length,
      visitors: visitorsSeenSince(events, EXPIRES_BEFORE),
    });
    expect(
      (await siteDocs(t, "events", siteId)).every(
        (e) => e.occurredAt >= EXPIRES_BEFORE,
      ),
    ).toBe(true);
    expect(await rollupRows(t, siteId)).toEqual(rowsBefore);
    await expectUnchangedAndTrue(traffic, ranges, before);
  });

  test("hourlyRollupRetentionDays: live rows not yet compacted stay (a UTC day is built from its hours), and every report with them", async () => {
    const traffic = await siteWithTraffic({
      hourlyRollupRetentionDays: RETAINED_DAYS,
    });
    const { t, siteId } = traffic;
    const ranges = [
      { from: CUTOFF, to: CUTOFF + 2 * DAY },
      { from: CUTOFF + 3 * HOUR, to: NOW - 5 * HOUR },
      { from: START, to: NOW },
    ];
    const before = await reportsFor(t, siteId, ranges);
    const rowsBefore = await rollupRows(t, siteId);
    expect(
      rowsBefore.some(
        (r) => r.interval === "hour" && r.bucketStart + HOUR <= EXPIRES_BEFORE,
      ),
    ).toBe(true);
    // Days of a whole-hour zone have no live rows of their own.
    expect(rowsBefore.filter((r) => r.interval === "day")).toEqual([]);

    await cleanupToTheEnd(t, siteId);

    expect(await rollupRows(t, siteId)).toEqual(rowsBefore);
    await expectUnchangedAndTrue(traffic, ranges, before);
  });

  test("hourly and daily retention: live rows that end by both cutoffs go (not the one holding it); the retained days stay true", async () => {
    // A live hour row holds both its hour's and its day's data: it goes once both have expired.
    const traffic = await siteWithTraffic({
      hourlyRollupRetentionDays: RETAINED_DAYS,
      dailyRollupRetentionDays: RETAINED_DAYS,
    });
    const { t, siteId } = traffic;
    const ranges = [{ from: CUTOFF, to: NOW }];
    const before = await reportsFor(t, siteId, ranges);
    const rowsBefore = await rollupRows(t, siteId);
    const expired = rowsBefore.filter(
      (r) =>
        r.bucketStart + (r.interval === "hour" ? HOUR : DAY) <= EXPIRES_BEFORE,
    );
    expect(
      rowsBefore.some((r) => r.interval === "hour" && r.bucketStart === CUTOFF),
    ).toBe(true);
    expect(expired.length).toBeGreaterThan(0);

    await cleanupToTheEnd(t, siteId);

    const expiredIds = new Set(expired.map((r) => r._id));
    expect(await rollupRows(t, siteId)).toEqual(
      rowsBefore.filter((r) => !expiredIds.has(r._id)),
    );
    await expectUnchangedAndTrue(traffic, ranges, before);
  });
});

// ---------------------------------------------------------------- unaggregated events, overlap

function batchOf(visitorId: string, occurredAt: number, count: number) {
  return {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId,
    sessionId: `${visitorId}-session`,
    events: Array.from({ length: count }, (_, i) => ({
      type: "pageview" as const,
      path: `/p${i}`,
      occurredAt: occurredAt + i * 1000,
    })),
  };
}

test("events the aggregation has not passed yet are never deleted", async () => {
  const t = setupComponent();
  const siteId = await createTestSite(t, { rawEventRetentionDays: 1 });
  await t.mutation(
    api.ingest.ingestBatch,
    batchOf("aggregated", START - 10 * MINUTE, 3),
  );
  await drain(t);
  vi.setSystemTime(START + MINUTE);
  await t.mutation(
    api.ingest.ingestBatch,
    batchOf("pending", START - 5 * MINUTE, 4),
  );

  vi.setSystemTime(START + 3 * DAY);
  const first = await t.mutation(api.maintenance.cleanupSite, { siteId });
  // 3 events, their session and their visitor; the pending batch stays whole.
  expect(first).toEqual({ deleted: 5, done: true, skipped: false });
  const left = await siteDocs(t, "events", siteId);
  expect(left.map((e) => e.visitorId)).toEqual([
    "pending",
    "pending",
    "pending",
    "pending",
  ]);

  await drain(t); // aggregates the pending batch
  const second = await t.mutation(api.maintenance.cleanupSite, { siteId });
  expect(second).toEqual({ deleted: 6, done: true, skipped: false });
  expect(await siteDocs(t, "events", siteId)).toEqual([]);
  const overview = await t.query(api.analytics.getOverview, {
    siteId,
    from: START - HOUR,
    to: START + HOUR,
  });
  expect(overview).toMatchObject({
    events: 7,
    pageviews: 7,
    sessions: 2,
    visitors: 2,
  });
});

/** Inserts aggregated raw events directly, in chunks, and moves every stream cursor past them. */
async function seedAggregatedEvents(
  t: TestInstance,
  siteId: string,
  count: number,
  occurredAt: (i: number) => number,
  shards = [0, 1, 2, 3],
) {
  const chunk = 5_000;
  for (let start = 0; start < count; start += chunk) {
    await t.run(async (ctx) => {
      for (let i = start; i < Math.min(count, start + chunk); i++) {
        const at = occurredAt(i);
        await ctx.db.insert("events", {
          siteId,
          visitorId: `v${i % 500}`,
          sessionId: `s${i % 2000}`,
          type: "pageview",
          name: "pageview",
          path: "/",
          occurredAt: at,
          receivedAt: at,
          shard: shards[i % shards.length],
        });
      }
    });
  }
  const cursor = Date.now() + 1_000; // seeded _creationTimes are Date.now() plus a microsecond each
  await t.run(async (ctx) => {
    for (const shard of shards) {
      await ctx.db.insert("aggregationStreams", {
        siteId,
        shard,
        cursor,
        scheduled: false,
      });
    }
  });
}

async function countEventsBefore(
  t: TestInstance,
  siteId: string,
  cutoff: number,
  limit: number,
) {
  return await t.run(
    async (ctx) =>
      (
        await ctx.db
          .query("events")
          .withIndex("by_siteId_and_occurredAt", (q) =>
            q.eq("siteId", siteId).lt("occurredAt", cutoff),
          )
          .take(limit)
      ).length,
  );
}

test("a second cleanup started while one runs is skipped", async () => {
  vi.setSystemTime(NOW);
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    rawEventRetentionDays: RETAINED_DAYS,
  });
  const expiredCount = CLEANUP_PAGE.events + 500;
  await seedAggregatedEvents(t, siteId, expiredCount, (i) => START + i * 1000);

  const first = await t.mutation(api.maintenance.cleanupSite, {
    siteId,
    runUntilComplete: true,
  });
  expect(first).toEqual({
    deleted: CLEANUP_PAGE.events,
    done: false,
    skipped: false,
  });
  const second = await t.mutation(api.maintenance.cleanupSite, {
    siteId,
    runUntilComplete: true,
  });
  expect(second).toEqual({ deleted: 0, done: false, skipped: true });
  expect(await countEventsBefore(t, siteId, CUTOFF, expiredCount)).toBe(500);

  await drain(t);
  expect(await countEventsBefore(t, siteId, CUTOFF, expiredCount)).toBe(0);
  expect(
    await t.run(async (ctx) => ctx.db.query("maintenanceLeases").collect()),
  ).toEqual([]);
  const third = await t.mutation(api.maintenance.cleanupSite, { siteId });
  expect(third).toEqual({ deleted: 0, done: true, skipped: false });
});

test("100,000 expired events: the chain deletes them all within the transaction limits", async () => {
  vi.setSystemTime(NOW);
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    rawEventRetentionDays: RETAINED_DAYS,
  });
  const expired = 100_000;
  const retained = 1_000;
  const seedStarted = Date.now();
  const wall = vi.getRealSystemTime();
  await seedAggregatedEvents(t, siteId, expired + retained, (i) =>
    i < expired ? START + i * 3_000 : CUTOFF + HOUR + (i - expired) * 60_000,
  );
  expect(START + (expired - 1) * 3_000).toBeLessThan(CUTOFF);
  const seeded = vi.getRealSystemTime();
  expect(Date.now()).toBe(seedStarted);

  const first = await t.mutation(api.maintenance.cleanupSite, {
    siteId,
    runUntilComplete: true,
  });
  expect(first).toEqual({
    deleted: CLEANUP_PAGE.events,
    done: false,
    skipped: false,
  });
  await drain(t);
  await expectNoFailedJobs(t);
  const pages =
    (
      await t.run(async (ctx) =>
        ctx.db.system.query("_scheduled_functions").collect(),
      )
    ).filter((j) => j.name.includes("cleanupSite")).length + 1;
  const done = vi.getRealSystemTime();

  expect(await countEventsBefore(t, siteId, CUTOFF, 1)).toBe(0);
  expect(
    await countEventsBefore(t, siteId, Number.MAX_SAFE_INTEGER, 2 * retained),
  ).toBe(retained);
  // The count cap binds here, not the byte budget: every page but the last is full.
  expect(pages).toBe(Math.ceil(expired / CLEANUP_PAGE.events));
  console.log(
    `cleanup of ${expired} expired events: seeding ${seeded - wall} ms, ` +
      `${pages} cleanup pages in ${done - seeded} ms`,
  );
}, 300_000);

test("a backlog of unaggregated expired events does not stop the chain before the aggregated ones behind it", async () => {
  vi.setSystemTime(NOW);
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    rawEventRetentionDays: RETAINED_DAYS,
  });
  const backlog = CLEANUP_PAGE.events + 200;
  await t.run(async (ctx) => {
    // The oldest expired events belong to a stream whose aggregation has not passed them (cursor 0).
    for (let i = 0; i < backlog; i++) {
      const at = START + i;
      await ctx.db.insert("events", {
        siteId,
        visitorId: "stuck",
        sessionId: "stuck",
        type: "pageview",
        name: "pageview",
        occurredAt: at,
        receivedAt: at,
        shard: 1,
      });
    }
    await ctx.db.insert("aggregationStreams", {
      siteId,
      shard: 1,
      cursor: 0,
      scheduled: false,
    });
  });
  await seedAggregatedEvents(
    t,
    siteId,
    300,
    (i) => START + DAY + i * 1000,
    [0, 2, 3],
  );

  await cleanupToTheEnd(t, siteId);

  const left = await siteDocs(t, "events", siteId);
  expect(left.filter((e) => e.shard !== 1)).toEqual([]);
  expect(left.length).toBe(backlog);
});

test("expired live rows of ~230 KB each are deleted in pages that stay within the read limit", async () => {
  vi.setSystemTime(NOW);
  const t = setupComponent();
  // Live hour rows hold hours' and days' data until compacted: they go once both retentions passed.
  const siteId = await createTestSite(t, {
    hourlyRollupRetentionDays: RETAINED_DAYS,
    dailyRollupRetentionDays: RETAINED_DAYS,
  });
  const expiredHours = 100;
  // 28 keys sharing a HyperLogLog of 12,000 visitors (8 KiB stored): ~230 KB a row.
  const { entries, bytes } = bigKeyedEntries(28, visitorSketch(0, 12_000));
  for (let first = 0; first < expiredHours + 2; first += 10) {
    await t.run(async (ctx) => {
      for (let h = first; h < Math.min(first + 10, expiredHours + 2); h++) {
        // Hours 0-99 from START expired; the last two start at the cutoff and stay.
        const bucketStart =
          h < expiredHours
            ? START + h * HOUR
            : CUTOFF + (h - expiredHours) * HOUR;
        await ctx.db.insert("rollupShards", {
          siteId,
          interval: "hour",
          bucketStart,
          dimension: "keyed",
          shard: 0,
          part: 0,
          entries,
          bytes,
        });
      }
    });
  }
  expect(bytes).toBeGreaterThan(200_000);

  // One page per call, each measured: a page takes rows until its byte
  // budget is spent (so at most one row beyond it), reads one more row to
  // see that rows remain, and reads each row it deletes once more.
  const row = bytes + 1024;
  const bound = 2 * (CLEANUP_PAGE_BYTES + row) + row + 64 * 1024;
  const reads: number[] = [];
  for (let done = false; !done;) {
    const { result, usage } = await measure(() =>
      t.mutation(api.maintenance.cleanupSite, { siteId, maxPages: 1 }),
    );
    expect(usage.bytesRead).toBeLessThanOrEqual(bound);
    reads.push(usage.bytesRead);
    done = result.done;
    expect(reads.length).toBeLessThan(50);
  }
  const left = await rollupRows(t, siteId);
  expect(left.map((r) => r.bucketStart)).toEqual([CUTOFF, CUTOFF + HOUR]);
  expect(reads.length).toBeGreaterThanOrEqual(
    Math.ceil((expiredHours * bytes) / CLEANUP_PAGE_BYTES),
  );
  console.log(
    `cleanup of ${expiredHours} rows of ${bytes} bytes: ${reads.length} pages, MiB read`,
    reads.map((b) => (b / 2 ** 20).toFixed(1)).join(" "),
  );
});
