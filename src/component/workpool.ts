/**
 * The aggregation workpool: ingest, repair and rebuild enqueue aggregation
 * jobs (aggregateJob.ts) through it (README, "How it works").
 */
import { Workpool } from "@convex-dev/workpool";
import { components, internal } from "./_generated/api.js";
import type { MutationCtx } from "./_generated/server.js";
import { SETTLE_MS } from "./lib/settle.js";

/** Aggregation jobs; each drains one (site, shard) stream. */
export const aggregationPool = new Workpool(components.aggregationPool, {
  maxParallelism: 4,
  logLevel: "WARN",
});

/** Wait long enough after an ingest that its events are settled (see SETTLE_MS). */
export const AGGREGATION_DELAY_MS = SETTLE_MS + 1_000;

/** Enqueues one aggregation job for a stream. */
export async function enqueueAggregation(
  ctx: MutationCtx,
  siteId: string,
  shard: number,
  delayMs: number,
) {
  await aggregationPool.enqueueMutation(
    ctx,
    internal.aggregateJob.aggregateEventBatch,
    { siteId, shard },
    {
      runAfter: delayMs,
      onComplete: internal.aggregateJob.onAggregationComplete,
      context: { siteId, shard },
    },
  );
}
