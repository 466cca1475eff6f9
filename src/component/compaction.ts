import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import {
  internalAction,
  internalMutation,
  mutation,
  type MutationCtx,
  type QueryCtx,
} from "./_generated/server.js";
import {
  DAY_LEVEL,
  HOUR_LEVEL,
  MAX_LEVEL,
  blockDays,
  localDayNumber,
  localDayStart,
  SHARED,
  deleteOwnRows,
  dimensionOfLiveEntry,
  readTopsRow,
  readUnit,
  sharedForm,
  unitsOfLiveRows,
  unitsOfShared,
  writeShared,
  writeUnit,
  type TopsRow,
  type UnitRef,
} from "./compactStore.js";
import { claimLease, newRunId, releaseLease, renewLease } from "./leases.js";
import { KEYED, OVERVIEW, dayIsItsHours } from "./lib/rollupDelta.js";
import { HOUR_MS, floorToLocalDay } from "./lib/time.js";
import { mergeUnits, type Unit } from "./lib/topUnits.js";
import { entryBytes, type RollupRow } from "./rollups.js";
import { compactionSweepPage } from "./compactionSweep.js";
import { PROPERTY_DIMENSION_NAMES } from "./lib/dimensions.js";
import { getSiteDoc } from "./sites.js";
import { TOP_DIMENSIONS, type Interval } from "./validators.js";
import { GOAL_UNIT_DIMENSIONS } from "./lib/goals.js";

const CHAIN = "compaction";
/**
 * Live rows one page reads at most, by their `bytes`; a bucket with more
 * takes several pages. Each row folded is read twice (Convex counts a
 * deleted or patched document as read), and the units the page folds into
 * are budgeted apart (COMPACTION_UNIT_BYTES): at ten million events a month
 * with 20 goals a page reads about 8.5 MiB, half of a transaction's limit
 * (README, "Cost and scale").
 */
export const COMPACTION_PAGE_BYTES = 2 * 1024 * 1024;
/**
 * Buckets are compacted once they ended this long ago: long enough for the
 * tracker's last beacons of the hour to arrive, short so that queries read
 * few live rows. Later changes (a session that goes on, a late event) land
 * in live rows again and are folded in by the next run.
 */
export const SETTLE_GRACE_MS = 10 * 60_000;
/**
 * Days get coarse blocks once they ended this long ago: past the 24 h an
 * event may arrive late, so their day units rarely change any more. A change
 * that still comes (a session extended for days) stays in the day's live
 * rows, which every query reads next to the blocks.
 */
export const BLOCK_AFTER_MS = 48 * HOUR_MS;
/**
 * Compact units one bucket's fold reads, by their `bytes`, before it leaves
 * further dimensions to the next page (see foldIntoSlots). A unit is read
 * twice too (read, then replaced), and one dimension may pass the budget.
 */
export const COMPACTION_UNIT_BYTES = 1.5 * 1024 * 1024;
/** Live rows one page folds at most (each is read and deleted). */
export const COMPACTION_PAGE_ROWS = 2_000;
/** Buckets one page compacts at most (each writes up to a few dozen units). */
export const COMPACTION_PAGE_BUCKETS = 32;
/** Default look-back of the `since` argument, kept for callers of older versions. */
export const DEFAULT_LOOKBACK_MS = 3 * 24 * HOUR_MS;
/** Pages one action run performs before it hands over to a fresh run. */
const PAGES_PER_RUN = 100;
/**
 * Every dimension compact units exist for: so also the ones blocks are
 * built for, retention cleans and rebuildRollups clears (goal conversions,
 * README "Goals", and event properties, lib/dimensions.ts, included).
 */
export const UNIT_DIMENSIONS: readonly string[] = [
  OVERVIEW,
  ...TOP_DIMENSIONS,
  ...GOAL_UNIT_DIMENSIONS,
  ...PROPERTY_DIMENSION_NAMES,
];
/** Every dimension name a stored unit row may carry (the shared row's too), for deleting them. */
export const STORED_UNIT_DIMENSIONS: readonly string[] = [
  ...UNIT_DIMENSIONS,
  SHARED,
];

