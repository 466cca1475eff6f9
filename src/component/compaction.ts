import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import { internalAction, internalMutation, mutation, type MutationCtx } from "./_generated/server.js";
import { claimLease, newRunId, releaseLease, renewLease } from "./leases.js";
import { KEYED, OVERVIEW } from "./lib/rollupDelta.js";
import { HOUR_MS } from "./lib/time.js";
import { mergeEntries, writeShardRows, type RollupEntry, type RollupRow } from "./rollups.js";
import { getSiteDoc } from "./sites.js";

const CHAIN = "compaction";
/** Rows one page reads at most; a page writes no more than it reads. */
export const COMPACTION_PAGE_ROWS = 256;
/**
 * Row bytes one page reads at most (rows reach 256 KiB each, so the row cap
 * alone could read 64 MiB). Deleting or patching a row reads it once more,
 * so a page reads about twice this, still far inside the 16 MiB limit.
 */
export const COMPACTION_PAGE_BYTES = 4 * 1024 * 1024;
/** Buckets are compacted once they ended this long ago. */
export const SETTLE_GRACE_MS = 2 * HOUR_MS;
/** Default look-back: late events can land in buckets up to a day old. */
export const DEFAULT_LOOKBACK_MS = 3 * 24 * HOUR_MS;
/** Pages one action run performs before it hands over to a fresh run. */
const PAGES_PER_RUN = 100;

/** The (interval, row group) series compaction walks, in order. */
const SERIES = [
  { interval: "hour", group: OVERVIEW },
  { interval: "hour", group: KEYED },
  { interval: "day", group: OVERVIEW },
  { interval: "day", group: KEYED },
] as const;

const vPosition = v.object({ series: v.number(), bucketStart: v.number() });
type Position = { series: number; bucketStart: number };
type PageResult = { next: Position | null; merged: number; lost: boolean };

/**
 * Buckets that ended SETTLE_GRACE_MS before now are settled. Later
 * aggregation may still add to them, or retract from them (a session's exit
 * page moves, a late event changes its start or keys), in its own shard's
 * rows: counters and signed visitor counts add up over a bucket's rows, so
 * such changes stay exact after compaction merged the other rows away, and a
 * later compaction merges them in as well.
 */
function settleHorizon(now: number): number {
  return now - SETTLE_GRACE_MS;
}

/** Buckets starting before this have ended before `horizon`. */
function lastSettledStart(interval: "hour" | "day", horizon: number): number {
  // A day bucket lasts at most 25 h; treat it as ended that long after its start.
  return horizon - (interval === "hour" ? HOUR_MS : 25 * HOUR_MS);
}

/** Merges every complete shard of one bucket into its lowest shard. Returns documents written. */
async function mergeBucket(ctx: MutationCtx, rows: RollupRow[]): Promise<number> {
  const byShard = new Map<number, RollupRow[]>();
  for (const row of rows) byShard.set(row.shard, [...(byShard.get(row.shard) ?? []), row]);
  if (byShard.size < 2) return 0;
  const target = Math.min(...byShard.keys());
  const merged = new Map<string, RollupEntry>();
  for (const row of rows) {
    for (const entry of row.entries) {
      const existing = merged.get(entry.key);
      merged.set(entry.key, existing ? mergeEntries(existing, entry) : entry);
    }
  }
  const { siteId, interval, bucketStart, dimension } = rows[0];
  let writes = await writeShardRows(ctx, { siteId, interval, bucketStart, dimension }, target, byShard.get(target)!, [
    ...merged.values(),
  ]);
  for (const row of rows) {
    if (row.shard === target) continue;
    await ctx.db.delete(row._id);
    writes++;
  }
  return writes;
}

type Series = (typeof SERIES)[number];

/**
 * Reads the next page of one series from `from`: at most
 * COMPACTION_PAGE_ROWS rows and COMPACTION_PAGE_BYTES of them (by their
 * `bytes`), always at least one row. `full` when rows remain after it (the
 * one row read past the page tells).
 */
async function readPage(ctx: MutationCtx, siteId: string, series: Series, from: number, end: number) {
  const query = ctx.db
    .query("rollupShards")
    .withIndex("by_siteId_and_interval_and_dimension_and_bucketStart", (q) =>
      q
        .eq("siteId", siteId)
        .eq("interval", series.interval)
        .eq("dimension", series.group)
        .gte("bucketStart", from)
        .lt("bucketStart", end),
    );
  const rows: RollupRow[] = [];
  let bytes = 0;
  for await (const row of query) {
    const overBytes = rows.length > 0 && bytes + row.bytes > COMPACTION_PAGE_BYTES;
    if (rows.length === COMPACTION_PAGE_ROWS || overBytes) return { rows, full: true };
    rows.push(row);
    bytes += row.bytes;
  }
  return { rows, full: false };
}

