import type { Interval } from "../validators.js";

/** Additive change to one key of one rollup bucket. */
export type Delta = {
  events: number;
  pageviews: number;
  sessions: number;
  bounces: number;
  durationMs: number;
  /** Visitor hash -> change of its reference count. */
  visitors: Map<number, number>;
};

export type DeltaCounters = Partial<Omit<Delta, "visitors">>;

/** The dimension that holds site-wide totals, under the key "". */
export const OVERVIEW = "overview";

/** The group row that holds every top-list dimension's keys. */
export const KEYED = "keyed";

/**
 * Which rollup row group a dimension lives in. The overview stays alone
 * because the most frequent queries (overview, timeseries) need only it;
 * every top-list dimension shares one row, so an aggregation run writes two
 * rows per bucket instead of one per dimension.
 */
export function rowGroupOf(dimension: string): string {
  return dimension === OVERVIEW ? OVERVIEW : KEYED;
}

/** Entry key inside a group row: the dimension, a tab, then the key. */
export function entryKey(dimension: string, key: string): string {
  return dimension === OVERVIEW ? "" : `${dimension}\t${key}`;
}

export function groupKey(
  interval: Interval,
  bucketStart: number,
  dimension: string,
): string {
  return `${interval}|${bucketStart}|${dimension}`;
}

export function parseGroupKey(key: string): {
  interval: Interval;
  bucketStart: number;
  dimension: string;
} {
  const [interval, bucketStart, dimension] = key.split("|");
  return {
    interval: interval as Interval,
    bucketStart: Number(bucketStart),
    dimension,
  };
}

/**
 * In-memory sum of every rollup change of one aggregation run, so each
 * touched rollup row is read and written once however many events hit it.
 */
export class RollupDeltas {
  readonly groups = new Map<string, Map<string, Delta>>();

  add(
    interval: Interval,
    bucketStart: number,
    dimension: string,
    key: string,
    counters: DeltaCounters,
    visitor?: { hash: number; delta: number },
  ): void {
    const gk = groupKey(interval, bucketStart, rowGroupOf(dimension));
    let group = this.groups.get(gk);
    if (!group) this.groups.set(gk, (group = new Map()));
    const k = entryKey(dimension, key);
    let delta = group.get(k);
    if (!delta) {
      delta = {
        events: 0,
        pageviews: 0,
        sessions: 0,
        bounces: 0,
        durationMs: 0,
        visitors: new Map(),
      };
      group.set(k, delta);
    }
    delta.events += counters.events ?? 0;
    delta.pageviews += counters.pageviews ?? 0;
    delta.sessions += counters.sessions ?? 0;
    delta.bounces += counters.bounces ?? 0;
    delta.durationMs += counters.durationMs ?? 0;
    if (visitor && visitor.delta !== 0) {
      const next = (delta.visitors.get(visitor.hash) ?? 0) + visitor.delta;
      if (next === 0) delta.visitors.delete(visitor.hash);
      else delta.visitors.set(visitor.hash, next);
    }
  }

  /**
   * Adds to the hourly bucket of an instant, and to its daily bucket only
   * when that day does not start on a UTC hour (zones with half-hour
   * offsets): elsewhere a day is its hours, and compaction builds the day's
   * unit from them (README, "How it works"), so live rows stay per hour.
   */
  addBoth(
    hour: number,
    day: number,
    dimension: string,
    key: string,
    counters: DeltaCounters,
    visitor?: { hash: number; delta: number },
  ): void {
    this.add("hour", hour, dimension, key, counters, visitor);
    if (!dayIsItsHours(day))
      this.add("day", day, dimension, key, counters, visitor);
  }
}

/** True when the local day starting at `dayStart` is made of whole UTC hours (its end is checked by the caller's zone). */
export function dayIsItsHours(dayStart: number): boolean {
  return dayStart % 3_600_000 === 0;
}

export function isZeroDelta(d: Delta): boolean {
  return (
    d.events === 0 &&
    d.pageviews === 0 &&
    d.sessions === 0 &&
    d.bounces === 0 &&
    d.durationMs === 0 &&
    d.visitors.size === 0
  );
}
