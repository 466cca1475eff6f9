/**
 * Realtime (README, "How it works"): visitors now and pageviews per minute
 * for the last 30 minutes, from per-minute rows the aggregation run writes,
 * plus the raw events it has not consumed yet, read newest first.
 *
 * A minute row belongs to one (site, UTC minute, shard): only the stream of
 * that shard writes it, in the same transaction that moves the stream's
 * cursor, so parallel streams never conflict and a query sees each event
 * either in a minute row or after its stream's cursor, never both.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import {
  DistinctCounter,
  addToSketch,
  decodeSketch,
  encodeSketch,
  hashVisitor,
  type Sketch,
} from "./lib/sketch.js";
import { HOUR_MS, MINUTE_MS } from "./lib/time.js";
import type { Realtime, RealtimeLeftOut } from "./validators.js";

type EventDoc = Doc<"events">;

/** Minute rows older than this (before the current minute) are deleted. */
export const REALTIME_KEEP_MS = HOUR_MS;
/** Old minute rows of its shard one aggregation run deletes at most. */
const PRUNE_PER_RUN = 10;
export const REALTIME_WINDOW_MS = 30 * MINUTE_MS;
/** "Visitors now": the minute of `now` and the five whole minutes before it. */
export const REALTIME_VISITOR_MINUTES = 5;
/** Shards a site can have (sites.ts); each writes at most one row per minute. */
const MAX_SHARDS = 64;
/** Minute rows one realtime answer reads at most: 30 minutes of every shard. */
export const MAX_REALTIME_ROWS = (REALTIME_WINDOW_MS / MINUTE_MS) * MAX_SHARDS;
/**
 * Raw events one realtime answer reads at most, newest first, to cover what
 * aggregation has not consumed yet. Normally that is the last 10–20 seconds
 * (SETTLE_MS plus a run); 2,000 events are over a minute at 50,000 an hour
 * even at 2.5 times the mean rate.
 */
export const MAX_PENDING_EVENTS = 2_000;
/** Arrival may trail occurrence, never lead it; this margin covers clock skew. */
const ARRIVAL_SLACK_MS = MINUTE_MS;

const floorToMinute = (t: number) => Math.floor(t / MINUTE_MS) * MINUTE_MS;

/** Adds a visitor once: a minute row's sketch is a set, not a count. */
function addVisitor(sketch: Sketch, hash: number): Sketch {
  if (sketch.kind === "exact" && sketch.counts.has(hash)) return sketch;
  return addToSketch(sketch, hash, 1);
}

/**
 * Adds a run's events to its shard's minute rows (one read and one write per
 * minute touched) and deletes a few of the shard's rows that are too old.
 * Events of a minute older than REALTIME_KEEP_MS are not kept: no realtime
 * answer reads them.
 */
export async function flushRealtimeMinutes(
  ctx: MutationCtx,
  siteId: string,
  shard: number,
  events: EventDoc[],
): Promise<void> {
  const keepFrom = floorToMinute(Date.now()) - REALTIME_KEEP_MS;
  const byMinute = new Map<number, EventDoc[]>();
  for (const event of events) {
    const minuteStart = floorToMinute(event.occurredAt);
    if (minuteStart < keepFrom) continue;
    const list = byMinute.get(minuteStart);
    if (list) list.push(event);
    else byMinute.set(minuteStart, [event]);
  }
  for (const [minuteStart, list] of byMinute) {
    const row = await ctx.db
      .query("realtimeMinutes")
      .withIndex("by_siteId_and_minuteStart", (q) =>
        q
          .eq("siteId", siteId)
          .eq("minuteStart", minuteStart)
          .eq("shard", shard),
      )
      .unique();
    let sketch = decodeSketch(row?.visitors ?? new ArrayBuffer(0));
    for (const event of list)
      sketch = addVisitor(sketch, hashVisitor(event.visitorId));
    const counts = {
      events: (row?.events ?? 0) + list.length,
      pageviews:
        (row?.pageviews ?? 0) +
        list.filter((e) => e.type === "pageview").length,
      visitors: encodeSketch(sketch),
    };
    if (row) await ctx.db.patch(row._id, counts);
    else
      await ctx.db.insert("realtimeMinutes", {
        siteId,
        minuteStart,
        shard,
        ...counts,
      });
  }
  const expired = await ctx.db
    .query("realtimeMinutes")
    .withIndex("by_siteId_and_shard_and_minuteStart", (q) =>
      q.eq("siteId", siteId).eq("shard", shard).lt("minuteStart", keepFrom),
    )
    .take(PRUNE_PER_RUN);
  for (const row of expired) await ctx.db.delete(row._id);
}