export type Watermark = {
  hoursBefore: number;
  daysBefore: number;
  blocksBeforeDay: number;
};

export async function readWatermark(
  ctx: QueryCtx,
  siteId: string,
): Promise<Doc<"rollupWatermarks"> | null> {
  return await ctx.db
    .query("rollupWatermarks")
    .withIndex("by_siteId", (q) => q.eq("siteId", siteId))
    .unique();
}

/** A site compaction never ran for: nothing is compact, every bucket is live. */
export const NO_WATERMARK: Watermark = {
  hoursBefore: 0,
  daysBefore: 0,
  blocksBeforeDay: -Infinity,
};

async function setWatermark(
  ctx: MutationCtx,
  site: Doc<"sites">,
  patch: Partial<Watermark>,
): Promise<void> {
  const existing = await readWatermark(ctx, site._id);
  if (existing) {
    // Unchanged marks are not rewritten: every query of the site reads this row.
    const changed = Object.entries(patch).some(
      ([k, v]) => existing[k as keyof Watermark] !== v,
    );
    if (changed) await ctx.db.patch("rollupWatermarks", existing._id, patch);
    return;
  }
  // Blocks start at the site's first day with data: the oldest live row's day.
  let oldest = Date.now();
  for (const interval of ["hour", "day"] as const) {
    for (const group of [OVERVIEW, KEYED]) {
      const row = await ctx.db
        .query("rollupShards")
        .withIndex(
          "by_siteId_and_interval_and_dimension_and_bucketStart",
          (q) =>
            q
              .eq("siteId", site._id)
              .eq("interval", interval)
              .eq("dimension", group),
        )
        .first();
      if (row) oldest = Math.min(oldest, row.bucketStart);
    }
  }
  const firstDay = floorToLocalDay(oldest, site.timezone);
  await ctx.db.insert("rollupWatermarks", {
    siteId: site._id,
    hoursBefore: 0,
    daysBefore: 0,
    blocksBeforeDay: localDayNumber(firstDay, site.timezone),
    ...patch,
  });
}

// ---------------------------------------------------------------- buckets

/**
 * Live rows of one bucket (both row groups, every shard and part) up to
 * `budget` bytes, at least one row; `all` tells whether that was all of them.
 */
async function liveRowsOf(
  ctx: QueryCtx,
  siteId: string,
  interval: Interval,
  bucketStart: number,
  budget: number,
) {
  const rows: RollupRow[] = [];
  let bytes = 0;
  for (const group of [OVERVIEW, KEYED]) {
    const query = ctx.db
      .query("rollupShards")
      .withIndex("by_siteId_and_interval_and_dimension_and_bucketStart", (q) =>
        q
          .eq("siteId", siteId)
          .eq("interval", interval)
          .eq("dimension", group)
          .eq("bucketStart", bucketStart),
      );
    for await (const row of query) {
      const full =
        bytes + row.bytes > budget || rows.length >= COMPACTION_PAGE_ROWS;
      if (rows.length > 0 && full) return { rows, bytes, all: false };
      rows.push(row);
      bytes += row.bytes;
    }
  }
  return { rows, bytes, all: true };
}

/** The earliest bucket in [from, end) that still has live rows. */
async function firstLiveBucket(
  ctx: QueryCtx,
  siteId: string,
  interval: Interval,
  from: number,
  end: number,
) {
  let first: number | null = null;
  for (const group of [OVERVIEW, KEYED]) {
    const row = await ctx.db
      .query("rollupShards")
      .withIndex("by_siteId_and_interval_and_dimension_and_bucketStart", (q) =>
        q
          .eq("siteId", siteId)
          .eq("interval", interval)
          .eq("dimension", group)
          .gte("bucketStart", from)
          .lt("bucketStart", end),
      )
      .first();
    if (row && (first === null || row.bucketStart < first))
      first = row.bucketStart;
  }
  return first;
}

type Slot = Omit<UnitRef, "dimension">;

/** A slot's shared row (README, "How it works": small units share one row), as folding changes it. */
type SharedState = {
  slot: Slot;
  row: TopsRow | null;
  units: Map<string, Unit>;
  forms: Map<string, NonNullable<ReturnType<typeof sharedForm>>>;
  changed: boolean;
};

