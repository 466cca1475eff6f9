/**
 * rebuildRollups: recomputes a site's sessions and rollups from its raw
 * events (README, "Rebuilding rollups"), for when a metric definition or the
 * storage changed. It is a leased chain of bounded pages:
 *
 * 1. start: pause the site's aggregation streams, take the compaction lease
 *    (so compaction cannot move stale rows while they are being cleared) and
 *    lower the compaction watermarks to the rebuilt range;
 * 2. clear: delete, page by page, the live rows, compact units, blocks that
 *    reach into the range, and sessions that end in it;
 * 3. finish: point every stream back at the range's first event, to replay
 *    everything after it, and restart the streams. Events that arrive
 *    meanwhile wait in their streams and are aggregated after the replay.
 */
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc, Id, TableNames } from "./_generated/dataModel.js";
import {
  internalMutation,
  mutation,
  type MutationCtx,
} from "./_generated/server.js";
import {
  MAX_LEVEL,
  blockDays,
  localDayNumber,
  localDayStart,
} from "./compactStore.js";
import { STORED_UNIT_DIMENSIONS, readWatermark } from "./compaction.js";
import { getStream } from "./aggregation.js";
import { enqueueAggregation } from "./workpool.js";
import {
  anyLiveLease,
  claimLease,
  findLease,
  newRunId,
  releaseLease,
  renewLease,
} from "./leases.js";
import { GOAL_BACKFILL_CHAIN } from "./lib/goals.js";
import { floorToLocalDay } from "./lib/time.js";
import { getSiteDoc } from "./sites.js";

const CHAIN = "rebuild";
/** The compaction chain's lease name (compaction.ts): held by a rebuild while it clears. */
const COMPACTION_CHAIN = "compaction";
/** Documents one clearing page deletes at most. */
export const REBUILD_PAGE_DOCS = 400;
/** Largest block, in local days: blocks are aligned to multiples of it. */
const LARGEST_BLOCK_DAYS = blockDays(MAX_LEVEL);

type Site = Doc<"sites">;

/** The first instant the rebuild recomputes: a local day start, no earlier than the oldest raw event. */
async function rebuildStart(
  ctx: MutationCtx,
  site: Site,
  from: number | undefined,
): Promise<number | null> {
  const oldest = await ctx.db
    .query("events")
    .withIndex("by_siteId_and_occurredAt", (q) => q.eq("siteId", site._id))
    .first();
  if (!oldest) return null;
  return floorToLocalDay(
    Math.max(from ?? -Infinity, oldest.occurredAt),
    site.timezone,
  );
}

/** Every shard a batch can go to, and every stream row that exists. */
export async function streamShards(
  ctx: MutationCtx,
  site: Site,
): Promise<number[]> {
  const rows = await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", site._id))
    .take(64);
  return [
    ...new Set([
      ...rows.map((r) => r.shard),
      ...Array.from({ length: site.rollupShardCount }, (_, i) => i),
    ]),
  ];
}

async function pauseStreams(ctx: MutationCtx, site: Site): Promise<void> {
  for (const shard of await streamShards(ctx, site)) {
    const stream = await getStream(ctx, site._id, shard);
    // `scheduled` keeps ingest from enqueueing jobs while paused.
    const paused = { paused: true, scheduled: true, scheduledAt: Date.now() };
    if (stream) await ctx.db.patch("aggregationStreams", stream._id, paused);
    else
      await ctx.db.insert("aggregationStreams", {
        siteId: site._id,
        shard,
        cursor: 0,
        ...paused,
      });
  }
}

/**
 * Recomputes the site's sessions and rollups from its raw events, from
 * `from` (rounded down to a local day; default and earliest: the day of the
 * oldest raw event kept) on. Reports of that range are partial until the
 * replay has caught up. A session that began before `from` and went on after
 * it is counted again from its first event at or after `from`. Returns
 * whether a rebuild started (false while one or a goal backfill is running,
 * or without raw events).
 */
