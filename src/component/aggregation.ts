import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { flushDeltas } from "./rollups.js";
import { RollupDeltas } from "./lib/rollupDelta.js";
import { hashVisitor } from "./lib/sketch.js";
import {
  addEventContribution,
  addSessionContribution,
  clusterSessions,
  sessionKeysOfEvent,
  summarizeEvent,
  type SessionKeys,
  type SessionPiece,
  type SessionSummary,
} from "./lib/sessions.js";
import { withoutUndefined } from "./lib/objects.js";
import { goalsOfEvent, type GoalSpec } from "./lib/goals.js";
import { loadGoalSpecs } from "./goals.js";

import { SETTLE_MS } from "./lib/settle.js";

export { SETTLE_MS };
/** Events consumed by one aggregation run (one mutation). */
export const MAX_EVENTS_PER_RUN = 500;
/** How many session rows of one client session id a run may merge at once. */
const MAX_SESSION_ROWS = 50;

type EventDoc = Doc<"events">;
type SessionDoc = Doc<"sessions">;

/** The session-level keys an event would give the session it starts. */
export function eventSessionKeys(event: EventDoc): SessionKeys {
  return sessionKeysOfEvent(event);
}

export function summaryOfSessionDoc(doc: SessionDoc): SessionSummary {
  const { _id, _creationTime, siteId, sessionId, visitorId, ...summary } = doc;
  return summary;
}

export function groupBySession(events: EventDoc[]): Map<string, EventDoc[]> {
  const groups = new Map<string, EventDoc[]>();
  for (const event of events) {
    const key = `${event.visitorId}\u0000${event.sessionId}`;
    const group = groups.get(key);
    if (group) group.push(event);
    else groups.set(key, [event]);
  }
  return groups;
}

/** Session rows of one client session that new events in [minT, maxT] may touch. */
export async function loadNearbySessions(
  ctx: MutationCtx,
  site: Doc<"sites">,
  first: EventDoc,
  minT: number,
  maxT: number,
): Promise<SessionDoc[]> {
  const timeout = site.sessionTimeoutMs;
  const rows: SessionDoc[] = [];
  const candidates = ctx.db
    .query("sessions")
    .withIndex("by_siteId_and_sessionId_and_startAt", (q) =>
      q
        .eq("siteId", site._id)
        .eq("sessionId", first.sessionId)
        .lte("startAt", maxT + timeout),
    )
    .order("desc");
  for await (const row of candidates) {
    // Rows are disjoint and ordered by start, so ends fall as we go back.
    if (row.endAt < minT - timeout) break;
    if (row.visitorId === first.visitorId) rows.push(row);
    if (rows.length >= MAX_SESSION_ROWS) break;
  }
  return rows;
}

/**
 * Folds one client session's new events into its session rows: re-clusters
 * the rows and events, retracts what changed rows contributed, adds what the
 * resulting sessions contribute, and writes each session row once.
 */
async function foldSessionEvents(
  ctx: MutationCtx,
  site: Doc<"sites">,
  events: EventDoc[],
  deltas: RollupDeltas,
  goals: GoalSpec[],
): Promise<void> {
  const timeZone = site.timezone;
  const visitorHash = hashVisitor(events[0].visitorId);
  const times = events.map((e) => e.occurredAt);
  const existing = await loadNearbySessions(
    ctx,
    site,
    events[0],
    Math.min(...times),
    Math.max(...times),
  );
  const pieces: SessionPiece<SessionDoc>[] = [
    ...existing.map((doc) => ({ summary: summaryOfSessionDoc(doc), ref: doc })),
    ...events.map((e) => ({
      summary: summarizeEvent(
        { ...e, keys: eventSessionKeys(e), goals: goalsOfEvent(goals, e) },
        timeZone,
      ),
    })),
  ];
  for (const cluster of clusterSessions(pieces, site.sessionTimeoutMs)) {
    if (cluster.pieces === cluster.refs.length) continue; // no new events here
    for (const ref of cluster.refs) {
      addSessionContribution(
        deltas,
        summaryOfSessionDoc(ref),
        visitorHash,
        -1,
        timeZone,
      );
    }
    addSessionContribution(deltas, cluster.summary, visitorHash, 1, timeZone);
    const [keep, ...merged] = cluster.refs;
    const row = withoutUndefined({
      siteId: site._id,
      sessionId: events[0].sessionId,
      visitorId: events[0].visitorId,
      ...cluster.summary,
    });
    if (keep) await ctx.db.replace("sessions", keep._id, row);
    else await ctx.db.insert("sessions", row);
    for (const doc of merged) await ctx.db.delete("sessions", doc._id);
  }
}

/**
 * Upserts each visitor of the run once. `recounted` events were counted in
 * the visitor's `events` before (a rebuild replays them): first and last
 * seen and identity are idempotent, the count is not.
 */
