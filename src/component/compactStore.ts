/**
 * Reading and writing compact rollup units (tables `rollupTops` and
 * `rollupSketches`): one counts row per (unit, dimension) and its visitor
 * sketches split by rank band. See lib/topUnits.ts for what a unit means.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { OVERVIEW } from "./lib/rollupDelta.js";
import {
  decodeSketch,
  encodeSketch,
  isEmptySketch,
  sketchCardinality,
  type Sketch,
} from "./lib/sketch.js";
import { floorToLocalDay, zoneOffsetMs, DAY_MS, HOUR_MS } from "./lib/time.js";
import {
  INLINE_SKETCH_BYTES,
  VALUE_FIELDS,
  bandOfRank,
  bandStartsFor,
  emptyUnit,
  sumEntries,
  truncateUnit,
  type RankUnit,
  type Unit,
  type UnitCounters,
  type UnitEntry,
} from "./lib/topUnits.js";
import type { RollupRow } from "./rollups.js";
import { capPropertyValues } from "./lib/propertyCap.js";

export type TopsRow = Doc<"rollupTops">;
export type SketchRow = Doc<"rollupSketches">;

/** Unit levels: an hour, a local day, then blocks of 2^(level-1) local days. */
export const HOUR_LEVEL = 0;
export const DAY_LEVEL = 1;
/** Largest block: 256 days, so a 400-day range reads a handful of blocks. */
export const MAX_LEVEL = 9;

/**
 * Keys a unit keeps per dimension. Enough that the top 10 of every preset
 * are proven exact at a million events a month, small enough that a 30-day
 * top list reads well under a megabyte.
 */
export function keyLimit(level: number): number {
  // A day unit grows hour by hour; room for many keys means a key that first
  // shows up late in the day still finds the unit exact for it.
  return level === DAY_LEVEL ? 500 : 200;
}

export function blockDays(level: number): number {
  return level <= DAY_LEVEL ? 1 : 2 ** (level - 1);
}

/** Days since 1970-01-01 of the local calendar date that starts at `dayStart`. */
export function localDayNumber(dayStart: number, timeZone: string): number {
  return Math.round(
    (dayStart + zoneOffsetMs(dayStart + HOUR_MS * 12, timeZone)) / DAY_MS,
  );
}

/** The first instant of local day number `n`. */
export function localDayStart(n: number, timeZone: string): number {
  const noonUtc = n * DAY_MS + 12 * HOUR_MS;
  return floorToLocalDay(noonUtc - zoneOffsetMs(noonUtc, timeZone), timeZone);
}

export type UnitRef = {
  siteId: string;
  dimension: string;
  level: number;
  bucketStart: number;
};

/**
 * The dimension name of a bucket's shared row. A unit that is complete (no
 * key left out) and small lives there, with every other such unit of the
 * bucket, instead of in a row of its own: at low traffic one compaction of a
 * bucket then writes two rows (overview and shared) instead of one per
 * dimension. Its keys are "dimension\tkey"; its sketches are inline.
 */
export const SHARED = "*";
/** Largest unit (keys, counters and sketches, in bytes) that goes into the shared row. */
export const SHARED_UNIT_BYTES = 2 * 1024;

// One prefix for two indexes (rollupTops' and rollupSketches'); Convex types a
// range builder per index, and no single type covers both.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const unitIndex = (ref: UnitRef) => (q: any) =>
  q
    .eq("siteId", ref.siteId)
    .eq("dimension", ref.dimension)
    .eq("level", ref.level)
    .eq("bucketStart", ref.bucketStart);

/** The unit a stored row belongs to. */
export function slotRef(row: TopsRow): UnitRef {
  return {
    siteId: row.siteId,
    dimension: row.dimension,
    level: row.level,
    bucketStart: row.bucketStart,
  };
}

export async function readTopsRow(
  ctx: QueryCtx,
  ref: UnitRef,
): Promise<TopsRow | null> {
  return await ctx.db
    .query("rollupTops")
    .withIndex(
      "by_siteId_and_dimension_and_level_and_bucketStart",
      unitIndex(ref),
    )
    .unique();
}

