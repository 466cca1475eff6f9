import type { Infer } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import type { vRollupEntry } from "./schema.js";
import type { Interval } from "./validators.js";
import {
  type Delta,
  type RollupDeltas,
  entryKey,
  isZeroDelta,
  parseGroupKey,
} from "./lib/rollupDelta.js";
import { capPropertyValues } from "./lib/propertyCap.js";
import {
  addToSketch,
  decodeSketch,
  encodeSketch,
  isEmptySketch,
  mergeSketchInto,
} from "./lib/sketch.js";

export type RollupEntry = Infer<typeof vRollupEntry>;
export type RollupRow = Doc<"rollupShards">;

/**
 * A rollup row stays well under Convex's 1 MiB document limit: entries that
 * do not fit spill into further `part` rows of the same shard.
 */
export const ROLLUP_ROW_BUDGET_BYTES = 256 * 1024;

export function entryBytes(entry: RollupEntry): number {
  return entry.key.length * 2 + 80 + entry.visitors.byteLength;
}

function isEmptyEntry(e: RollupEntry): boolean {
  return (
    e.events === 0 &&
    e.pageviews === 0 &&
    e.sessions === 0 &&
    e.bounces === 0 &&
    e.durationMs === 0 &&
    isEmptySketch(decodeSketch(e.visitors))
  );
}

function applyDelta(
  entry: RollupEntry | undefined,
  key: string,
  delta: Delta,
): RollupEntry {
  let sketch = decodeSketch(entry?.visitors ?? new ArrayBuffer(0));
  for (const [hash, change] of delta.visitors)
    sketch = addToSketch(sketch, hash, change);
  return {
    key,
    events: (entry?.events ?? 0) + delta.events,
    pageviews: (entry?.pageviews ?? 0) + delta.pageviews,
    sessions: (entry?.sessions ?? 0) + delta.sessions,
    bounces: (entry?.bounces ?? 0) + delta.bounces,
    durationMs: (entry?.durationMs ?? 0) + delta.durationMs,
    visitors: encodeSketch(sketch),
  };
}

/** Adds `b` into `a`: counters sum, sketches merge. */
export function mergeEntries(a: RollupEntry, b: RollupEntry): RollupEntry {
  const sketch = mergeSketchInto(
    decodeSketch(a.visitors),
    decodeSketch(b.visitors),
  );
  return {
    key: a.key,
    events: a.events + b.events,
    pageviews: a.pageviews + b.pageviews,
    sessions: a.sessions + b.sessions,
    bounces: a.bounces + b.bounces,
    durationMs: a.durationMs + b.durationMs,
    visitors: encodeSketch(sketch),
  };
}

/** Packs entries into parts under the byte budget, keeping their order. */
export function packEntries(entries: RollupEntry[]): RollupEntry[][] {
  const parts: RollupEntry[][] = [[]];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (
      bytes + size > ROLLUP_ROW_BUDGET_BYTES &&
      parts[parts.length - 1].length > 0
    ) {
      parts.push([]);
      bytes = 0;
    }
    parts[parts.length - 1].push(entry);
    bytes += size;
  }
  return parts;
}

export type RowGroup = {
  siteId: string;
  interval: Interval;
  bucketStart: number;
  dimension: string;
};

/** Rows of one (site, interval, dimension, bucket), optionally one shard. */
export async function readGroupRows(
  ctx: QueryCtx,
  group: RowGroup,
  shard?: number,
): Promise<RollupRow[]> {
  return await ctx.db
    .query("rollupShards")
    .withIndex("by_siteId_and_interval_and_dimension_and_bucketStart", (q) => {
      const base = q
        .eq("siteId", group.siteId)
        .eq("interval", group.interval)
        .eq("dimension", group.dimension)
        .eq("bucketStart", group.bucketStart);
      return shard === undefined ? base : base.eq("shard", shard);
    })
    .collect();
}

/**
 * Rewrites the rows of one shard so they hold exactly `entries`: changed
 * parts are patched, new parts inserted, parts no longer needed deleted.
 * Returns the number of documents written.
 */
