/**
 * getRealtime (README, "Metric definitions": realtime): visitors with an
 * event in the minute of `now` or the five minutes before it, and pageviews
 * per minute for the 30 minutes ending with the minute of `now`. Expected
 * figures are counted here from the events sent.
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import { shardFor } from "./ingest.js";
import { MAX_PENDING_EVENTS } from "./realtime.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";

const MIN = 60_000;
/** `now` as the dashboard passes it: a whole minute. */
const NOW = Date.UTC(2026, 7, 20, 10, 30);
const SHARDS = 4;

type Sent = {
  visitorId: string;
  type: "pageview" | "track";
  occurredAt: number;
};

let t: TestInstance;
let siteId: string;

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW - 40 * MIN);
  t = setupComponent();
  siteId = await createTestSite(t, { rollupShardCount: SHARDS });
});
afterEach(() => vi.useRealTimers());

/** What getRealtime must answer for `now`, counted from the events sent. */
function expected(sent: Sent[], now: number) {
  const end = Math.floor(now / MIN) * MIN + MIN;
  const start = end - 30 * MIN;
  const recentFrom = end - 6 * MIN;
  const pageviews = new Map<number, number>();
  const visitors = new Set<string>();
  for (const e of sent) {
    if (e.occurredAt < start || e.occurredAt >= end) continue;
    const minute = Math.floor(e.occurredAt / MIN) * MIN;
    if (e.type === "pageview")
      pageviews.set(minute, (pageviews.get(minute) ?? 0) + 1);
    if (e.occurredAt >= recentFrom) visitors.add(e.visitorId);
  }
  return {
    visitors: visitors.size,
    pageviewsPerMinute: Array.from({ length: 30 }, (_, i) => ({
      minuteStart: start + i * MIN,
      pageviews: pageviews.get(start + i * MIN) ?? 0,
    })),
  };
}

/** Sends one ingest batch of one visitor's session at the current clock. */
async function ingest(
  visitorId: string,
  times: number[],
  sent: Sent[],
): Promise<void> {
  const events = times.map((occurredAt, k) => ({
    type: k % 3 === 2 ? ("track" as const) : ("pageview" as const),
    ...(k % 3 === 2 ? { name: "click" } : { path: `/p${k % 5}` }),
    occurredAt,
  }));
  await t.mutation(api.ingest.ingestBatch, {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId,
    sessionId: `${visitorId}-s`,
    events,
  });
  for (const e of events) sent.push({ visitorId, ...e });
}

const realtime = (now = NOW) =>
  t.query(api.analytics.getRealtime, { siteId, now });

/**
 * Writes `count` raw events straight into the events table (as ingest
 * would store them, shard included), 10,000 per transaction, arriving at
 * the current clock; aggregation then consumes them like any other events.
 */
async function insertOldEvents(count: number, sent: Sent[]): Promise<void> {
  const arrival = Date.now();
  const rows = Array.from({ length: count }, (_, i) => {
    // 500 visitors of 4 sessions of 10 events each, arriving session by session.
    const visitorId = `old-${Math.floor(i / 40)}`;
    const sessionId = `old-s-${Math.floor(i / 10)}`;
    // Spread over 10:01:00 .. 10:24:59, all before 10:25 = NOW − 5 min.
    const occurredAt = NOW - 29 * MIN + Math.floor((i * 24 * MIN) / count);
    const type = i % 4 === 3 ? ("track" as const) : ("pageview" as const);
    sent.push({ visitorId, type, occurredAt });
    return {
      siteId,
      visitorId,
      sessionId,
      type,
      name: type === "pageview" ? "pageview" : "click",
      ...(type === "pageview" ? { path: `/old/${i % 50}` } : {}),
      occurredAt,
      receivedAt: arrival,
      shard: shardFor(visitorId, sessionId, SHARDS),
    };
  });
  for (let i = 0; i < rows.length; i += 10_000) {
    await t.run(async (ctx) => {
      for (const row of rows.slice(i, i + 10_000))
        await ctx.db.insert("events", row);
    });
  }
}

/**
 * Runs the real aggregation job of every shard until it has consumed every
 * settled event, without the workpool's timers (which would move the fake
 * clock by many minutes for 20,000 events).
 */
async function aggregateSettled(): Promise<void> {
  for (let shard = 0; shard < SHARDS; shard++) {
    for (;;) {
      const run = await t.mutation(internal.aggregateJob.aggregateEventBatch, {
        siteId,
        shard,
      });
      if (run.processed === 0) break;
    }
  }
}

/** Lets what arrived settle (SETTLE_MS) and aggregates it, clock moved 10 s. */
async function settleAndAggregate(): Promise<void> {
  vi.setSystemTime(Date.now() + 10_000);
  await aggregateSettled();
}

test("20,000 older events do not hide 100 new visitors", async () => {
  const sent: Sent[] = [];
  vi.setSystemTime(NOW - 4 * MIN);
  await insertOldEvents(20_000, sent);
  vi.setSystemTime(NOW - 3 * MIN);
  await aggregateSettled();
  expect(await realtime()).toMatchObject({ visitors: 0, truncated: false });

  vi.setSystemTime(NOW + 20_000);
  for (let v = 0; v < 100; v++)
    await ingest(`new-${v}`, [NOW + 10_000, NOW + 15_000], sent);
  const want = expected(sent, NOW);
  expect(want.visitors).toBe(100);
  // The new events are not aggregated yet: read from the raw tail.
  expect(await realtime()).toEqual({ ...want, truncated: false });
  vi.setSystemTime(NOW + 30_000);
  await aggregateSettled();
  // Now all of them come from the streams' realtime minutes.
  expect(await realtime()).toEqual({ ...want, truncated: false });
}, 60_000);

