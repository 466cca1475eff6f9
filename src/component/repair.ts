/**
 * Repair (README, "Maintenance"): aggregatePending enqueues aggregation for
 * streams whose jobs were lost, one site or a sweep over all sites;
 * retryFailedEvents re-runs the streams whose jobs failed.
 */
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import {
  internalMutation,
  mutation,
  type MutationCtx,
} from "./_generated/server.js";
import {
  MAX_EVENTS_PER_RUN,
  firstPendingEvent,
  getStream,
} from "./aggregation.js";
import { fail } from "./lib/errors.js";
import { sweepSitesPage } from "./siteSweep.js";
import { enqueueAggregation } from "./workpool.js";

const MAX_SHARDS = 64;

/** A scheduled job that has not cleared its flag by now is presumed lost. */
const STUCK_AFTER_MS = 10 * 60_000;

/**
 * Cost units of aggregatePending's work for one site, as index ranges: one
 * per query, and a generous allowance per enqueue (the workpool reads and
 * writes a few documents of its own).
 */
const ENQUEUE_COST = 8;
/** Cost units one all-sites page may spend (one site costs at most 1 + 64 × 9). */
export const PENDING_PAGE_BUDGET = 1_000;
/** Sites one all-sites page visits at most. */
const PENDING_PAGE_SITES = 100;

/**
 * Enqueues aggregation for the site's streams with events their cursor has
 * not passed. A stream row exists for every shard that ever received events
 * (ingest writes it with the first batch), so the shards to look at are the
 * site's stream rows and its current shard count: one query for the rows,
 * one per shard for a pending event.
 */
async function enqueuePendingStreams(
  ctx: MutationCtx,
  site: Doc<"sites">,
): Promise<{ count: number; cost: number }> {
  const streams = await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", site._id))
    .take(MAX_SHARDS);
  const byShard = new Map(streams.map((s) => [s.shard, s]));
  // Streams beyond the current shard count exist when the count was lowered.
  const shards = new Set([
    ...byShard.keys(),
    ...Array.from(
      { length: Math.min(site.rollupShardCount, MAX_SHARDS) },
      (_, i) => i,
    ),
  ]);
  let enqueued = 0;
  let cost = 1;
  for (const shard of [...shards].sort((a, b) => a - b)) {
    const stream = byShard.get(shard);
    // A paused stream belongs to a rollup rebuild, which restarts it when done.
    if (stream?.paused) continue;
    if (
      stream?.scheduled &&
      (stream.scheduledAt ?? 0) > Date.now() - STUCK_AFTER_MS
    )
      continue;
    cost++;
    if (!(await firstPendingEvent(ctx, site._id, shard, stream?.cursor ?? 0)))
      continue;
    const scheduled = { scheduled: true, scheduledAt: Date.now() };
    if (stream) await ctx.db.patch("aggregationStreams", stream._id, scheduled);
    else
      await ctx.db.insert("aggregationStreams", {
        siteId: site._id,
        shard,
        cursor: 0,
        ...scheduled,
      });
    await enqueueAggregation(ctx, site._id, shard, 0);
    enqueued++;
    cost += ENQUEUE_COST;
  }
  return { count: enqueued, cost };
}

/** The lease chain of the all-sites aggregatePending sweep. */
const PENDING_SWEEP = "sweep:aggregatePending";

/** One page of the all-sites sweep (siteSweep.ts), bounded by PENDING_PAGE_BUDGET. */
async function pendingSweepPage(
  ctx: MutationCtx,
  maxSites: number,
  position: { runId?: string; after?: number } = {},
) {
  return await sweepSitesPage(ctx, {
    chain: PENDING_SWEEP,
    ...position,
    maxSites,
    budget: PENDING_PAGE_BUDGET,
    perSite: (site) => enqueuePendingStreams(ctx, site),
    continueWith: async (next) => {
      await ctx.scheduler.runAfter(0, internal.repair.aggregatePendingSweep, {
        ...next,
        maxSites,
      });
    },
  });
}

/** A continuation of the all-sites aggregatePending sweep. */
export const aggregatePendingSweep = internalMutation({
  args: { runId: v.string(), after: v.number(), maxSites: v.number() },
  returns: v.null(),
  handler: async (ctx, { runId, after, maxSites }) => {
    await pendingSweepPage(ctx, maxSites, { runId, after });
    return null;
  },
});

/**
 * Repair: enqueues aggregation for every stream with events its cursor has
 * not passed (jobs lost or never run). Safe to run at any time: the cursor
 * makes a second run of the same events impossible. Without `siteId` it
 * sweeps every site, a bounded page of sites per transaction (`limitSites`
 * sites at most, default and maximum 100), continuing itself; `streams` then
 * counts what its first page enqueued. A sweep still running makes a second
 * one a no-op.
 */
export const aggregatePending = mutation({
  args: { siteId: v.optional(v.string()), limitSites: v.optional(v.number()) },
  returns: v.object({ streams: v.number() }),
  handler: async (ctx, { siteId, limitSites }) => {
    if (!siteId)
      return {
        streams: (await pendingSweepPage(ctx, limitSites ?? PENDING_PAGE_SITES))
          .count,
      };
    const id =
      ctx.db.normalizeId("sites", siteId) ??
      fail("not_found", `Unknown site ${siteId}`);
    const site =
      (await ctx.db.get("sites", id)) ??
      fail("not_found", `Unknown site ${siteId}`);
    return { streams: (await enqueuePendingStreams(ctx, site)).count };
  },
});

/** Failed runs in a row at one cursor before repair looks for a poison event. */
export const ISOLATE_AFTER_FAILURES = 2;

/**
 * Repair: re-runs the streams whose aggregation failed, then forgets the
 * failures (a record of a skipped poison event is kept). A stream that keeps
 * failing at the same place is re-run one event at a time, so the event
 * that fails is found and skipped instead of blocking the stream forever.
 */
export const retryFailedEvents = mutation({
  args: { siteId: v.optional(v.string()), limit: v.optional(v.number()) },
  returns: v.object({ retried: v.number(), failures: v.number() }),
  handler: async (ctx, { siteId, limit }) => {
    const take = Math.min(Math.max(limit ?? 100, 1), 500);
    const failures = siteId
      ? await ctx.db
          .query("aggregationFailures")
          .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", siteId))
          .take(take)
      : await ctx.db.query("aggregationFailures").take(take);
    const open = failures.filter((f) => f.skippedEventId === undefined);
    const streams = new Set(open.map((f) => `${f.siteId}|${f.shard}`));
    for (const key of streams) {
      const [siteId, shard] = key.split("|");
      const stream = await getStream(ctx, siteId, Number(shard));
      if (stream?.scheduled) continue; // a job is on its way already
      if (stream) {
        const isolate = (stream.failures ?? 0) >= ISOLATE_AFTER_FAILURES;
        await ctx.db.patch("aggregationStreams", stream._id, {
          scheduled: true,
          scheduledAt: Date.now(),
          ...(isolate ? { isolateRemaining: MAX_EVENTS_PER_RUN } : {}),
        });
      }
      await enqueueAggregation(ctx, siteId, Number(shard), 0);
    }
    for (const failure of open)
      await ctx.db.delete("aggregationFailures", failure._id);
    return { retried: streams.size, failures: open.length };
  },
});
