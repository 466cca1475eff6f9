/**
 * Which stored rows answer a planned range (README, "How it works"):
 *
 * - whole local days that have coarse blocks: the fewest aligned blocks;
 * - other compacted days: their day units;
 * - days not compacted yet: their hours (or, in zones whose days do not
 *   start on a UTC hour, the live day rows);
 * - compacted hours: their hour units; other hours: live hour rows;
 * - the live rows of every compacted day and hour too, which hold only
 *   changes that arrived after compaction;
 * - raw events for the partial-hour edges.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import {
  DAY_LEVEL,
  HOUR_LEVEL,
  MAX_LEVEL,
  SHARED,
  blockDays,
  localDayNumber,
  localDayStart,
  viewOfShared,
  type TopsRow,
} from "./compactStore.js";
import { OVERVIEW, dayIsItsHours } from "./lib/rollupDelta.js";
import { NO_WATERMARK, readWatermark, type Watermark } from "./compaction.js";
import { contiguousRuns, type RangePlan, type Span } from "./lib/rangePlan.js";
import { HOUR_MS, floorToLocalDay, nextLocalDay } from "./lib/time.js";
import type { RollupRow } from "./rollups.js";
import type { Interval } from "./validators.js";

/** A compact unit a range uses: its level and first instant. */
export type UnitSlot = { level: number; bucketStart: number };

export type RangeSources = {
  units: UnitSlot[];
  /** Bucket starts whose live rows the range reads, per interval. */
  liveDays: number[];
  liveHours: number[];
  raw: Span[];
};

export async function siteWatermark(
  ctx: QueryCtx,
  siteId: string,
): Promise<Watermark> {
  const mark = await readWatermark(ctx, siteId);
  return mark
    ? {
        hoursBefore: mark.hoursBefore,
        daysBefore: mark.daysBefore,
        blocksBeforeDay: mark.blocksBeforeDay,
      }
    : NO_WATERMARK;
}

/** Aligned blocks (largest first) covering local day numbers [first, end). */
export function blocksCovering(
  first: number,
  end: number,
): { level: number; day: number }[] {
  const out: { level: number; day: number }[] = [];
  let day = first;
  while (day < end) {
    let level = MAX_LEVEL;
    while (
      level > DAY_LEVEL &&
      (day % blockDays(level) !== 0 || day + blockDays(level) > end)
    )
      level--;
    out.push({ level, day });
    day += blockDays(level);
  }
  return out;
}

/**
 * Maps a plan onto stored rows. `useBlocks` is off for timeseries, whose
 * buckets are single days or hours anyway.
 */
export function planSources(
  plan: RangePlan,
  mark: Watermark,
  timeZone: string,
  useBlocks = true,
): RangeSources {
  const sources: RangeSources = {
    units: [],
    liveDays: [],
    liveHours: [],
    raw: [...plan.raw],
  };
  const hours = [...plan.hours];
  const blockDayNumbers: number[] = [];
  // A compacted day's changes not folded in yet are live rows: per hour
  // where the day is made of whole hours, else per day.
  const liveChangesOf = (day: number) => {
    if (!dayIsItsHours(day)) sources.liveDays.push(day);
    else
      for (
        let h = day, end = nextLocalDay(day, timeZone);
        h < end;
        h += HOUR_MS
      )
        sources.liveHours.push(h);
  };
  for (const day of plan.days) {
    const n = localDayNumber(day, timeZone);
    if (useBlocks && n < mark.blocksBeforeDay) {
      blockDayNumbers.push(n);
      liveChangesOf(day);
    } else if (day < mark.daysBefore) {
      sources.units.push({ level: DAY_LEVEL, bucketStart: day });
      liveChangesOf(day);
    } else {
      const next = nextLocalDay(day, timeZone);
      if (dayIsItsHours(day))
        for (let h = day; h < next; h += HOUR_MS) hours.push(h);
      else sources.liveDays.push(day);
    }
  }
  if (blockDayNumbers.length > 0) {
    // Block days are contiguous: the plan's days are, and blocks precede the rest.
    const first = blockDayNumbers[0];
    for (const b of blocksCovering(first, first + blockDayNumbers.length)) {
      sources.units.push({
        level: b.level,
        bucketStart: localDayStart(b.day, timeZone),
      });
    }
  }
  hours.sort((a, b) => a - b);
  const inDayUnit = openDayPrefixes(hours, mark, timeZone, sources);
  for (const h of hours) {
    if (h < mark.hoursBefore && !inDayUnit.has(h))
      sources.units.push({ level: HOUR_LEVEL, bucketStart: h });
    sources.liveHours.push(h);
  }
  sources.liveHours.sort((a, b) => a - b);
  return sources;
}