export async function writeShardRows(
  ctx: MutationCtx,
  group: RowGroup,
  shard: number,
  existing: RollupRow[],
  entries: RollupEntry[],
): Promise<number> {
  const parts = entries.length > 0 ? packEntries(entries) : [];
  const byPart = new Map(existing.map((row) => [row.part, row]));
  let writes = 0;
  for (let part = 0; part < parts.length; part++) {
    const row = byPart.get(part);
    byPart.delete(part);
    const next = parts[part];
    const bytes = next.reduce((sum, e) => sum + entryBytes(e), 0);
    if (
      row &&
      row.entries.length === next.length &&
      row.entries.every((e, i) => e === next[i])
    )
      continue;
    if (row)
      await ctx.db.patch("rollupShards", row._id, { entries: next, bytes });
    else
      await ctx.db.insert("rollupShards", {
        ...group,
        shard,
        part,
        entries: next,
        bytes,
      });
    writes++;
  }
  for (const row of byPart.values()) {
    await ctx.db.delete("rollupShards", row._id);
    writes++;
  }
  return writes;
}

const PROPERTY_ENTRY_PREFIX = entryKey("property", "");

/**
 * Keeps a live row's property values within PROPERTY_VALUE_CAP per event
 * name and key (lib/propertyCap.ts), so a property with a value per visitor
 * cannot grow the row without bound. Entries keep their order.
 */
function capLiveProperties(
  entries: RollupEntry[],
  touched: boolean,
): RollupEntry[] {
  if (!touched) return entries;
  const at = PROPERTY_ENTRY_PREFIX.length;
  const property = entries.filter((e) =>
    e.key.startsWith(PROPERTY_ENTRY_PREFIX),
  );
  const capped = capPropertyValues(
    property.map((e) => [e.key.slice(at), e]),
    (into, e, otherKey) =>
      into
        ? mergeEntries(into, e)
        : { ...e, key: PROPERTY_ENTRY_PREFIX + otherKey },
  );
  const unchanged =
    capped.size === property.length &&
    property.every((e) => capped.get(e.key.slice(at)) === e);
  if (unchanged) return entries;
  const rest = entries.filter((e) => !e.key.startsWith(PROPERTY_ENTRY_PREFIX));
  return [...rest, ...capped.values()];
}

/**
 * Flushes every delta of an aggregation run into the rows of `shard`: one
 * read and at most one write per touched (interval, bucket, dimension).
 */
export async function flushDeltas(
  ctx: MutationCtx,
  siteId: string,
  shard: number,
  deltas: RollupDeltas,
): Promise<{ rowsWritten: number }> {
  let rowsWritten = 0;
  for (const [gk, keyed] of deltas.groups) {
    const changes = [...keyed].filter(([, d]) => !isZeroDelta(d));
    if (changes.length === 0) continue;
    const group: RowGroup = { siteId, ...parseGroupKey(gk) };
    const rows = (await readGroupRows(ctx, group, shard)).sort(
      (a, b) => a.part - b.part,
    );
    const entries = rows.flatMap((row) => row.entries);
    const index = new Map(entries.map((e, i) => [e.key, i]));
    const changed = new Set<number>();
    for (const [key, delta] of changes) {
      let at = index.get(key);
      const updated = applyDelta(
        at === undefined ? undefined : entries[at],
        key,
        delta,
      );
      if (at === undefined) {
        at = entries.length;
        index.set(key, at);
        entries.push(updated);
      } else entries[at] = updated;
      changed.add(at);
    }
    // Retractions can empty an entry; drop it rather than keep zeros around.
    const kept = capLiveProperties(
      entries.filter((e, i) => !changed.has(i) || !isEmptyEntry(e)),
      changes.some(([key]) => key.startsWith(PROPERTY_ENTRY_PREFIX)),
    );
    rowsWritten += await writeShardRows(ctx, group, shard, rows, kept);
  }
  return { rowsWritten };
}
