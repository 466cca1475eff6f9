/**
 * Ingest (README, "How it works"): ingestBatch appends a batch's events and
 * makes sure an aggregation job will drain their stream. The job is in
 * aggregateJob.ts, the workpool in workpool.ts, repair in repair.ts, bot
 * counting in bots.ts and write-key resolution in writeKeys.ts.
 */
import { mutation, type MutationCtx } from "./_generated/server.js";
import { getStream } from "./aggregation.js";
import { fail } from "./lib/errors.js";
import { LIMITS } from "./lib/limits.js";
import { withoutUndefined } from "./lib/objects.js";
import { hashVisitor } from "./lib/sketch.js";
import { checkEvent, checkId, cleanContext } from "./lib/validation.js";
import {
  vIngestBatchArgs,
  vIngestResult,
  type IngestResult,
} from "./validators.js";
import { AGGREGATION_DELAY_MS, enqueueAggregation } from "./workpool.js";
import { siteForWriteKey } from "./writeKeys.js";

/** A batch's aggregation stream: one session always lands on the same shard. */
export function shardFor(
  visitorId: string,
  sessionId: string,
  shardCount: number,
): number {
  return (
    hashVisitor(`${visitorId}\u0000${sessionId}`) % Math.max(1, shardCount)
  );
}

async function isDuplicate(
  ctx: MutationCtx,
  siteId: string,
  eventId: string | undefined,
  seen: Set<string>,
) {
  if (eventId === undefined) return false;
  if (seen.has(eventId)) return true;
  seen.add(eventId);
  const existing = await ctx.db
    .query("events")
    .withIndex("by_siteId_and_eventId", (q) =>
      q.eq("siteId", siteId).eq("eventId", eventId),
    )
    .first();
  return existing !== null;
}

/**
 * Makes sure a job will drain the stream. Bursts share one job: only the
 * first batch after the stream went idle writes the stream row and enqueues.
 */
async function ensureStreamScheduled(
  ctx: MutationCtx,
  siteId: string,
  shard: number,
): Promise<void> {
  const stream = await getStream(ctx, siteId, shard);
  if (stream?.scheduled) return;
  const scheduled = { scheduled: true, scheduledAt: Date.now() };
  if (stream) await ctx.db.patch("aggregationStreams", stream._id, scheduled);
  else
    await ctx.db.insert("aggregationStreams", {
      siteId,
      shard,
      cursor: 0,
      ...scheduled,
    });
  await enqueueAggregation(ctx, siteId, shard, AGGREGATION_DELAY_MS);
}

/**
 * Appends a batch of events. Each event is validated on its own: a bad one is
 * rejected and counted, the rest are kept. Writes one document per accepted
 * event and makes sure an aggregation job is scheduled for the batch's
 * stream; it never touches visitors, sessions or rollups.
 */
export const ingestBatch = mutation({
  args: vIngestBatchArgs,
  returns: vIngestResult,
  handler: async (ctx, args): Promise<IngestResult> => {
    if (args.events.length > LIMITS.maxEventsPerBatch) {
      fail(
        "limit_exceeded",
        `A batch holds at most ${LIMITS.maxEventsPerBatch} events; got ${args.events.length}`,
      );
    }
    for (const [label, value] of [
      ["visitorId", args.visitorId],
      ["sessionId", args.sessionId],
    ] as const) {
      const problem = checkId(label, value);
      if (problem) fail("invalid_argument", problem);
    }
    const site = await siteForWriteKey(ctx, args.writeKeyHash, args.origin);
    const receivedAt = args.receivedAt ?? Date.now();
    const context = cleanContext(args.context);
    const shard = shardFor(
      args.visitorId,
      args.sessionId,
      site.rollupShardCount,
    );
    const policy = {
      allowed: site.allowedPropertyKeys,
      denied: site.deniedPropertyKeys,
    };
    const result: IngestResult = {
      accepted: 0,
      duplicate: 0,
      rejected: 0,
      errors: [],
    };
    const seen = new Set<string>();
    for (const [index, incoming] of args.events.entries()) {
      const checked = checkEvent(incoming, receivedAt, policy);
      if (!checked.ok) {
        result.rejected++;
        result.errors.push({ index, reason: checked.reason });
        continue;
      }
      if (await isDuplicate(ctx, site._id, checked.event.eventId, seen)) {
        result.duplicate++;
        continue;
      }
      await ctx.db.insert("events", {
        ...withoutUndefined(checked.event),
        siteId: site._id,
        visitorId: args.visitorId,
        sessionId: args.sessionId,
        receivedAt,
        shard,
        ...(context ? { context } : {}),
      });
      result.accepted++;
    }
    if (result.accepted > 0) await ensureStreamScheduled(ctx, site._id, shard);
    return result;
  },
});