/**
 * Today (any day not compacted as a whole yet) from its day unit: compaction
 * folds each hour into its day's unit as it folds it into the hour's, so the
 * day unit holds exactly the day's compacted hours. When the planned hours
 * cover a day from its start through every compacted hour, one day unit
 * replaces those hour units (the live rows of the rest are read as usual).
 * Returns the hours it covers.
 */
function openDayPrefixes(
  hours: number[],
  mark: Watermark,
  timeZone: string,
  sources: RangeSources,
): Set<number> {
  const covered = new Set<number>();
  const planned = new Set(hours);
  for (const h of hours) {
    if (h >= mark.hoursBefore || h < mark.daysBefore || !dayIsItsHours(h))
      continue;
    const day = floorToLocalDay(h, timeZone);
    if (day !== h) continue;
    const end = Math.min(nextLocalDay(day, timeZone), mark.hoursBefore);
    let all = true;
    for (let x = day; x < end && all; x += HOUR_MS) all = planned.has(x);
    if (!all) continue;
    sources.units.push({ level: DAY_LEVEL, bucketStart: day });
    for (let x = day; x < end; x += HOUR_MS) covered.add(x);
  }
  return covered;
}

const stepOf = (interval: Interval, timeZone: string) =>
  interval === "hour"
    ? (s: number) => s + HOUR_MS
    : (s: number) => nextLocalDay(s, timeZone);

/** Live rows of one row group for the given bucket starts: one index range per contiguous run. */
export async function readLiveRows(
  ctx: QueryCtx,
  site: Doc<"sites">,
  group: string,
  interval: Interval,
  starts: number[],
): Promise<RollupRow[]> {
  const rows: RollupRow[] = [];
  for (const run of contiguousRuns(starts, stepOf(interval, site.timezone))) {
    const found = await ctx.db
      .query("rollupShards")
      .withIndex("by_siteId_and_interval_and_dimension_and_bucketStart", (q) =>
        q
          .eq("siteId", site._id)
          .eq("interval", interval)
          .eq("dimension", group)
          .gte("bucketStart", run.start)
          .lt("bucketStart", run.end),
      )
      .collect();
    rows.push(...found);
  }
  return rows;
}

/**
 * The counts rows of `units` for one dimension. Hour and day units come in
 * one index range per contiguous run; blocks one lookup each.
 */
export async function readUnitRows(
  ctx: QueryCtx,
  site: Doc<"sites">,
  dimension: string,
  units: UnitSlot[],
): Promise<Map<string, TopsRow>> {
  const found = new Map<string, TopsRow>();
  const keep = (row: TopsRow) => found.set(slotKey(row), row);
  // Small units of hours and days may live in their bucket's shared row (the overview never does).
  const names = dimension === OVERVIEW ? [dimension] : [dimension, SHARED];
  for (const level of [HOUR_LEVEL, DAY_LEVEL]) {
    const starts = units
      .filter((u) => u.level === level)
      .map((u) => u.bucketStart);
    const step =
      level === HOUR_LEVEL
        ? stepOf("hour", site.timezone)
        : stepOf("day", site.timezone);
    for (const run of contiguousRuns(starts, step)) {
      for (const name of names) {
        const rows = await ctx.db
          .query("rollupTops")
          .withIndex("by_siteId_and_dimension_and_level_and_bucketStart", (q) =>
            q
              .eq("siteId", site._id)
              .eq("dimension", name)
              .eq("level", level)
              .gte("bucketStart", run.start)
              .lt("bucketStart", run.end),
          )
          .collect();
        for (const row of rows) {
          const view = name === SHARED ? viewOfShared(row, dimension) : row;
          if (view) keep(view);
        }
      }
    }
  }
  for (const unit of units) {
    if (unit.level <= DAY_LEVEL) continue;
    const row = await ctx.db
      .query("rollupTops")
      .withIndex("by_siteId_and_dimension_and_level_and_bucketStart", (q) =>
        q
          .eq("siteId", site._id)
          .eq("dimension", dimension)
          .eq("level", unit.level)
          .eq("bucketStart", unit.bucketStart),
      )
      .unique();
    if (row) keep(row);
  }
  return found;
}

export function slotKey(slot: UnitSlot): string {
  return `${slot.level}|${slot.bucketStart}`;
}