async function readShared(ctx: MutationCtx, slot: Slot): Promise<SharedState> {
  const row = await readTopsRow(ctx, { ...slot, dimension: SHARED });
  const units = unitsOfShared(row);
  const forms = new Map(
    [...units].map(([d, u]) => [d, sharedForm(u, slot.level)!]),
  );
  return { slot, row, units, forms, changed: false };
}

/**
 * Adds one dimension's exact delta into its unit of one slot, keeping a
 * small complete unit in the slot's shared row. Returns the bytes of the
 * unit it read and the documents it wrote.
 */
async function foldDimension(
  ctx: MutationCtx,
  shared: SharedState,
  dimension: string,
  delta: Unit,
): Promise<{ bytes: number; writes: number }> {
  const ref: UnitRef = { ...shared.slot, dimension };
  const wasShared = shared.forms.has(dimension);
  const stored = wasShared
    ? { unit: shared.units.get(dimension)!, row: null, sketchRows: [] }
    : await readUnit(ctx, ref);
  const bytes =
    (stored.row?.bytes ?? 0) +
    stored.sketchRows.reduce((sum, r) => sum + r.bytes, 0);
  const merged = mergeUnits(stored.unit, delta);
  // The overview stays in its own row: every overview and timeseries query reads it.
  const small =
    dimension === OVERVIEW ? null : sharedForm(merged, shared.slot.level);
  if (small) {
    shared.forms.set(dimension, small);
    shared.changed = true;
    return { bytes, writes: await deleteOwnRows(ctx, stored) };
  }
  if (wasShared) {
    shared.forms.delete(dimension);
    shared.changed = true;
  }
  return { bytes, writes: await writeUnit(ctx, ref, merged, stored) };
}

/**
 * Adds exact deltas (one unit per dimension) into the units of `slots` (an
 * hour, and its day when the day is made of its hours), a dimension at a
 * time, and stops taking further dimensions once the units read pass
 * `budget` bytes: a day's units grow all day, and a busy site with many
 * dimensions (goals add eight) would read more than a transaction may.
 * Returns the dimensions folded, the bytes read and the documents written.
 */
async function foldIntoSlots(
  ctx: MutationCtx,
  slots: Slot[],
  deltas: Map<string, Unit>,
  budget: number,
): Promise<{ folded: Set<string>; bytes: number; writes: number }> {
  const shared: SharedState[] = [];
  for (const slot of slots) shared.push(await readShared(ctx, slot));
  let bytes = shared.reduce((sum, s) => sum + (s.row?.bytes ?? 0), 0);
  let writes = 0;
  const folded = new Set<string>();
  for (const [dimension, delta] of deltas) {
    if (folded.size > 0 && bytes > budget) break;
    for (const state of shared) {
      const step = await foldDimension(ctx, state, dimension, delta);
      bytes += step.bytes;
      writes += step.writes;
    }
    folded.add(dimension);
  }
  for (const state of shared)
    if (state.changed)
      writes += await writeShared(ctx, state.slot, state.row, state.forms);
  return { folded, bytes, writes };
}

/**
 * Folds a settled bucket's live rows (as many as `budget` bytes allow) into
 * its compact units and deletes them, in one transaction: a query sees every
 * change either in the live rows or in the units, never both or neither. An
 * hour also goes into its day's unit when the day is made of whole hours
 * (README, "How it works"). A bucket larger than the budget takes several
 * pages.
 */