export const rebuildRollups = mutation({
  args: { siteId: v.string(), from: v.optional(v.number()) },
  returns: v.object({
    started: v.boolean(),
    from: v.union(v.number(), v.null()),
  }),
  handler: async (ctx, { siteId, from }) => {
    const site = await getSiteDoc(ctx, siteId);
    return await startRebuild(ctx, site, from);
  },
});

/** rebuildRollups' work, for other mutations to start one too. */
export async function startRebuild(
  ctx: MutationCtx,
  site: Site,
  from: number | undefined,
): Promise<{ started: boolean; from: number | null }> {
  const start = await rebuildStart(ctx, site, from);
  if (start === null) return { started: false, from: null };
  // A goal backfill adds to sessions and rows a rebuild would clear under
  // it; the two never overlap (README, "Goals").
  if (await anyLiveLease(ctx, site._id, GOAL_BACKFILL_CHAIN))
    return { started: false, from: start };
  const runId = newRunId();
  if (!(await claimLease(ctx, site._id, CHAIN, runId)))
    return { started: false, from: start };
  const lease = (await findLease(ctx, site._id, CHAIN))!;
  await ctx.db.patch("maintenanceLeases", lease._id, { from: start });
  await stopCompaction(ctx, site._id);
  await claimLease(ctx, site._id, COMPACTION_CHAIN, runId);
  await pauseStreams(ctx, site);
  const blocksFrom = await lowerWatermark(ctx, site, start, true);
  await ctx.scheduler.runAfter(0, internal.rebuild.rebuildPage, {
    siteId: site._id,
    runId,
    start,
    blocksFrom,
    step: 0,
  });
  return { started: true, from: start };
}

/**
 * A compaction chain still running loses its lease and stops at its next
 * page. A rebuild holding the lease while it clears keeps it.
 */
export async function stopCompaction(
  ctx: MutationCtx,
  siteId: string,
): Promise<void> {
  const lease = await findLease(ctx, siteId, COMPACTION_CHAIN);
  const rebuild = await findLease(ctx, siteId, CHAIN);
  if (lease && lease.runId !== rebuild?.runId)
    await ctx.db.delete("maintenanceLeases", lease._id);
}

/**
 * Lowers the compaction watermark so the next compaction run recomputes
 * from `start` on: blocks from the largest aligned block holding its day
 * (returned, as a local day number), and with `units`, hours and days too
 * (for a rebuild, which clears their units). Callers stop a running
 * compaction chain first, whose next page would move the mark up again.
 */
export async function lowerWatermark(
  ctx: MutationCtx,
  site: Site,
  start: number,
  units: boolean,
): Promise<number> {
  const firstBlockDay = localDayNumber(start, site.timezone);
  const blocksFrom =
    firstBlockDay -
    (((firstBlockDay % LARGEST_BLOCK_DAYS) + LARGEST_BLOCK_DAYS) %
      LARGEST_BLOCK_DAYS);
  const mark = await readWatermark(ctx, site._id);
  if (mark) {
    await ctx.db.patch("rollupWatermarks", mark._id, {
      ...(units
        ? {
            hoursBefore: Math.min(mark.hoursBefore, start),
            daysBefore: Math.min(mark.daysBefore, start),
          }
        : {}),
      blocksBeforeDay: Math.min(mark.blocksBeforeDay, blocksFrom),
    });
  }
  return blocksFrom;
}

/** Deletes up to `limit` rows of one step; `more` when rows remain. */
type ClearingStep = (
  ctx: MutationCtx,
  limit: number,
) => Promise<{ deleted: number; more: boolean }>;

/** A step that deletes, one by one, the rows `rows` finds in `table`. */
function clearing<Table extends TableNames>(
  table: Table,
  rows: (ctx: MutationCtx) => AsyncIterable<{ _id: Id<Table> }>,
): ClearingStep {
  return async (ctx, limit) => {
    let deleted = 0;
    for await (const doc of rows(ctx)) {
      if (deleted >= limit) return { deleted, more: true };
      await ctx.db.delete(table, doc._id);
      deleted++;
    }
    return { deleted, more: false };
  };
}

/**
 * The clearing steps, in order. Live rows go before compact units, so
 * nothing can be folded into a unit after the unit was cleared.
 */