export async function readSketchRows(
  ctx: QueryCtx,
  ref: UnitRef,
  bands?: number[],
): Promise<SketchRow[]> {
  if (bands === undefined) {
    return await ctx.db
      .query("rollupSketches")
      .withIndex(
        "by_siteId_and_dimension_and_level_and_bucketStart_and_band",
        unitIndex(ref),
      )
      .collect();
  }
  const rows: SketchRow[] = [];
  for (const band of bands) {
    const row = await ctx.db
      .query("rollupSketches")
      .withIndex(
        "by_siteId_and_dimension_and_level_and_bucketStart_and_band",
        (q) => unitIndex(ref)(q).eq("band", band),
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

/**
 * A whole stored unit with its sketches, for compaction to merge into: from
 * its own row, or from the bucket's shared row (`row` is then null: the
 * unit has no row of its own).
 */
export async function readUnit(
  ctx: QueryCtx,
  ref: UnitRef,
): Promise<{ unit: Unit; row: TopsRow | null; sketchRows: SketchRow[] }> {
  const row = await readTopsRow(ctx, ref);
  if (!row) {
    const shared =
      ref.dimension === SHARED
        ? null
        : await readTopsRow(ctx, { ...ref, dimension: SHARED });
    const view = shared && viewOfShared(shared, ref.dimension);
    return {
      unit: view ? unitOfInlineRow(view) : emptyUnit(),
      row: null,
      sketchRows: [],
    };
  }
  const sketchRows = row.sketches ? [] : await readSketchRows(ctx, ref);
  const sketches = new Map<string, ArrayBuffer>();
  row.sketches?.forEach((encoded, i) => sketches.set(row.keys[i], encoded));
  for (const s of sketchRows)
    s.keys.forEach((k, i) => sketches.set(k, s.sketches[i]));
  const unit = emptyUnit();
  unit.restMax = row.restMax;
  for (const [key, c] of countersOf(row)) {
    const encoded = sketches.get(key);
    unit.entries.set(key, {
      key,
      ...c,
      sketch:
        encoded && encoded.byteLength > 0 ? decodeSketch(encoded) : undefined,
    });
  }
  return { unit, row, sketchRows };
}

/**
 * The encoded sketches of `keys` in `row`: inline ones directly, banded ones
 * by reading only the bands that hold those keys' ranks.
 */
export async function sketchesOfKeys(
  ctx: QueryCtx,
  row: TopsRow,
  keys: string[],
): Promise<Map<string, ArrayBuffer>> {
  const found = new Map<string, ArrayBuffer>();
  const rank = new Map(row.keys.map((k, i) => [k, i]));
  const ranks = keys.flatMap((k) => (rank.has(k) ? [rank.get(k)!] : []));
  if (ranks.length === 0) return found;
  if (row.sketches) {
    for (const r of ranks)
      if (row.sketches[r].byteLength > 0)
        found.set(row.keys[r], row.sketches[r]);
    return found;
  }
  const bands = [
    ...new Set(ranks.map((r) => bandOfRank(r, row.bandStarts ?? [0]))),
  ].sort((a, b) => a - b);
  const wanted = new Set(keys);
  for (const band of await readSketchRows(ctx, slotRef(row), bands)) {
    band.keys.forEach(
      (k, i) => wanted.has(k) && found.set(k, band.sketches[i]),
    );
  }
  return found;
}

/** One dimension's part of a shared row, shaped as a row of its own (restMax 0, sketches inline). */
export function viewOfShared(
  shared: TopsRow,
  dimension: string,
): TopsRow | null {
  const prefix = `${dimension}\t`;
  const keys: string[] = [];
  const values: number[] = [];
  const sketches: ArrayBuffer[] = [];
  const width = VALUE_FIELDS.length;
  shared.keys.forEach((k, i) => {
    if (!k.startsWith(prefix)) return;
    keys.push(k.slice(prefix.length));
    values.push(...shared.values.slice(i * width, (i + 1) * width));
    sketches.push(shared.sketches?.[i] ?? EMPTY);
  });
  if (keys.length === 0) return null;
  return { ...shared, dimension, keys, values, sketches, restMax: 0 };
}

function unitOfInlineRow(row: TopsRow): Unit {
  const unit = emptyUnit();
  const counters = countersOf(row);
  row.keys.forEach((key, i) => {
    const encoded = row.sketches?.[i];
    unit.entries.set(key, {
      key,
      ...counters.get(key)!,
      sketch:
        encoded && encoded.byteLength > 0 ? decodeSketch(encoded) : undefined,
    });
  });
  return unit;
}

/** Every dimension's unit in a shared row. */
export function unitsOfShared(shared: TopsRow | null): Map<string, Unit> {
  const units = new Map<string, Unit>();
  if (!shared) return units;
  const dimensions = new Set(
    shared.keys.map((k) => k.slice(0, k.indexOf("\t"))),
  );
  for (const d of dimensions)
    units.set(d, unitOfInlineRow(viewOfShared(shared, d)!));
  return units;
}

/** The unit's entries and encoded sketches when it may live in the shared row, else null. */
export function sharedForm(
  unit: Unit,
  level: number,
): { entries: UnitEntry[]; encoded: ArrayBuffer[] } | null {
  const { entries, restMax } = truncateUnit(unit, keyLimit(level));
  if (restMax > 0 || entries.some((e) => e.slack > 0)) return null;
  const encoded = entries.map((e) =>
    e.sketch && !isEmptySketch(e.sketch) ? encodeSketch(e.sketch) : EMPTY,
  );
  const bytes = entries.reduce(
    (n, e, i) =>
      n + e.key.length + 8 * VALUE_FIELDS.length + encoded[i].byteLength,
    0,
  );
  return bytes <= SHARED_UNIT_BYTES ? { entries, encoded } : null;
}

/** Rewrites a bucket's shared row to hold exactly `units` (each in shared form). Returns documents written. */
export async function writeShared(
  ctx: MutationCtx,
  ref: Omit<UnitRef, "dimension">,
  previous: TopsRow | null,
  units: Map<string, { entries: UnitEntry[]; encoded: ArrayBuffer[] }>,
): Promise<number> {
  const keys: string[] = [];
  const values: number[] = [];
  const sketches: ArrayBuffer[] = [];
  for (const [dimension, form] of [...units].sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    form.entries.forEach((e, i) => {
      keys.push(`${dimension}\t${e.key}`);
      for (const f of VALUE_FIELDS) values.push(e[f]);
      sketches.push(form.encoded[i]);
    });
  }
  if (keys.length === 0) {
    if (!previous) return 0;
    await ctx.db.delete("rollupTops", previous._id);
    return 1;
  }
  const bytes =
    keys.reduce((n, k) => n + k.length + 8 * VALUE_FIELDS.length, 64) +
    sketches.reduce((n, b) => n + b.byteLength, 0);
  const doc = {
    ...ref,
    dimension: SHARED,
    keys,
    values,
    restMax: 0,
    sketches,
    bytes,
  };
  if (previous) await ctx.db.replace("rollupTops", previous._id, doc);
  else await ctx.db.insert("rollupTops", doc);
  return 1;
}

/** Deletes a unit's own rows (it moved into the shared row). */
export async function deleteOwnRows(
  ctx: MutationCtx,
  previous: { row: TopsRow | null; sketchRows: SketchRow[] },
): Promise<number> {
  if (previous.row) await ctx.db.delete("rollupTops", previous.row._id);
  for (const r of previous.sketchRows)
    await ctx.db.delete("rollupSketches", r._id);
  return (previous.row ? 1 : 0) + previous.sketchRows.length;
}

function packValues(entries: UnitEntry[]): number[] {
  const values: number[] = [];
  for (const e of entries) for (const f of VALUE_FIELDS) values.push(e[f]);
  return values;
}

/**
 * Stores `unit` cut to its level's key limit, replacing what `previous`
 * held: sketches inline while small, else in bands (see INLINE_SKETCH_BYTES).
 * Returns documents written. An empty unit deletes its rows.
 */
export async function writeUnit(
  ctx: MutationCtx,
  ref: UnitRef,
  unit: Unit,
  previous: { row: TopsRow | null; sketchRows: SketchRow[] },
): Promise<number> {
  const limit = ref.dimension === OVERVIEW ? 1 : keyLimit(ref.level);
  const { entries, restMax } = truncateUnit(unit, limit);
  const oldBands = new Map(previous.sketchRows.map((r) => [r.band, r]));
  if (entries.length === 0 && restMax === 0) {
    if (previous.row) await ctx.db.delete("rollupTops", previous.row._id);
    for (const r of previous.sketchRows)
      await ctx.db.delete("rollupSketches", r._id);
    return (previous.row ? 1 : 0) + previous.sketchRows.length;
  }
  const keys = entries.map((e) => e.key);
  const encoded = entries.map((e) =>
    e.sketch && !isEmptySketch(e.sketch) ? encodeSketch(e.sketch) : EMPTY,
  );
  const sketchBytes = encoded.reduce((n, b) => n + b.byteLength, 0);
  const inline = sketchBytes <= INLINE_SKETCH_BYTES;
  const bandStarts = inline
    ? []
    : bandStartsFor(encoded.map((b) => b.byteLength));
  const overviewSketch =
    ref.dimension === OVERVIEW ? entries[0]?.sketch : undefined;
  const counts = {
    ...ref,
    keys,
    values: packValues(entries),
    restMax,
    ...(inline ? { sketches: encoded } : { bandStarts }),
    ...(ref.dimension === OVERVIEW
      ? { visitors: overviewSketch ? sketchCardinality(overviewSketch) : 0 }
      : {}),
    bytes:
      keys.reduce((n, k) => n + k.length + 8 * VALUE_FIELDS.length, 64) +
      (inline ? sketchBytes : 0),
  };
  if (previous.row)
    await ctx.db.replace("rollupTops", previous.row._id, counts);
  else await ctx.db.insert("rollupTops", counts);
  let writes = 1;
  for (let band = 0; band < bandStarts.length; band++) oldBands.delete(band);
  for (let band = 0; band < bandStarts.length; band++) {
    const from = bandStarts[band];
    const to = bandStarts[band + 1] ?? keys.length;
    const sketches = encoded.slice(from, to);
    const doc = {
      ...ref,
      band,
      keys: keys.slice(from, to),
      sketches,
      bytes: sketches.reduce((n, b) => n + b.byteLength + 16, 64),
    };
    const old = previous.sketchRows.find((r) => r.band === band);
    if (old) await ctx.db.replace("rollupSketches", old._id, doc);
    else await ctx.db.insert("rollupSketches", doc);
    writes++;
  }
  for (const old of oldBands.values()) {
    await ctx.db.delete("rollupSketches", old._id);
    writes++;
  }
  return writes;
}

const EMPTY = new ArrayBuffer(0);

/**
 * The exact units of live rollup rows, per dimension: every entry summed over
 * shards and parts (deltas, so `restMax` is 0 and nothing has slack). The
 * `property` entries of each bucket are capped over all its shards first
 * (lib/propertyCap.ts): each shard kept its own smallest values, and the
 * bucket keeps the smallest of those.
 */
export function unitsOfLiveRows(rows: RollupRow[]): Map<string, Unit> {
  const units = new Map<string, Unit>();
  const propertyBuckets = new Map<string, Unit>();
  for (const row of rows) {
    for (const entry of row.entries) {
      const dimension = dimensionOfLiveEntry(row, entry);
      const key =
        row.dimension === OVERVIEW
          ? ""
          : entry.key.slice(entry.key.indexOf("\t") + 1);
      const bucket = `${row.interval}|${row.bucketStart}`;
      const target = dimension === "property" ? propertyBuckets : units;
      const slot = dimension === "property" ? bucket : dimension;
      let unit = target.get(slot);
      if (!unit) target.set(slot, (unit = emptyUnit()));
      addLiveEntry(unit, key, entry);
    }
  }
  for (const bucket of propertyBuckets.values()) {
    const capped = capPropertyValues(bucket.entries, (into, e, otherKey) =>
      into ? sumEntries(into, e) : { ...e, key: otherKey },
    );
    let unit = units.get("property");
    if (!unit) units.set("property", (unit = emptyUnit()));
    for (const [key, e] of capped) {
      const existing = unit.entries.get(key);
      unit.entries.set(key, existing ? sumEntries(existing, e) : e);
    }
  }
  return units;
}

/** The dimension a live row's entry belongs to: the overview row's own, or the keyed entry's prefix. */
export function dimensionOfLiveEntry(
  row: RollupRow,
  entry: RollupRow["entries"][number],
): string {
  return row.dimension === OVERVIEW
    ? OVERVIEW
    : entry.key.slice(0, entry.key.indexOf("\t"));
}

function addLiveEntry(
  unit: Unit,
  key: string,
  entry: RollupRow["entries"][number],
) {
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