export async function compactBucket(
  ctx: MutationCtx,
  site: Doc<"sites">,
  interval: Interval,
  bucketStart: number,
  budget: number = COMPACTION_PAGE_BYTES,
  unitBudget: number = COMPACTION_UNIT_BYTES,
): Promise<{ bytes: number; writes: number; all: boolean }> {
  const { rows, bytes, all } = await liveRowsOf(
    ctx,
    site._id,
    interval,
    bucketStart,
    budget,
  );
  const deltas = unitsOfLiveRows(rows);
  const level = interval === "hour" ? HOUR_LEVEL : DAY_LEVEL;
  const slots: Slot[] = [{ siteId: site._id, level, bucketStart }];
  if (interval === "hour") {
    const day = floorToLocalDay(bucketStart, site.timezone);
    // Rows written before days were built from hours (0.1) carry a day's data in
    // day rows too: that day's unit comes from those instead, never from both.
    const hasDayRows =
      (await firstLiveBucket(ctx, site._id, "day", day, day + 1)) !== null;
    if (dayIsItsHours(day) && !hasDayRows)
      slots.push({ siteId: site._id, level: DAY_LEVEL, bucketStart: day });
  }
  const folded = await foldIntoSlots(ctx, slots, deltas, unitBudget);
  const read = bytes + folded.bytes;
  if (folded.folded.size === deltas.size) {
    for (const row of rows) await ctx.db.delete("rollupShards", row._id);
    return { bytes: read, writes: folded.writes + rows.length, all };
  }
  // The rest of the dimensions wait for the next page. The folded ones
  // leave the live rows in this same transaction, so a query still sees
  // every change once: in the live rows or in the units.
  return {
    bytes: read,
    writes: folded.writes + (await dropFolded(ctx, rows, folded.folded)),
    all: false,
  };
}

/** Removes the entries of `folded` dimensions from live rows; returns documents written. */
async function dropFolded(
  ctx: MutationCtx,
  rows: RollupRow[],
  folded: Set<string>,
): Promise<number> {
  let writes = 0;
  for (const row of rows) {
    const entries = row.entries.filter(
      (e) => !folded.has(dimensionOfLiveEntry(row, e)),
    );
    if (entries.length === row.entries.length) continue;
    writes++;
    if (entries.length === 0) await ctx.db.delete("rollupShards", row._id);
    else
      await ctx.db.patch("rollupShards", row._id, {
        entries,
        bytes: entries.reduce((sum, e) => sum + entryBytes(e), 0),
      });
  }
  return writes;
}

// ---------------------------------------------------------------- blocks

/**
 * Builds one dimension of the block of `level` starting at local day number
 * `firstDay` from its two halves (blocks one level down, or days).
 */
async function buildBlock(
  ctx: MutationCtx,
  site: Doc<"sites">,
  level: number,
  firstDay: number,
  dimension: string,
) {
  const half = blockDays(level) / 2;
  const childLevel = level - 1;
  const ref = (lvl: number, day: number): UnitRef => ({
    siteId: site._id,
    dimension,
    level: lvl,
    bucketStart: localDayStart(day, site.timezone),
  });
  const a = await readUnit(ctx, ref(childLevel, firstDay));
  const b = await readUnit(ctx, ref(childLevel, firstDay + half));
  const target = ref(level, firstDay);
  const existing = await readUnit(ctx, target);
  if (a.unit.entries.size === 0 && b.unit.entries.size === 0 && !existing.row)
    return 0;
  return await writeUnit(ctx, target, mergeUnits(a.unit, b.unit), existing);
}

/** Levels of the blocks that end with local day number `day` (2 = two days, …). */
export function blocksEndingOn(day: number): number[] {
  const levels: number[] = [];
  for (let level = 2; level <= MAX_LEVEL; level++) {
    if ((day + 1) % blockDays(level) === 0) levels.push(level);
  }
  return levels;
}

// ---------------------------------------------------------------- the chain

/**
 * Where a chain is: phase 0 compacts settled hours, phase 1 settled days,
 * phase 2 builds blocks for day `day` (its `level`s, one `dim` per page).
 */
const vPosition = v.object({
  phase: v.number(),
  day: v.optional(v.number()),
  level: v.optional(v.number()),
  dim: v.optional(v.number()),
});
type Position = { phase: number; day?: number; level?: number; dim?: number };
type PageResult = { next: Position | null; merged: number; lost: boolean };

function settleHorizon(now: number): number {
  return now - SETTLE_GRACE_MS;
}

/**
 * Days that already have blocks keep late changes in their live rows (which
 * every query reads next to the blocks): compaction starts after them.
 */
