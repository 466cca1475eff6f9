import { v } from "convex/values";
import { Workpool, vOnCompleteArgs } from "@convex-dev/workpool";
import { components, internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import {
  internalMutation,
  mutation,
  query,
  type MutationCtx,
} from "./_generated/server.js";
import {
  MAX_EVENTS_PER_RUN,
  SETTLE_MS,
  aggregateStream,
  firstPendingEvent,
  getStream,
} from "./aggregation.js";
import { fail } from "./lib/errors.js";
import { LIMITS } from "./lib/limits.js";
import { withoutUndefined } from "./lib/objects.js";
import { hashVisitor } from "./lib/sketch.js";
import { floorToUtcHour } from "./lib/time.js";
import { checkEvent, checkId, cleanContext } from "./lib/validation.js";
import {
  vIngestBatchArgs,
  vIngestResult,
  vVisitorIdentity,
  type IngestResult,
} from "./validators.js";
import { getSiteDoc } from "./sites.js";
import { sweepSitesPage } from "./siteSweep.js";

/** Aggregation jobs; each drains one (site, shard) stream. */
export const aggregationPool = new Workpool(components.aggregationPool, {
  maxParallelism: 4,
  logLevel: "WARN",
});

/** Wait long enough after an ingest that its events are settled (see SETTLE_MS). */
export const AGGREGATION_DELAY_MS = SETTLE_MS + 1_000;

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

async function siteForWriteKey(
  ctx: MutationCtx,
  writeKeyHash: string,
  origin: string | undefined,
) {
  const site = await ctx.db
    .query("sites")
    .withIndex("by_writeKeyHash", (q) => q.eq("writeKeyHash", writeKeyHash))
    .unique();
  if (!site || site.status !== "active")
    fail("unauthorized", "Unknown or disabled write key");
  if (
    site.allowedOrigins.length > 0 &&
    !(origin && site.allowedOrigins.includes(origin))
  ) {
    fail(
      "forbidden",
      `Origin ${origin ?? "(none)"} is not allowed for this site`,
    );
  }
  return site;
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

/** Enqueues one aggregation job for a stream. */
export async function enqueueAggregation(
  ctx: MutationCtx,
  siteId: string,
  shard: number,
  delayMs: number,
) {
  await aggregationPool.enqueueMutation(
    ctx,
    internal.ingest.aggregateEventBatch,
    { siteId, shard },
    {
      runAfter: delayMs,
      onComplete: internal.ingest.onAggregationComplete,
      context: { siteId, shard },
    },
  );
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
    const state = {
      ...(replayDone ? { replayUntil: undefined, replayFrom: undefined } : {}),
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
      await ctx.scheduler.runAfter(0, internal.ingest.aggregatePendingSweep, {
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

/** Counts requests the HTTP route filtered as bots, per UTC hour. */
export const recordBots = mutation({
  args: {
    writeKeyHash: v.string(),
    events: v.number(),
    at: v.optional(v.number()),
  },
  returns: v.null(),
  handler: async (ctx, { writeKeyHash, events, at }) => {
    const site = await ctx.db
      .query("sites")
      .withIndex("by_writeKeyHash", (q) => q.eq("writeKeyHash", writeKeyHash))
      .unique();
    if (!site) return null;
    const hourStart = floorToUtcHour(at ?? Date.now());
    const row = await ctx.db
      .query("botCounters")
      .withIndex("by_siteId_and_hourStart", (q) =>
        q.eq("siteId", site._id).eq("hourStart", hourStart),
      )
      .unique();
    if (row)
      await ctx.db.patch("botCounters", row._id, {
        requests: row.requests + 1,
        events: row.events + events,
      });
    else
      await ctx.db.insert("botCounters", {
        siteId: site._id,
        hourStart,
        requests: 1,
        events,
      });
    return null;
  },
});

/** What the HTTP route needs before ingesting: status and allowed origins. */
export const resolveWriteKey = query({
  args: { writeKeyHash: v.string() },
  returns: v.union(
    v.null(),
    v.object({
      siteId: v.string(),
      active: v.boolean(),
      allowedOrigins: v.array(v.string()),
      /** Cookieless sites get their visitor ids from the route (README, "Privacy and consent"). */
      visitorIdentity: vVisitorIdentity,
      timezone: v.string(),
    }),
  ),
  handler: async (ctx, { writeKeyHash }) => {
    const site = await ctx.db
      .query("sites")
      .withIndex("by_writeKeyHash", (q) => q.eq("writeKeyHash", writeKeyHash))
      .unique();
    if (!site) return null;
    return {
      siteId: site._id,
      active: site.status === "active",
      allowedOrigins: site.allowedOrigins,
      visitorIdentity: site.visitorIdentity ?? "device",
      timezone: site.timezone,
    };
  },
});