function clearingSteps(site: Site, start: number, blocksFrom: number) {
  const siteId = site._id;
  const steps: ClearingStep[] = [];
  for (const interval of ["hour", "day"] as const) {
    for (const group of ["overview", "keyed"]) {
      steps.push(
        clearing("rollupShards", (ctx) =>
          ctx.db
            .query("rollupShards")
            .withIndex(
              "by_siteId_and_interval_and_dimension_and_bucketStart",
              (q) =>
                q
                  .eq("siteId", siteId)
                  .eq("interval", interval)
                  .eq("dimension", group)
                  .gte("bucketStart", start),
            ),
        ),
      );
    }
  }
  const blockStart = localDayStart(blocksFrom, site.timezone);
  for (const dimension of STORED_UNIT_DIMENSIONS) {
    for (let level = 0; level <= MAX_LEVEL; level++) {
      const from = level <= 1 ? start : blockStart;
      steps.push(
        clearing("rollupTops", (ctx) =>
          ctx.db
            .query("rollupTops")
            .withIndex(
              "by_siteId_and_dimension_and_level_and_bucketStart",
              (q) =>
                q
                  .eq("siteId", siteId)
                  .eq("dimension", dimension)
                  .eq("level", level)
                  .gte("bucketStart", from),
            ),
        ),
      );
      steps.push(
        clearing("rollupSketches", (ctx) =>
          ctx.db
            .query("rollupSketches")
            .withIndex(
              "by_siteId_and_dimension_and_level_and_bucketStart_and_band",
              (q) =>
                q
                  .eq("siteId", siteId)
                  .eq("dimension", dimension)
                  .eq("level", level)
                  .gte("bucketStart", from),
            ),
        ),
      );
    }
  }
  steps.push(
    clearing("sessions", (ctx) =>
      ctx.db
        .query("sessions")
        .withIndex("by_siteId_and_endAt", (q) =>
          q.eq("siteId", siteId).gte("endAt", start),
        ),
    ),
  );
  return steps;
}

async function restartStreams(
  ctx: MutationCtx,
  site: Site,
  start: number,
): Promise<void> {
  for (const shard of await streamShards(ctx, site)) {
    const stream = await getStream(ctx, site._id, shard);
    if (!stream) continue;
    // Events of the range arrived at or after its start (arrival never
    // precedes occurrence), so the replay begins there.
    await ctx.db.patch("aggregationStreams", stream._id, {
      paused: undefined,
      cursor: Math.min(stream.cursor, start - 1),
      // A replay still under way (a rebuild that follows another) keeps its
      // mark: those events were counted in the visitors table already.
      replayUntil: Math.max(stream.replayUntil ?? -Infinity, stream.cursor),
      replayFrom: start,
      scheduled: true,
      scheduledAt: Date.now(),
    });
    await enqueueAggregation(ctx, site._id, shard, 0);
  }
}

/** One bounded clearing page; the last one restarts the streams and releases the leases. */
export const rebuildPage = internalMutation({
  args: {
    siteId: v.string(),
    runId: v.string(),
    start: v.number(),
    blocksFrom: v.number(),
    step: v.number(),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    if (!(await renewLease(ctx, args.siteId, CHAIN, args.runId))) return null;
    await renewLease(ctx, args.siteId, COMPACTION_CHAIN, args.runId);
    const site = await getSiteDoc(ctx, args.siteId);
    const steps = clearingSteps(site, args.start, args.blocksFrom);
    let step = args.step;
    let deleted = 0;
    while (step < steps.length && deleted < REBUILD_PAGE_DOCS) {
      const page = await steps[step](ctx, REBUILD_PAGE_DOCS - deleted);
      deleted += page.deleted;
      if (!page.more) step++;
    }
    if (step < steps.length) {
      await ctx.scheduler.runAfter(0, internal.rebuild.rebuildPage, {
        ...args,
        step,
      });
      return null;
    }
    await restartStreams(ctx, site, args.start);
    await releaseLease(ctx, site._id, COMPACTION_CHAIN, args.runId);
    await releaseLease(ctx, site._id, CHAIN, args.runId);
    return null;
  },
});
