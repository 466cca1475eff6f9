/**
 * A goal's backfill (README, "Goals"): counts the raw events kept under a
 * goal's new rollup key, and touches nothing but that key.
 *
 * The key (lib/goals.ts, goalRollupKey) is new when the backfill starts: no
 * event was ever counted under it. From the transaction that creates or
 * redefines the goal on, every aggregation run counts it (runs read the
 * goals anew). So the backfill owes exactly the events the streams had
 * aggregated by then — its coverage, read from the stream cursors in that
 * same transaction — and only has to add what they contribute:
 *
 * - under the `goal` dimension, each converting event;
 * - in the stored summary of the session holding the event, one more
 *   conversion in the event's bucket, and in the goal × session-key
 *   dimensions the difference this makes to the session's contribution
 *   (the same retract-and-add an aggregation run does when a session grows,
 *   limited to the goal part).
 *
 * It is a leased chain of bounded pages over the goal's candidate events
 * (a custom event's name, or pageviews) in time order. Deltas go to live
 * rows of their own shard, so pages never contend with aggregation runs
 * for a row; queries read live rows next to the compact units anyway, as
 * they read late events, and compaction folds them in. No row is cleared,
 * so compaction may run throughout: the last page lowers its block
 * watermark to the first day written so the blocks are rebuilt with them.
 * Other figures are never partial; the goal reports say `backfilling`.
 */
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import {
  internalMutation,
  type MutationCtx,
  type QueryCtx,
} from "./_generated/server.js";
import { groupBySession, loadNearbySessions } from "./aggregation.js";
import { flushDeltas } from "./rollups.js";
import { paginator } from "convex-helpers/server/pagination";
import schema from "./schema.js";
import { lowerWatermark, stopCompaction } from "./rebuild.js";
import {
  anyLiveLease,
  claimLease,
  findLease,
  newRunId,
  releaseLease,
  renewLease,
} from "./leases.js";
import {
  GOAL_BACKFILL_CHAIN,
  definitionOf,
  goalMatcher,
  goalRollupKey,
} from "./lib/goals.js";
import { RollupDeltas } from "./lib/rollupDelta.js";
import {
  addEventGoalContribution,
  addSessionGoalContribution,
} from "./lib/sessions.js";
import { hashVisitor } from "./lib/sketch.js";
import { withoutUndefined } from "./lib/objects.js";
import { floorToLocalDay, floorToUtcHour } from "./lib/time.js";
import { getSiteDoc } from "./sites.js";

/** Candidate events one page reads at most (an aggregation run's size). */
export const GOAL_BACKFILL_PAGE_EVENTS = 500;
/**
 * The live-row shard backfill deltas go to. No stream has it, so a page
 * never writes a row an aggregation run writes, and its rows hold goal
 * entries only (small to read whatever the site's traffic).
 */
export const GOAL_BACKFILL_SHARD = -1;

type EventDoc = Doc<"events">;
type SessionDoc = Doc<"sessions">;

/** How far one stream had aggregated when the backfill started. */
const vStreamMark = v.object({
  shard: v.number(),
  cursor: v.number(),
  replayUntil: v.optional(v.number()),
  replayFrom: v.optional(v.number()),
});
type StreamMark = typeof vStreamMark.type;

/** Whether the streams had counted `e` by the time of `marks`. */
function wasAggregated(marks: Map<number, StreamMark>, e: EventDoc): boolean {
  const mark = marks.get(e.shard);
  if (!mark) return false;
  if (e._creationTime <= mark.cursor) return true;
  // A rebuild's replay skips the events before its range that it kept:
  // those are counted already however far the replay has come.
  return (
    mark.replayUntil !== undefined &&
    e._creationTime <= mark.replayUntil &&
    e.occurredAt < mark.replayFrom!
  );
}

/**
 * Events aggregation moved past without counting them (a poison event that
 * isolation found, aggregateJob.ts): behind a cursor, yet never counted.
 */