async function firstUnblockedInstant(
  ctx: QueryCtx,
  site: Doc<"sites">,
): Promise<number> {
  const mark = await readWatermark(ctx, site._id);
  return mark && Number.isFinite(mark.blocksBeforeDay)
    ? localDayStart(mark.blocksBeforeDay, site.timezone)
    : 0;
}

async function compactPhase(
  ctx: MutationCtx,
  site: Doc<"sites">,
  interval: Interval,
  from: number,
  end: number,
): Promise<{ merged: number; done: boolean }> {
  let merged = 0;
  let bytes = 0;
  while (bytes < COMPACTION_PAGE_BYTES && merged < COMPACTION_PAGE_BUCKETS) {
    const bucket = await firstLiveBucket(ctx, site._id, interval, from, end);
    if (bucket === null) return { merged, done: true };
    const step = await compactBucket(
      ctx,
      site,
      interval,
      bucket,
      COMPACTION_PAGE_BYTES - bytes,
    );
    bytes += step.bytes;
    merged++;
    if (!step.all) break;
  }
  return { merged, done: false };
}

async function blockPage(
  ctx: MutationCtx,
  site: Doc<"sites">,
  position: Position,
  lastDay: number,
): Promise<PageResult> {
  const mark = (await readWatermark(ctx, site._id))!;
  const day = position.day ?? mark.blocksBeforeDay;
  if (day > lastDay) return { next: null, merged: 0, lost: false };
  const levels = blocksEndingOn(day);
  const levelAt = position.level ?? 0;
  if (levelAt >= levels.length) {
    await ctx.db.patch("rollupWatermarks", mark._id, {
      blocksBeforeDay: day + 1,
    });
    return { next: { phase: 2, day: day + 1 }, merged: 0, lost: false };
  }
  const level = levels[levelAt];
  let dim = position.dim ?? 0;
  let merged = 0;
  // One block written per page; a dimension without data (the goal
  // dimensions of a site without goals, say) costs a few reads and no page.
  while (dim < UNIT_DIMENSIONS.length && merged === 0) {
    const writes = await buildBlock(
      ctx,
      site,
      level,
      day + 1 - blockDays(level),
      UNIT_DIMENSIONS[dim],
    );
    if (writes > 0) merged = 1;
    dim++;
  }
  const next =
    dim < UNIT_DIMENSIONS.length
      ? { phase: 2, day, level: levelAt, dim }
      : { phase: 2, day, level: levelAt + 1, dim: 0 };
  return { next, merged, lost: false };
}

/**
 * One bounded page of the chain (see {@link vPosition}): compacts settled
 * buckets until the page's byte budget is spent, or builds one dimension of
 * one block. Moves the site's watermark as each phase completes.
 */
export const compactPage = internalMutation({
  args: {
    siteId: v.string(),
    runId: v.string(),
    horizon: v.number(),
    position: vPosition,
  },
  returns: v.object({
    next: v.union(vPosition, v.null()),
    merged: v.number(),
    lost: v.boolean(),
  }),
  handler: async (
    ctx,
    { siteId, runId, horizon, position },
  ): Promise<PageResult> => {
    if (!(await renewLease(ctx, siteId, CHAIN, runId)))
      return { next: null, merged: 0, lost: true };
    const site = await getSiteDoc(ctx, siteId);
    if (position.phase === 0) {
      // Before any live row is folded: a new watermark's blocks start at the oldest one's day.
      await setWatermark(ctx, site, {});
      // Hours starting before the horizon's hour have ended by the horizon.
      const end = Math.floor(horizon / HOUR_MS) * HOUR_MS;
      const { merged, done } = await compactPhase(
        ctx,
        site,
        "hour",
        await firstUnblockedInstant(ctx, site),
        end,
      );
      if (done) await setWatermark(ctx, site, { hoursBefore: end });
      return { next: done ? { phase: 1 } : position, merged, lost: false };
    }
    if (position.phase === 1) {
      const end = floorToLocalDay(horizon, site.timezone);
      const { merged, done } = await compactPhase(
        ctx,
        site,
        "day",
        await firstUnblockedInstant(ctx, site),
        end,
      );
      if (done) await setWatermark(ctx, site, { daysBefore: end });
      return { next: done ? { phase: 2 } : position, merged, lost: false };
    }
    const mark = (await readWatermark(ctx, site._id))!;
    const blocksUntil = Math.min(
      localDayNumber(
        floorToLocalDay(horizon - BLOCK_AFTER_MS, site.timezone),
        site.timezone,
      ),
      localDayNumber(mark.daysBefore, site.timezone),
    );
    return await blockPage(ctx, site, position, blocksUntil - 1);
  },
});