test("events aggregation has not consumed yet are counted once", async () => {
  const sent: Sent[] = [];
  // Aggregated wave: 30 visitors across the window.
  vi.setSystemTime(NOW - 2 * MIN);
  for (let v = 0; v < 30; v++)
    await ingest(
      `a-${v}`,
      [NOW - 28 * MIN + v * 40_000, NOW - 2 * MIN - v * 1_000],
      sent,
    );
  await settleAndAggregate();
  // Lagging wave, same and new visitors, including late events of an earlier minute.
  vi.setSystemTime(NOW + 30_000);
  for (let v = 20; v < 45; v++)
    await ingest(`a-${v}`, [NOW - 12 * MIN, NOW + 5_000, NOW + 25_000], sent);
  const want = expected(sent, NOW);
  expect(want.visitors).toBe(45);
  expect(await realtime()).toEqual({ ...want, truncated: false });
  await settleAndAggregate();
  expect(await realtime()).toEqual({ ...want, truncated: false });
  // A `now` later in the minute answers the same (minute buckets).
  expect(await realtime(NOW + 59_999)).toEqual({ ...want, truncated: false });
});

test("a rebuild's replay neither drops nor double-counts realtime", async () => {
  const sent: Sent[] = [];
  vi.setSystemTime(NOW - MIN);
  for (let v = 0; v < 12; v++)
    await ingest(`r-${v}`, [NOW - 20 * MIN + v * MIN, NOW - 2 * MIN], sent);
  await settleAndAggregate();
  const want = { ...expected(sent, NOW), truncated: false };
  expect(await realtime()).toEqual(want);
  // The state restartStreams leaves: cursors back, the old cursors as replayUntil.
  await t.run(async (ctx) => {
    const streams = await ctx.db.query("aggregationStreams").collect();
    for (const s of streams)
      await ctx.db.patch("aggregationStreams", s._id, {
        cursor: 0,
        replayUntil: s.cursor,
      });
  });
  expect(await realtime()).toEqual(want);
  await t.run(async (ctx) => {
    const streams = await ctx.db.query("aggregationStreams").collect();
    for (const s of streams)
      await ctx.db.patch("aggregationStreams", s._id, {
        cursor: s.replayUntil!,
        replayUntil: undefined,
      });
  });
  await t.mutation(api.rebuild.rebuildRollups, { siteId });
  await drain(t);
  expect(await realtime()).toEqual(want);
});

test("too many events waiting for aggregation: the answer says so", async () => {
  const sent: Sent[] = [];
  const batches = Math.ceil(MAX_PENDING_EVENTS / 50) + 5;
  vi.setSystemTime(NOW);
  for (let b = 0; b < batches; b++) {
    vi.setSystemTime(NOW + b * 100);
    await ingest(
      `b-${b}`,
      Array.from({ length: 50 }, () => NOW + b * 100),
      sent,
    );
  }
  const answer = await realtime();
  expect(answer.truncated).toBe(true);
  // Newest first: the last MAX_PENDING_EVENTS events sent are the ones counted.
  const newest = sent.slice(sent.length - MAX_PENDING_EVENTS);
  expect(answer).toEqual({
    ...expected(newest, NOW),
    truncated: true,
    leftOut: { pendingArrivedBefore: expect.any(Number) },
  });
  // What was left out: the batches that arrived before that instant.
  const cut = answer.leftOut!.pendingArrivedBefore!;
  expect(cut).toBeGreaterThanOrEqual(NOW + (batches - 40) * 100);
  expect(cut).toBeLessThan(NOW + (batches - 39) * 100);
  vi.setSystemTime(NOW + 30_000);
  await aggregateSettled();
  expect(await realtime()).toEqual({
    ...expected(sent, NOW),
    truncated: false,
  });
});

test("a shard's row keeps only recent minutes; an older `now` is flagged", async () => {
  const sent: Sent[] = [];
  vi.setSystemTime(NOW - 50 * MIN);
  for (let v = 0; v < 40; v++)
    await ingest(`p-${v}`, [NOW - 55 * MIN, NOW - 51 * MIN], sent);
  vi.setSystemTime(NOW - 49 * MIN);
  await aggregateSettled();
  vi.setSystemTime(NOW + 20 * MIN);
  // Later sessions reach every shard, so every shard's run trims its minutes.
  for (let v = 0; v < 40; v++)
    await ingest(`q-${v}`, [NOW + 19 * MIN + v * 1_000], sent);
  vi.setSystemTime(NOW + 21 * MIN);
  await aggregateSettled();
  const rows = (
    await t.run(
      async (ctx) => await ctx.db.query("aggregationStreams").collect(),
    )
  ).map((stream) => stream.realtime!);
  expect(rows).toHaveLength(SHARDS);
  // Counts for the last 40 minutes, sketches for the last 10, of the writer's clock.
  const current = NOW + 21 * MIN;
  for (const row of rows) {
    expect(row.countsFrom).toBe(current - 40 * MIN);
    expect(row.visitorsFrom).toBe(current - 10 * MIN);
    expect(row.minutes.map((m) => m.minuteStart)).toEqual([NOW + 19 * MIN]);
  }
  expect(await realtime(NOW + 21 * MIN)).toEqual({
    ...expected(sent, NOW + 21 * MIN),
    truncated: false,
  });
  // NOW − 10 min: its visitors' minutes lost their sketches and its first
  // minutes their counts, so nothing up to the window's end is complete.
  const old = await realtime(NOW - 10 * MIN);
  expect(old).toMatchObject({
    truncated: true,
    leftOut: { minutesBefore: NOW - 9 * MIN },
  });
  // A `now` 5 minutes behind the writer's clock is still complete.
  expect(await realtime(current - 5 * MIN)).toMatchObject({ truncated: false });
});
