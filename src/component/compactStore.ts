/**
 * Reading and writing compact rollup units (tables `rollupTops` and
 * `rollupSketches`): one counts row per (unit, dimension) and its visitor
 * sketches split by rank band. See lib/topUnits.ts for what a unit means.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { OVERVIEW } from "./lib/rollupDelta.js";
import { decodeSketch, encodeSketch, isEmptySketch, sketchCardinality, type Sketch } from "./lib/sketch.js";
import { floorToLocalDay, zoneOffsetMs, DAY_MS, HOUR_MS } from "./lib/time.js";
import {
  SKETCH_BANDS,
  VALUE_FIELDS,
  bandOfRank,
  emptyUnit,
  sumEntries,
  truncateUnit,
  type RankUnit,
  type Unit,
  type UnitCounters,
  type UnitEntry,
} from "./lib/topUnits.js";
import type { RollupRow } from "./rollups.js";

export type TopsRow = Doc<"rollupTops">;
export type SketchRow = Doc<"rollupSketches">;

/** Unit levels: an hour, a local day, then blocks of 2^(level-1) local days. */
export const HOUR_LEVEL = 0;
export const DAY_LEVEL = 1;
/** Largest block: 256 days, so a 400-day range reads a handful of blocks. */
export const MAX_LEVEL = 9;

/**
 * Keys a unit keeps per dimension. Enough that the top 10 of a month are
 * proven exact at a million events a month, small enough that a 30-day top
 * list reads well under a megabyte of counts.
 */
export function keyLimit(level: number): number {
  return level === HOUR_LEVEL ? 50 : 200;
}

export function blockDays(level: number): number {
  return level <= DAY_LEVEL ? 1 : 2 ** (level - 1);
}

/** Days since 1970-01-01 of the local calendar date that starts at `dayStart`. */
export function localDayNumber(dayStart: number, timeZone: string): number {
  return Math.round((dayStart + zoneOffsetMs(dayStart + HOUR_MS * 12, timeZone)) / DAY_MS);
}

/** The first instant of local day number `n`. */
export function localDayStart(n: number, timeZone: string): number {
  const noonUtc = n * DAY_MS + 12 * HOUR_MS;
  return floorToLocalDay(noonUtc - zoneOffsetMs(noonUtc, timeZone), timeZone);
}

export type UnitRef = { siteId: string; dimension: string; level: number; bucketStart: number };

const unitIndex = (ref: UnitRef) => (q: any) =>
  q.eq("siteId", ref.siteId).eq("dimension", ref.dimension).eq("level", ref.level).eq("bucketStart", ref.bucketStart);

/** The unit a stored row belongs to. */
export function slotRef(row: TopsRow): UnitRef {
  return { siteId: row.siteId, dimension: row.dimension, level: row.level, bucketStart: row.bucketStart };
}

export async function readTopsRow(ctx: QueryCtx, ref: UnitRef): Promise<TopsRow | null> {
  return await ctx.db
    .query("rollupTops")
    .withIndex("by_siteId_and_dimension_and_level_and_bucketStart", unitIndex(ref))
    .unique();
}

export async function readSketchRows(ctx: QueryCtx, ref: UnitRef, bands?: number[]): Promise<SketchRow[]> {
  if (bands === undefined) {
    return await ctx.db
      .query("rollupSketches")
      .withIndex("by_siteId_and_dimension_and_level_and_bucketStart_and_band", unitIndex(ref))
      .collect();
  }
  const rows: SketchRow[] = [];
  for (const band of bands) {
    const row = await ctx.db
      .query("rollupSketches")
      .withIndex("by_siteId_and_dimension_and_level_and_bucketStart_and_band", (q) =>
        unitIndex(ref)(q).eq("band", band),
      )
      .unique();
    if (row) rows.push(row);
  }
  return rows;
}

/** The counters of a stored row, key by key, in rank order. */
export function countersOf(row: TopsRow): Map<string, UnitCounters> {
  const entries = new Map<string, UnitCounters>();
  const width = VALUE_FIELDS.length;
  row.keys.forEach((key, i) => {
    const at = i * width;
    const v = row.values;
    entries.set(key, {
      events: v[at],
      pageviews: v[at + 1],
      sessions: v[at + 2],
      bounces: v[at + 3],
      durationMs: v[at + 4],
      slack: v[at + 5],
    });
  });
  return entries;
}

export function rankUnitOf(row: TopsRow): RankUnit {
  return { entries: countersOf(row), restMax: row.restMax };
}

