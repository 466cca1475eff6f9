/**
 * The aggregation job the workpool runs, and its completion handler, which
 * records failures for repair.ts and skips a poison event once isolated
 * (README, "How it works").
 */
import { v } from "convex/values";
import { vOnCompleteArgs } from "@convex-dev/workpool";
import { internalMutation } from "./_generated/server.js";
import {
  MAX_EVENTS_PER_RUN,
  aggregateStream,
  firstPendingEvent,
  getStream,
} from "./aggregation.js";
import { withoutUndefined } from "./lib/objects.js";
import { getSiteDoc } from "./sites.js";
import { AGGREGATION_DELAY_MS, enqueueAggregation } from "./workpool.js";
import { nextRealtimeMinutes } from "./realtime.js";

/**
 * Aggregation job (run by the workpool). Drains the next settled events of
 * one stream, then schedules itself again while events remain, or marks the
 * stream idle so the next ingest schedules a new job.
 */
export const aggregateEventBatch = internalMutation({
  args: { siteId: v.string(), shard: v.number() },
  returns: v.object({ processed: v.number(), more: v.boolean() }),
  handler: async (ctx, { siteId, shard }) => {
    const site = await getSiteDoc(ctx, siteId);
    const stream = await getStream(ctx, site._id, shard);
    // A rebuild is clearing the site's rollups; it restarts the stream when done.
    if (stream?.paused) return { processed: 0, more: false };
    const isolating = (stream?.isolateRemaining ?? 0) > 0;
    const replay =
      stream?.replayUntil !== undefined
        ? { until: stream.replayUntil, from: stream.replayFrom ?? 0 }
        : undefined;
    const run = await aggregateStream(
      ctx,
      site,
      shard,
      stream?.cursor ?? 0,
      isolating ? 1 : MAX_EVENTS_PER_RUN,
      replay,
    );
    const next = run.more
      ? true
      : await firstPendingEvent(ctx, site._id, shard, run.cursor);
    const replayDone = replay === undefined || run.cursor >= replay.until;
    // Realtime's recent minutes ride on the stream's own patch (realtime.ts).
    const realtime = nextRealtimeMinutes(stream?.realtime, run.counted ?? []);
    const state = {
      ...(replayDone ? { replayUntil: undefined, replayFrom: undefined } : {}),
      ...(realtime ? { realtime } : {}),
      cursor: run.cursor,
      scheduled: next !== null,
      scheduledAt: Date.now(),
      failures: undefined,
      isolateRemaining: isolating ? stream!.isolateRemaining! - 1 : undefined,
    };
    if (stream) await ctx.db.patch("aggregationStreams", stream._id, state);
    else
      await ctx.db.insert(
        "aggregationStreams",
        withoutUndefined({ siteId: site._id, shard, ...state }),
      );
    if (next !== null) {
      const settlesAt =
        next === true
          ? 0
          : next._creationTime + AGGREGATION_DELAY_MS - Date.now();
      await enqueueAggregation(ctx, site._id, shard, Math.max(0, settlesAt));
    }
    return { processed: run.processed, more: next !== null };
  },
});

/**
 * Records failed aggregation jobs so retryFailedEvents can repair them. A
 * job that failed on a single event (isolation) found a poison event: the
 * stream skips it, records it, and carries on with the events behind it.
 */
export const onAggregationComplete = internalMutation({
  args: vOnCompleteArgs(v.object({ siteId: v.string(), shard: v.number() })),
  returns: v.null(),
  handler: async (ctx, { context, result }) => {
    if (result.kind === "success") return null;
    const error =
      result.kind === "failed" ? result.error.slice(0, 2_000) : "canceled";
    const failure = { ...context, error, failedAt: Date.now() };
    const stream = await getStream(ctx, context.siteId, context.shard);
    if (!stream) {
      await ctx.db.insert("aggregationFailures", failure);
      return null;
    }
    const poison =
      result.kind === "failed" && (stream.isolateRemaining ?? 0) > 0
        ? await firstPendingEvent(
            ctx,
            stream.siteId,
            stream.shard,
            stream.cursor,
          )
        : null;
    if (poison) {
      await ctx.db.patch("aggregationStreams", stream._id, {
        cursor: poison._creationTime,
        failures: undefined,
        isolateRemaining: undefined,
      });
      await ctx.db.insert("aggregationFailures", {
        ...failure,
        skippedEventId: poison._id,
      });
      await enqueueAggregation(ctx, stream.siteId, stream.shard, 0);
      return null;
    }
    // The job did not run to its end, so nothing cleared the flag: free the
    // stream so the next ingest (or a repair) schedules it again.
    await ctx.db.patch("aggregationStreams", stream._id, {
      scheduled: false,
      failures: (stream.failures ?? 0) + 1,
    });
    await ctx.db.insert("aggregationFailures", failure);
    return null;
  },
});
