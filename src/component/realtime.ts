/**
 * Realtime (README, "How it works"): visitors now and pageviews per minute
 * for the last 30 minutes, from per-minute counts the aggregation run keeps,
 * plus the raw events it has not consumed yet, read newest first.
 *
 * Each (site, shard) stream keeps its recent minutes on its own row, written
 * in the same patch that moves the stream's cursor: parallel streams never
 * conflict, a query sees each event either in the minutes or after its
 * stream's cursor, never both, and the aggregation run writes no extra
 * document for it.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import {
  DistinctCounter,
  addToSketch,
  decodeSketch,
  encodeSketch,
  hashVisitor,
  type Sketch,
} from "./lib/sketch.js";
import { MINUTE_MS } from "./lib/time.js";
import type { Realtime, RealtimeLeftOut } from "./validators.js";

type EventDoc = Doc<"events">;
type StreamDoc = Doc<"aggregationStreams">;
/** A stream's recent minutes. */
export type RealtimeMinutes = NonNullable<StreamDoc["realtime"]>;
type Minute = RealtimeMinutes["minutes"][number];

export const REALTIME_WINDOW_MS = 30 * MINUTE_MS;
/** "Visitors now": the minute of `now` and the five whole minutes before it. */
export const REALTIME_VISITOR_MINUTES = 5;
/**
 * How far back a shard row keeps minute counts and visitor sketches, from
 * the writer's current minute: the window plus room for a `now` that lags
 * the clock by a few minutes (a dashboard passes the start of the minute).
 */
export const KEEP_COUNTS_MS = REALTIME_WINDOW_MS + 10 * MINUTE_MS;
export const KEEP_VISITORS_MS = (REALTIME_VISITOR_MINUTES + 5) * MINUTE_MS;
/** Shards a site can have (sites.ts). */
const MAX_SHARDS = 64;
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

/** Adds a visitor once: a minute's sketch is a set, not a count. */
function addVisitor(sketch: Sketch, hash: number): Sketch {
  if (sketch.kind === "exact" && sketch.counts.has(hash)) return sketch;
  return addToSketch(sketch, hash, 1);
}

/**
 * A stream's recent minutes after a run's events are added, trimmed of what
 * no answer needs any more (counts older than KEEP_COUNTS_MS, sketches
 * older than KEEP_VISITORS_MS); undefined when the run had no recent events
 * (the minutes stay as they are). Events older than the counts kept are
 * left out.
 */
export function nextRealtimeMinutes(
  row: RealtimeMinutes | undefined,
  events: EventDoc[],
): RealtimeMinutes | undefined {
  const current = floorToMinute(Date.now());
  const countsFrom = Math.max(row?.countsFrom ?? 0, current - KEEP_COUNTS_MS);
  const visitorsFrom = Math.max(
    row?.visitorsFrom ?? 0,
    current - KEEP_VISITORS_MS,
  );
  const recent = events.filter(
    (e) => floorToMinute(e.occurredAt) >= countsFrom,
  );
  if (recent.length === 0) return undefined;
  const minutes = new Map<number, Minute>(
    (row?.minutes ?? []).map((m) => [m.minuteStart, { ...m }]),
  );
  const sketches = new Map<number, Sketch>();
  for (const event of recent) {
    const minuteStart = floorToMinute(event.occurredAt);
    let minute = minutes.get(minuteStart);
    if (!minute) {
      minute = { minuteStart, events: 0, pageviews: 0 };
      minutes.set(minuteStart, minute);
    }
    minute.events++;
    if (event.type === "pageview") minute.pageviews++;
    if (minuteStart < visitorsFrom) continue;
    const sketch =
      sketches.get(minuteStart) ??
      decodeSketch(minute.visitors ?? new ArrayBuffer(0));
    sketches.set(minuteStart, addVisitor(sketch, hashVisitor(event.visitorId)));
  }
  for (const [minuteStart, sketch] of sketches)
    minutes.get(minuteStart)!.visitors = encodeSketch(sketch);
  const kept = [...minutes.values()]
    .filter((m) => m.minuteStart >= countsFrom)
    .sort((a, b) => a.minuteStart - b.minuteStart)
    .map(({ visitors, ...m }) =>
      visitors && m.minuteStart >= visitorsFrom ? { ...m, visitors } : m,
    );
  return { minutes: kept, countsFrom, visitorsFrom };
}

/** The minute buckets of one answer and the visitors of its last six minutes. */
class RealtimeTally {
  readonly perMinute: { minuteStart: number; pageviews: number }[];
  private readonly visitors = new DistinctCounter();

  constructor(
    readonly start: number,
    readonly end: number,
    readonly visitorsFrom: number,
  ) {
    this.perMinute = Array.from(
      { length: (end - start) / MINUTE_MS },
      (_, i) => ({ minuteStart: start + i * MINUTE_MS, pageviews: 0 }),
    );
  }

  private bucket(t: number) {
    return this.perMinute[Math.floor((t - this.start) / MINUTE_MS)];
  }

  addMinute(minute: Minute): void {
    const at = minute.minuteStart;
    if (at < this.start || at >= this.end) return;
    this.bucket(at).pageviews += minute.pageviews;
    if (at >= this.visitorsFrom && minute.visitors)
      this.visitors.add(decodeSketch(minute.visitors));
  }

  /**
   * The first instant from which this answer is complete given a row's
   * cutoffs: counts trimmed inside the window, or sketches trimmed inside
   * the visitors' minutes. Undefined when the row lost nothing it needs.
   */
  gapOf(row: RealtimeMinutes): number | undefined {
    const gaps = [
      row.countsFrom > this.start ? row.countsFrom : -Infinity,
      row.visitorsFrom > this.visitorsFrom ? row.visitorsFrom : -Infinity,
    ];
    const gap = Math.min(Math.max(...gaps), this.end);
    return gap === -Infinity ? undefined : gap;
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
 * Per shard, the arrival time up to which its events are in its row:
 * the stream's cursor, or during a rebuild's replay the cursor it had
 * before (replayed events were counted when first aggregated and are not
 * counted again). A shard without a stream row has consumed nothing.
 * (A stream's minutes and cursor are written in one patch.)
 */
async function readStreams(
  ctx: QueryCtx,
  site: Doc<"sites">,
): Promise<StreamDoc[]> {
  return await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", site._id))
    .take(MAX_SHARDS);
}

function aggregatedUpTo(site: Doc<"sites">, streams: StreamDoc[]) {
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
 * the shards' rows, then the events aggregation has not consumed yet. A
 * bound hit sets `truncated` and says in `leftOut` what was not counted.
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

  const streams = await readStreams(ctx, site);
  for (const stream of streams) {
    const row = stream.realtime;
    if (!row) continue;
    for (const minute of row.minutes) tally.addMinute(minute);
    // `now` reaches back past what the row keeps (an old `now`).
    const gap = tally.gapOf(row);
    if (gap !== undefined)
      leftOut.minutesBefore = Math.max(leftOut.minutesBefore ?? gap, gap);
  }

  const consumed = aggregatedUpTo(site, streams);
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