async function skippedEvents(
  ctx: QueryCtx,
  siteId: string,
): Promise<Set<string>> {
  const failures = await ctx.db
    .query("aggregationFailures")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", siteId))
    .take(256);
  return new Set(failures.flatMap((f) => f.skippedEventId ?? []));
}

/** Whether any goal's backfill is running on the site (goal reports say `backfilling`). */
export async function goalBackfillRunning(
  ctx: QueryCtx,
  siteId: string,
): Promise<boolean> {
  return await anyLiveLease(ctx, siteId, GOAL_BACKFILL_CHAIN);
}

/**
 * Starts the backfill of a goal just created or redefined, in the same
 * transaction. While a rebuild clears the site, its replay (whose runs read
 * the goals anew) counts the goal from the rebuild's start on: the backfill
 * then owes only the events before it, which the rebuild keeps.
 */
export async function startGoalBackfill(
  ctx: MutationCtx,
  site: Doc<"sites">,
  goal: Doc<"goals">,
): Promise<void> {
  const rebuild = await findLease(ctx, site._id, "rebuild");
  const clearing = rebuild !== null && rebuild.leaseUntil > Date.now();
  // A lease written before rebuilds recorded their start: the replay counts all.
  const before = clearing
    ? (rebuild.from ?? -Number.MAX_VALUE)
    : Number.MAX_VALUE;
  const key = goalRollupKey(goal);
  const runId = newRunId();
  // The key is new, so no other run can hold its chain.
  await claimLease(ctx, site._id, GOAL_BACKFILL_CHAIN + key, runId);
  const streams = await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", site._id))
    .take(64);
  const coverage = streams.map((s) =>
    withoutUndefined({
      shard: s.shard,
      cursor: s.cursor,
      replayUntil: s.replayUntil,
      replayFrom: s.replayFrom,
    }),
  );
  await ctx.scheduler.runAfter(0, internal.goalBackfill.backfillPage, {
    siteId: site._id,
    goalId: goal._id,
    key,
    runId,
    coverage,
    before,
    cursor: null,
    firstAt: null,
  });
}

/**
 * The events a goal can match before `before`, in time order: its custom
 * event's, or pageviews. Through convex-helpers' `paginator`, since the
 * built-in `.paginate()` does not work inside components.
 */
function candidateEvents(ctx: QueryCtx, goal: Doc<"goals">, before: number) {
  const def = definitionOf(goal);
  const events = paginator(ctx.db, schema).query("events");
  return def.kind === "path"
    ? events.withIndex("by_siteId_and_type_and_occurredAt", (q) =>
        q
          .eq("siteId", goal.siteId)
          .eq("type", "pageview")
          .lt("occurredAt", before),
      )
    : events.withIndex("by_siteId_and_name_and_occurredAt", (q) =>
        q
          .eq("siteId", goal.siteId)
          .eq("name", def.eventName)
          .lt("occurredAt", before),
      );
}

/**
 * Adds one client session's converting events to the stored conversions of
 * the session rows holding them, and the change to the goal dimensions.
 */