/**
 * The rows of a page grouped by bucket, without what may continue on the
 * next page: the last bucket of a full page, unless it is the only one
 * (then all of it but its last, possibly incomplete, shard).
 */
function mergeableBuckets(rows: RollupRow[], full: boolean): Map<number, RollupRow[]> {
  const buckets = new Map<number, RollupRow[]>();
  for (const row of rows) buckets.set(row.bucketStart, [...(buckets.get(row.bucketStart) ?? []), row]);
  if (!full) return buckets;
  const starts = [...buckets.keys()];
  const last = starts[starts.length - 1];
  if (starts.length > 1) {
    buckets.delete(last);
  } else {
    const incomplete = rows[rows.length - 1].shard;
    buckets.set(last, rows.filter((r) => r.shard !== incomplete));
  }
  return buckets;
}

/**
 * One bounded page: reads a page of one series from `position` (see
 * readPage), merges the buckets it saw whole, and returns where the next
 * page starts (null when every series is done).
 */
export const compactPage = internalMutation({
  args: { siteId: v.string(), runId: v.string(), since: v.number(), horizon: v.number(), position: vPosition },
  returns: v.object({ next: v.union(vPosition, v.null()), merged: v.number(), lost: v.boolean() }),
  handler: async (ctx, { siteId, runId, since, horizon, position }) => {
    if (!(await renewLease(ctx, siteId, CHAIN, runId))) return { next: null, merged: 0, lost: true };
    const series = SERIES[position.series];
    const end = lastSettledStart(series.interval, horizon);
    const { rows, full } = await readPage(ctx, siteId, series, Math.max(position.bucketStart, since), end);
    let merged = 0;
    for (const bucketRows of mergeableBuckets(rows, full).values()) {
      if ((await mergeBucket(ctx, bucketRows)) > 0) merged++;
    }
    // A full page resumes at its last bucket: re-read whole, or, when that
    // bucket alone filled the page, with its merged shards now fewer rows.
    // (A bucket whose single shard alone fills pages has nothing to merge: step past it.)
    if (full) {
      const last = rows[rows.length - 1].bucketStart;
      const stuck = rows[0].bucketStart === last && merged === 0;
      return { next: { series: position.series, bucketStart: stuck ? last + 1 : last }, merged, lost: false };
    }
    const nextSeries = position.series + 1;
    return { next: nextSeries < SERIES.length ? { series: nextSeries, bucketStart: since } : null, merged, lost: false };
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
 * Merges the shard rows of settled buckets, one bounded mutation per page.
 * Holds the site's compaction lease for its whole chain; continues itself in
 * a fresh action after PAGES_PER_RUN pages. Every run (re-)claims the lease,
 * so a continuation whose lease another live run took exits, and computes
 * the settle horizon afresh.
 */
export const compactShards = internalAction({
  args: {
    siteId: v.string(),
    since: v.number(),
    runId: v.optional(v.string()),
    position: v.optional(vPosition),
  },
  returns: v.object({ merged: v.number(), pages: v.number(), ran: v.boolean() }),
  handler: async (ctx, args) => {
    const runId = args.runId ?? newRunId();
    const horizon = await ctx.runMutation(internal.compaction.claimCompaction, { siteId: args.siteId, runId });
    if (horizon === null) return { merged: 0, pages: 0, ran: false };
    let position: Position | null = args.position ?? { series: 0, bucketStart: args.since };
    let merged = 0;
    let pages = 0;
    while (position && pages < PAGES_PER_RUN) {
      const page: PageResult = await ctx.runMutation(
        internal.compaction.compactPage,
        { siteId: args.siteId, runId, since: args.since, horizon, position },
      );
      pages++;
      merged += page.merged;
      if (page.lost) return { merged, pages, ran: true };
      position = page.next;
    }
    if (position) {
      await ctx.scheduler.runAfter(0, internal.compaction.compactShards, { siteId: args.siteId, since: args.since, runId, position });
    } else {
      await ctx.runMutation(internal.compaction.releaseCompaction, { siteId: args.siteId, runId });
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
    const sites = siteId ? [await getSiteDoc(ctx, siteId)] : await ctx.db.query("sites").take(500);
    const from = since ?? Date.now() - DEFAULT_LOOKBACK_MS;
    for (const site of sites) {
      await ctx.scheduler.runAfter(0, internal.compaction.compactShards, { siteId: site._id, since: from });
    }
    return { scheduled: sites.length };
  },
});