/** The minute buckets of one answer and the visitors of its last minutes. */
class RealtimeTally {
  readonly perMinute: { minuteStart: number; pageviews: number }[];
  private readonly visitors = new DistinctCounter();

  constructor(
    readonly start: number,
    readonly end: number,
    private readonly visitorsFrom: number,
  ) {
    this.perMinute = Array.from(
      { length: (end - start) / MINUTE_MS },
      (_, i) => ({ minuteStart: start + i * MINUTE_MS, pageviews: 0 }),
    );
  }

  private bucket(t: number) {
    return this.perMinute[Math.floor((t - this.start) / MINUTE_MS)];
  }

  addRow(row: Doc<"realtimeMinutes">): void {
    this.bucket(row.minuteStart).pageviews += row.pageviews;
    if (row.minuteStart >= this.visitorsFrom)
      this.visitors.add(decodeSketch(row.visitors));
  }

  addEvent(event: EventDoc): void {
    if (event.occurredAt < this.start || event.occurredAt >= this.end) return;
    if (event.type === "pageview") this.bucket(event.occurredAt).pageviews++;
    if (event.occurredAt >= this.visitorsFrom)
      this.visitors.addHash(hashVisitor(event.visitorId));
  }

  visitorCount(): number {
    return this.visitors.count();
  }
}

/**
 * Per shard, the arrival time up to which its events are in minute rows:
 * the stream's cursor, or during a rebuild's replay the cursor it had
 * before (replayed events were counted when first aggregated and are not
 * counted again). A shard without a stream row has consumed nothing.
 */
async function aggregatedUpTo(ctx: QueryCtx, site: Doc<"sites">) {
  const streams = await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", site._id))
    .take(MAX_SHARDS);
  const upTo = new Map(
    streams.map((s) => [s.shard, Math.max(s.cursor, s.replayUntil ?? 0)]),
  );
  let lowest = Math.min(Infinity, ...upTo.values());
  for (let shard = 0; shard < site.rollupShardCount; shard++)
    if (!upTo.has(shard)) lowest = 0;
  return { of: (shard: number) => upTo.get(shard) ?? 0, lowest };
}

/**
 * Visitors in the minute of `at` and the five before it, and pageviews per
 * minute for the 30 minutes ending with the minute of `at`, newest first:
 * minute rows, then the events aggregation has not consumed yet. A bound
 * hit sets `truncated` and says in `leftOut` what was not counted.
 */
export async function readRealtime(
  ctx: QueryCtx,
  site: Doc<"sites">,
  at: number,
): Promise<Realtime> {
  const end = floorToMinute(at) + MINUTE_MS;
  const start = end - REALTIME_WINDOW_MS;
  const tally = new RealtimeTally(
    start,
    end,
    end - (REALTIME_VISITOR_MINUTES + 1) * MINUTE_MS,
  );
  const leftOut: RealtimeLeftOut = {};

  const rows = await ctx.db
    .query("realtimeMinutes")
    .withIndex("by_siteId_and_minuteStart", (q) =>
      q.eq("siteId", site._id).gte("minuteStart", start).lt("minuteStart", end),
    )
    .order("desc")
    .take(MAX_REALTIME_ROWS + 1);
  if (rows.length > MAX_REALTIME_ROWS) {
    rows.pop();
    // The last minute read may be missing some of its shards' rows.
    leftOut.minutesBefore = rows[rows.length - 1].minuteStart + MINUTE_MS;
  }
  for (const row of rows) tally.addRow(row);

  const consumed = await aggregatedUpTo(ctx, site);
  const pending = await ctx.db
    .query("events")
    .withIndex("by_siteId", (q) =>
      q
        .eq("siteId", site._id)
        .gt(
          "_creationTime",
          Math.max(consumed.lowest, start - ARRIVAL_SLACK_MS),
        ),
    )
    .order("desc")
    .take(MAX_PENDING_EVENTS + 1);
  if (pending.length > MAX_PENDING_EVENTS) {
    pending.pop();
    leftOut.pendingArrivedBefore = pending[pending.length - 1]._creationTime;
  }
  for (const event of pending)
    if (event._creationTime > consumed.of(event.shard)) tally.addEvent(event);

  const truncated = Object.keys(leftOut).length > 0;
  return {
    visitors: tally.visitorCount(),
    pageviewsPerMinute: tally.perMinute,
    truncated,
    ...(truncated ? { leftOut } : {}),
  };
}