async function addToSessions(
  ctx: MutationCtx,
  site: Doc<"sites">,
  events: EventDoc[],
  key: string,
  deltas: RollupDeltas,
): Promise<void> {
  const times = events.map((e) => e.occurredAt);
  const rows = await loadNearbySessions(
    ctx,
    site,
    events[0],
    Math.min(...times),
    Math.max(...times),
  );
  const byRow = new Map<SessionDoc, EventDoc[]>();
  for (const e of events) {
    // Rows of one client session are disjoint: one holds the event, if any
    // does (a rebuild from a later day counts its session from there on).
    const row = rows.find(
      (r) => r.startAt <= e.occurredAt && e.occurredAt <= r.endAt,
    );
    if (row) byRow.set(row, [...(byRow.get(row) ?? []), e]);
  }
  const visitorHash = hashVisitor(events[0].visitorId);
  for (const [row, list] of byRow) {
    const buckets = row.buckets.map((b) => ({ ...b }));
    for (const e of list) {
      const hour = floorToUtcHour(e.occurredAt);
      const day = floorToLocalDay(e.occurredAt, site.timezone);
      const bucket = buckets.find((b) => b.hour === hour && b.day === day);
      if (bucket)
        bucket.goals = {
          ...bucket.goals,
          [key]: (bucket.goals?.[key] ?? 0) + 1,
        };
    }
    addSessionGoalContribution(deltas, row, visitorHash, -1, site.timezone);
    addSessionGoalContribution(
      deltas,
      { ...row, buckets },
      visitorHash,
      1,
      site.timezone,
    );
    await ctx.db.patch("sessions", row._id, { buckets });
  }
}

/** Ends the chain: compaction is to fold the rows written and rebuild the blocks they fall in. */
async function finish(
  ctx: MutationCtx,
  site: Doc<"sites">,
  chain: string,
  runId: string,
  firstAt: number | null,
): Promise<void> {
  if (firstAt !== null) {
    await stopCompaction(ctx, site._id);
    await lowerWatermark(
      ctx,
      site,
      floorToLocalDay(firstAt, site.timezone),
      false,
    );
  }
  await releaseLease(ctx, site._id, chain, runId);
}

/** One bounded page of a goal's backfill; schedules the next until the candidates are done. */
export const backfillPage = internalMutation({
  args: {
    siteId: v.string(),
    goalId: v.string(),
    key: v.string(),
    runId: v.string(),
    coverage: v.array(vStreamMark),
    /** Only events before this instant: a rebuild's start, when one was clearing. */
    before: v.number(),
    cursor: v.union(v.string(), v.null()),
    /** The earliest conversion counted so far: where the written rows begin. */
    firstAt: v.union(v.number(), v.null()),
  },
  returns: v.null(),
  handler: async (ctx, args) => {
    const chain = GOAL_BACKFILL_CHAIN + args.key;
    if (!(await renewLease(ctx, args.siteId, chain, args.runId))) return null;
    const site = await getSiteDoc(ctx, args.siteId);
    const id = ctx.db.normalizeId("goals", args.goalId);
    const goal = id ? await ctx.db.get("goals", id) : null;
    // Deleted or redefined since: nothing reads this key any more.
    if (!goal || goalRollupKey(goal) !== args.key) {
      await finish(ctx, site, chain, args.runId, args.firstAt);
      return null;
    }
    const matches = goalMatcher(definitionOf(goal));
    const marks = new Map(args.coverage.map((m) => [m.shard, m]));
    const page = await candidateEvents(ctx, goal, args.before).paginate({
      numItems: GOAL_BACKFILL_PAGE_EVENTS,
      cursor: args.cursor,
    });
    const skipped = await skippedEvents(ctx, site._id);
    const converting = page.page.filter(
      (e) => wasAggregated(marks, e) && !skipped.has(e._id) && matches(e),
    );
    const deltas = new RollupDeltas();
    for (const e of converting)
      addEventGoalContribution(
        deltas,
        e,
        hashVisitor(e.visitorId),
        site.timezone,
        [args.key],
      );
    for (const group of groupBySession(converting).values())
      await addToSessions(ctx, site, group, args.key, deltas);
    await flushDeltas(ctx, site._id, GOAL_BACKFILL_SHARD, deltas);
    const firstAt = args.firstAt ?? converting[0]?.occurredAt ?? null;
    if (page.isDone) {
      await finish(ctx, site, chain, args.runId, firstAt);
      return null;
    }
    await ctx.scheduler.runAfter(0, internal.goalBackfill.backfillPage, {
      ...args,
      cursor: page.continueCursor,
      firstAt,
    });
    return null;
  },
});