/** A whole stored unit with its sketches, for compaction to merge into. */
export async function readUnit(ctx: QueryCtx, ref: UnitRef): Promise<{ unit: Unit; row: TopsRow | null; sketchRows: SketchRow[] }> {
  const row = await readTopsRow(ctx, ref);
  if (!row) return { unit: emptyUnit(), row: null, sketchRows: [] };
  const sketchRows = await readSketchRows(ctx, ref);
  const sketches = new Map<string, ArrayBuffer>();
  for (const s of sketchRows) s.keys.forEach((k, i) => sketches.set(k, s.sketches[i]));
  const unit = emptyUnit();
  unit.restMax = row.restMax;
  for (const [key, c] of countersOf(row)) {
    const encoded = sketches.get(key);
    unit.entries.set(key, { key, ...c, sketch: encoded ? decodeSketch(encoded) : undefined });
  }
  return { unit, row, sketchRows };
}

function packValues(entries: UnitEntry[]): number[] {
  const values: number[] = [];
  for (const e of entries) for (const f of VALUE_FIELDS) values.push(e[f]);
  return values;
}

/**
 * Stores `unit` cut to its level's key limit, replacing what `previous`
 * held. Returns documents written. An empty unit deletes its rows.
 */
export async function writeUnit(
  ctx: MutationCtx,
  ref: UnitRef,
  unit: Unit,
  previous: { row: TopsRow | null; sketchRows: SketchRow[] },
): Promise<number> {
  const limit = ref.dimension === OVERVIEW ? 1 : keyLimit(ref.level);
  const { entries, restMax } = truncateUnit(unit, limit);
  let writes = 0;
  const oldBands = new Map(previous.sketchRows.map((r) => [r.band, r]));
  if (entries.length === 0 && restMax === 0) {
    if (previous.row) await ctx.db.delete(previous.row._id);
    for (const r of previous.sketchRows) await ctx.db.delete(r._id);
    return (previous.row ? 1 : 0) + previous.sketchRows.length;
  }
  const keys = entries.map((e) => e.key);
  const values = packValues(entries);
  const overviewSketch = ref.dimension === OVERVIEW ? entries[0]?.sketch : undefined;
  const counts = {
    ...ref,
    keys,
    values,
    restMax,
    ...(ref.dimension === OVERVIEW ? { visitors: overviewSketch ? sketchCardinality(overviewSketch) : 0 } : {}),
    bytes: keys.reduce((n, k) => n + k.length + 8 * VALUE_FIELDS.length, 64),
  };
  if (previous.row) await ctx.db.replace(previous.row._id, counts);
  else await ctx.db.insert("rollupTops", counts);
  writes++;

  const bands = new Map<number, { keys: string[]; sketches: ArrayBuffer[] }>();
  entries.forEach((e, rank) => {
    if (!e.sketch || isEmptySketch(e.sketch)) return;
    const band = bandOfRank(rank);
    let b = bands.get(band);
    if (!b) bands.set(band, (b = { keys: [], sketches: [] }));
    b.keys.push(e.key);
    b.sketches.push(encodeSketch(e.sketch));
  });
  for (const [band, b] of bands) {
    const doc = { ...ref, band, ...b, bytes: b.sketches.reduce((n, s) => n + s.byteLength + 16, 64) };
    const old = oldBands.get(band);
    oldBands.delete(band);
    if (old) await ctx.db.replace(old._id, doc);
    else await ctx.db.insert("rollupSketches", doc);
    writes++;
  }
  for (const old of oldBands.values()) {
    await ctx.db.delete(old._id);
    writes++;
  }
  return writes;
}

/** Band numbers holding the given ranks. */
export function bandsOfRanks(ranks: number[]): number[] {
  return [...new Set(ranks.map(bandOfRank))].sort((a, b) => a - b);
}

export const BAND_COUNT = SKETCH_BANDS.length;

/**
 * The exact units of live rollup rows, per dimension: every entry summed over
 * shards and parts (deltas, so `restMax` is 0 and nothing has slack).
 */
export function unitsOfLiveRows(rows: RollupRow[]): Map<string, Unit> {
  const units = new Map<string, Unit>();
  for (const row of rows) {
    for (const entry of row.entries) {
      const tab = entry.key.indexOf("\t");
      const dimension = row.dimension === OVERVIEW ? OVERVIEW : entry.key.slice(0, tab);
      const key = row.dimension === OVERVIEW ? "" : entry.key.slice(tab + 1);
      let unit = units.get(dimension);
      if (!unit) units.set(dimension, (unit = emptyUnit()));
      const sketch: Sketch = decodeSketch(entry.visitors);
      const existing = unit.entries.get(key);
      const next: UnitEntry = {
        key,
        events: entry.events,
        pageviews: entry.pageviews,
        sessions: entry.sessions,
        bounces: entry.bounces,
        durationMs: entry.durationMs,
        slack: 0,
        sketch,
      };
      if (!existing) unit.entries.set(key, next);
      else unit.entries.set(key, sumEntries(existing, next));
    }
  }
  return units;
}