async function upsertVisitors(
  ctx: MutationCtx,
  siteId: string,
  events: EventDoc[],
  recounted: (e: EventDoc) => boolean,
): Promise<void> {
  const byVisitor = new Map<string, EventDoc[]>();
  for (const event of events) {
    const list = byVisitor.get(event.visitorId);
    if (list) list.push(event);
    else byVisitor.set(event.visitorId, [event]);
  }
  for (const [visitorId, list] of byVisitor) {
    const times = list.map((e) => e.occurredAt);
    const identify = list
      .filter((e) => e.type === "identify")
      .sort((a, b) => a.occurredAt - b.occurredAt)
      .pop();
    const existing = await ctx.db
      .query("visitors")
      .withIndex("by_siteId_and_visitorId", (q) =>
        q.eq("siteId", siteId).eq("visitorId", visitorId),
      )
      .unique();
    const firstSeenAt = Math.min(existing?.firstSeenAt ?? Infinity, ...times);
    const lastSeenAt = Math.max(existing?.lastSeenAt ?? -Infinity, ...times);
    const identity = identify
      ? {
          userId: identify.userId,
          traits: {
            ...(existing?.traits ?? {}),
            ...(identify.properties ?? {}),
          },
        }
      : {};
    const added = list.filter((e) => !recounted(e)).length;
    if (existing) {
      await ctx.db.patch("visitors", existing._id, {
        firstSeenAt,
        lastSeenAt,
        events: existing.events + added,
        ...identity,
      });
    } else {
      await ctx.db.insert("visitors", {
        siteId,
        visitorId,
        firstSeenAt,
        lastSeenAt,
        events: list.length,
        ...identity,
      });
    }
  }
}

export type RunResult = { processed: number; more: boolean };
export type StreamDoc = Doc<"aggregationStreams">;

export async function getStream(
  ctx: MutationCtx,
  siteId: string,
  shard: number,
): Promise<StreamDoc | null> {
  return await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) =>
      q.eq("siteId", siteId).eq("shard", shard),
    )
    .unique();
}

/**
 * Consumes the next settled events of one (site, shard) stream, in arrival
 * order, and applies them to visitors, sessions and the shard's rollups.
 * Returns the new cursor; the caller stores it in the same transaction, so a
 * run is applied exactly once.
 */
/** A rebuild's replay of a stream (see the `replayUntil` field of aggregationStreams). */
export type Replay = { until: number; from: number };

export async function aggregateStream(
  ctx: MutationCtx,
  site: Doc<"sites">,
  shard: number,
  after: number,
  maxEvents: number = MAX_EVENTS_PER_RUN,
  replay?: Replay,
): Promise<
  RunResult & {
    cursor: number;
    /** The run's events that count as new (not replayed by a rebuild): realtime adds them. */
    counted?: EventDoc[];
  }
> {
  const horizon = Date.now() - SETTLE_MS;
  const page = await ctx.db
    .query("events")
    .withIndex("by_siteId_and_shard", (q) =>
      q
        .eq("siteId", site._id)
        .eq("shard", shard)
        .gt("_creationTime", after)
        .lte("_creationTime", horizon),
    )
    .take(maxEvents + 1);
  const more = page.length > maxEvents;
  const taken = page.slice(0, maxEvents);
  if (taken.length === 0) return { processed: 0, more: false, cursor: after };
  const cursor = taken[taken.length - 1]._creationTime;
  const replayed = (e: EventDoc) =>
    replay !== undefined && e._creationTime <= replay.until;
  // A replay skips what the rebuild kept: events before the rebuilt range.
  const events = taken.filter(
    (e) => !replayed(e) || e.occurredAt >= replay!.from,
  );
  if (events.length === 0) return { processed: taken.length, more, cursor };

  const deltas = new RollupDeltas();
  // The site's goals, read once per run (README, "Goals").
  const goals = await loadGoalSpecs(ctx, site._id);
  for (const event of events)
    addEventContribution(
      deltas,
      event,
      hashVisitor(event.visitorId),
      site.timezone,
      goalsOfEvent(goals, event),
    );
  for (const group of groupBySession(events).values())
    await foldSessionEvents(ctx, site, group, deltas, goals);
  await upsertVisitors(ctx, site._id, events, replayed);
  await flushDeltas(ctx, site._id, shard, deltas);
  // Replayed events are in the realtime minutes already: a rebuild leaves them.
  return {
    processed: taken.length,
    more,
    cursor,
    counted: events.filter((e) => !replayed(e)),
  };
}

/**
 * The first event after `cursor`, settled or not. Reading only up to the
 * first hit keeps concurrent ingests (which insert later events) from
 * conflicting with the run, except when the stream looked empty: exactly the
 * case where an ingest must learn that no job is scheduled any more.
 */
export async function firstPendingEvent(
  ctx: MutationCtx,
  siteId: string,
  shard: number,
  cursor: number,
) {
  return await ctx.db
    .query("events")
    .withIndex("by_siteId_and_shard", (q) =>
      q.eq("siteId", siteId).eq("shard", shard).gt("_creationTime", cursor),
    )
    .first();
}