/**
 * Claims (or, for a continuing run, re-claims) the site's compaction lease.
 * Returns the settle horizon for this run, or null when another live run
 * holds the lease.
 */
export const claimCompaction = internalMutation({
  args: { siteId: v.string(), runId: v.string() },
  returns: v.union(v.number(), v.null()),
  handler: async (ctx, { siteId, runId }) => {
    const site = await getSiteDoc(ctx, siteId);
    if (!(await claimLease(ctx, site._id, CHAIN, runId))) return null;
    return settleHorizon(Date.now());
  },
});

export const releaseCompaction = internalMutation({
  args: { siteId: v.string(), runId: v.string() },
  returns: v.null(),
  handler: async (ctx, { siteId, runId }) => {
    await releaseLease(ctx, siteId, CHAIN, runId);
    return null;
  },
});

/**
 * Compacts a site's settled buckets and builds its coarse blocks, one
 * bounded mutation per page (README, "How it works"). Holds the site's
 * compaction lease for its whole chain; continues itself in a fresh action
 * after PAGES_PER_RUN pages. Every run (re-)claims the lease, so a
 * continuation whose lease another live run took exits. Pending work is
 * found from the live rows themselves (compacted buckets have none), so a
 * site upgraded from an older storage compacts its whole history on the
 * first run. `since` is accepted for compatibility and ignored.
 */
export const compactShards = internalAction({
  args: {
    siteId: v.string(),
    since: v.optional(v.number()),
    runId: v.optional(v.string()),
    position: v.optional(vPosition),
  },
  returns: v.object({
    merged: v.number(),
    pages: v.number(),
    ran: v.boolean(),
  }),
  handler: async (ctx, args) => {
    const runId = args.runId ?? newRunId();
    const horizon = await ctx.runMutation(internal.compaction.claimCompaction, {
      siteId: args.siteId,
      runId,
    });
    if (horizon === null) return { merged: 0, pages: 0, ran: false };
    let position: Position | null = args.position ?? { phase: 0 };
    let merged = 0;
    let pages = 0;
    while (position && pages < PAGES_PER_RUN) {
      const page: PageResult = await ctx.runMutation(
        internal.compaction.compactPage,
        {
          siteId: args.siteId,
          runId,
          horizon,
          position,
        },
      );
      pages++;
      merged += page.merged;
      if (page.lost) return { merged, pages, ran: true };
      position = page.next;
    }
    if (position) {
      await ctx.scheduler.runAfter(0, internal.compaction.compactShards, {
        siteId: args.siteId,
        runId,
        position,
      });
    } else {
      await ctx.runMutation(internal.compaction.releaseCompaction, {
        siteId: args.siteId,
        runId,
      });
    }
    return { merged, pages, ran: true };
  },
});

/**
 * Starts compaction for one site (or every site): buckets that started after
 * `since` (default: the last 3 days) and have settled. A site whose chain is
 * already running is skipped by the chain itself.
 */
export const compact = mutation({
  args: { siteId: v.optional(v.string()), since: v.optional(v.number()) },
  returns: v.object({ scheduled: v.number() }),
  handler: async (ctx, { siteId, since }) => {
    const from = since ?? Date.now() - DEFAULT_LOOKBACK_MS;
    // Every site: a sweep over all sites, a page per transaction (compactionSweep.ts).
    if (!siteId)
      return { scheduled: (await compactionSweepPage(ctx, from)).count };
    const site = await getSiteDoc(ctx, siteId);
    await ctx.scheduler.runAfter(0, internal.compaction.compactShards, {
      siteId: site._id,
      since: from,
    });
    return { scheduled: 1 };
  },
});
