import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { fail } from "./lib/errors.js";
import type { Span } from "./lib/rangePlan.js";
import { OVERVIEW } from "./lib/rollupDelta.js";
import {
  DIMENSIONS,
  PROPERTY_DIMENSIONS,
  isPropertyDimension,
  keyOfEvent,
  type EventKeyDimension,
  type PropertyDimension,
  type TopDimension,
} from "./lib/dimensions.js";
import { capPropertyValues } from "./lib/propertyCap.js";
import { floorToUtcHour } from "./lib/time.js";
import {
  SESSION_KEY_DIMENSIONS,
  sessionDurationMs,
  type SessionKeyDimension,
} from "./lib/sessions.js";
import { hashVisitor } from "./lib/sketch.js";
import {
  breakdownOfGoalDimension,
  goalBreakdownKey,
  goalsOfEvent,
  isGoalDimension,
} from "./lib/goals.js";
import { sessionGoalCounts } from "./lib/sessions.js";
import { loadGoalSpecs } from "./goals.js";
import type { KeyedTotals } from "./lib/totals.js";

/**
 * Raw events answer only the partial-hour edges of a range. All edges of one
 * query share this budget (documents read, and index ranges for session
 * lookups); past it the query asks for an hour-aligned range with a clear
 * error instead of running into Convex's generic read limits.
 */
export const MAX_RAW_EDGE_EVENTS = 12_000;
export const MAX_RAW_EDGE_SESSION_LOOKUPS = 2_000;

export class RawBudget {
  documents = MAX_RAW_EDGE_EVENTS;
  lookups = MAX_RAW_EDGE_SESSION_LOOKUPS;

  spend(kind: "documents" | "lookups", n: number): void {
    this[kind] -= n;
    if (this[kind] < 0) {
      fail(
        "limit_exceeded",
        `The partial hours at the edges of this range hold more raw data than one query may read ` +
          `(over ${kind === "documents" ? `${MAX_RAW_EDGE_EVENTS} events and sessions` : `${MAX_RAW_EDGE_SESSION_LOOKUPS} sessions`}); ask for an hour-aligned range.`,
      );
    }
  }
}

type EventDoc = Doc<"events">;
type SessionDoc = Doc<"sessions">;

async function readRawEvents(
  ctx: QueryCtx,
  siteId: string,
  span: Span,
  budget: RawBudget,
): Promise<EventDoc[]> {
  const events = await ctx.db
    .query("events")
    .withIndex("by_siteId_and_occurredAt", (q) =>
      q
        .eq("siteId", siteId)
        .gte("occurredAt", span.start)
        .lt("occurredAt", span.end),
    )
    .take(Math.max(0, budget.documents) + 1);
  budget.spend("documents", events.length);
  return events;
}

async function sessionsStartingIn(
  ctx: QueryCtx,
  siteId: string,
  span: Span,
  budget: RawBudget,
): Promise<SessionDoc[]> {
  const sessions = await ctx.db
    .query("sessions")
    .withIndex("by_siteId_and_startAt", (q) =>
      q.eq("siteId", siteId).gte("startAt", span.start).lt("startAt", span.end),
    )
    .take(Math.max(0, budget.documents) + 1);
  budget.spend("documents", sessions.length);
  return sessions;
}

/** The aggregated session each event belongs to (none while it is unaggregated). */
async function sessionsOfEvents(
  ctx: QueryCtx,
  siteId: string,
  events: EventDoc[],
  budget: RawBudget,
) {
  const bySession = new Map<string, EventDoc[]>();
  for (const e of events) {
    const list = bySession.get(e.sessionId);
    if (list) list.push(e);
    else bySession.set(e.sessionId, [e]);
  }
  budget.spend("lookups", bySession.size);
  const result = new Map<string, SessionDoc>();
  for (const [sessionId, list] of bySession) {
    const minT = Math.min(...list.map((e) => e.occurredAt));
    const maxT = Math.max(...list.map((e) => e.occurredAt));
    const rows = ctx.db
      .query("sessions")
      .withIndex("by_siteId_and_sessionId_and_startAt", (q) =>
        q.eq("siteId", siteId).eq("sessionId", sessionId).lte("startAt", maxT),
      )
      .order("desc");
    const candidates: SessionDoc[] = [];
    for await (const row of rows) {
      budget.spend("documents", 1);
      if (row.endAt < minT) break;
      candidates.push(row);
    }
    for (const e of list) {
      const owner = candidates.find(
        (s) =>
          s.visitorId === e.visitorId &&
          s.startAt <= e.occurredAt &&
          e.occurredAt <= s.endAt,
      );
      if (owner) result.set(e._id, owner);
    }
  }
  return result;
}

function sessionCounters(s: SessionDoc) {
  return {
    sessions: 1,
    bounces: s.interactions <= 1 ? 1 : 0,
    durationMs: sessionDurationMs(s),
  };
}

function addEventsByEventKey(
  events: EventDoc[],
  dimension: string,
  keyed: KeyedTotals,
): void {
  for (const e of events) {
    const pageviews = e.type === "pageview" ? 1 : 0;
    const key =
      dimension === OVERVIEW
        ? ""
        : keyOfEvent(dimension as EventKeyDimension, e);
    if (key === undefined) continue;
    const totals = keyed.for(key);
    totals.addCounters({ events: 1, pageviews });
    totals.addVisitor(hashVisitor(e.visitorId));
  }
}

/**
 * Adds raw events' property keys; `property` values are capped per UTC hour
 * as the rollups cap them, over the events read (a partial hour's edge is
 * capped on its own part).
 */
function addEventsByPropertyKeys(
  events: EventDoc[],
  dimension: PropertyDimension,
  keyed: KeyedTotals,
): void {
  const byHour = new Map<number, Map<string, EventDoc[]>>();
  for (const e of events) {
    const hour = floorToUtcHour(e.occurredAt);
    let keys = byHour.get(hour);
    if (!keys) byHour.set(hour, (keys = new Map()));
    for (const key of PROPERTY_DIMENSIONS[dimension].keysOf(e)) {
      const list = keys.get(key);
      if (list) list.push(e);
      else keys.set(key, [e]);
    }
  }
  for (const keys of byHour.values()) {
    const capped =
      dimension === "property"
        ? capPropertyValues(keys, (into, list) => [...(into ?? []), ...list])
        : keys;
    for (const [key, list] of capped) {
      const totals = keyed.for(key);
      const pageviews = list.filter((e) => e.type === "pageview").length;
      totals.addCounters({ events: list.length, pageviews });
      for (const e of list) totals.addVisitor(hashVisitor(e.visitorId));
    }
  }
}

/**
 * Adds what one raw span contributes to `dimension`, by the same
 * definitions the rollups use (README, "Metric definitions").
 */
export async function addRawSpan(
  ctx: QueryCtx,
  siteId: string,
  span: Span,
  dimension: string,
  keyed: KeyedTotals,
  budget: RawBudget,
): Promise<void> {
  if (isGoalDimension(dimension))
    return await addGoalRawSpan(ctx, siteId, span, dimension, keyed, budget);
  if (isPropertyDimension(dimension)) {
    const events = await readRawEvents(ctx, siteId, span, budget);
    return addEventsByPropertyKeys(events, dimension, keyed);
  }
  const scope =
    dimension === OVERVIEW
      ? "overview"
      : DIMENSIONS[dimension as TopDimension].scope;
  const events =
    scope === "entry" || scope === "exit"
      ? []
      : await readRawEvents(ctx, siteId, span, budget);
  if (scope === "overview" || scope === "event")
    addEventsByEventKey(events, dimension, keyed);
  if (scope === "event") return;

  for (const s of await sessionsStartingIn(ctx, siteId, span, budget)) {
    const key =
      scope === "overview"
        ? ""
        : scope === "entry"
          ? s.entryPath
          : scope === "exit"
            ? s.exitPath
            : s[dimension as SessionKeyDimension];
    if (key === undefined) continue;
    const totals = keyed.for(key);
    totals.addCounters(sessionCounters(s));
    if (scope === "entry" || scope === "exit") {
      totals.addCounters({ events: 1, pageviews: 1 });
      totals.addVisitor(hashVisitor(s.visitorId));
    }
  }
  if (!(SESSION_KEY_DIMENSIONS as readonly string[]).includes(dimension))
    return;
  const owners = await sessionsOfEvents(ctx, siteId, events, budget);
  for (const e of events) {
    const key = owners.get(e._id)?.[dimension as SessionKeyDimension];
    if (key === undefined) continue;
    const totals = keyed.for(key);
    totals.addCounters({ events: 1, pageviews: e.type === "pageview" ? 1 : 0 });
    totals.addVisitor(hashVisitor(e.visitorId));
  }
}

/**
 * What one raw span adds to a goal dimension (README, "Goals"), by the
 * rollups' definitions: conversions by goal; by goal and the converting
 * session's key; by goal and entry page for sessions started in the span.
 */
async function addGoalRawSpan(
  ctx: QueryCtx,
  siteId: string,
  span: Span,
  dimension: string,
  keyed: KeyedTotals,
  budget: RawBudget,
): Promise<void> {
  const breakdown = breakdownOfGoalDimension(dimension);
  if (breakdown === "entryPage") {
    for (const s of await sessionsStartingIn(ctx, siteId, span, budget)) {
      if (s.entryPath === undefined) continue;
      for (const [goal, n] of Object.entries(sessionGoalCounts(s))) {
        const totals = keyed.for(goalBreakdownKey(goal, s.entryPath));
        totals.addCounters({ events: n, sessions: 1 });
        totals.addVisitor(hashVisitor(s.visitorId));
      }
    }
    return;
  }
  const goals = await loadGoalSpecs(ctx, siteId);
  const converting = (await readRawEvents(ctx, siteId, span, budget))
    .map((event) => ({ event, goals: goalsOfEvent(goals, event) }))
    .filter((c) => c.goals.length > 0);
  const owners = breakdown
    ? await sessionsOfEvents(
        ctx,
        siteId,
        converting.map((c) => c.event),
        budget,
      )
    : undefined;
  for (const { event, goals: ids } of converting) {
    const key = breakdown ? owners!.get(event._id)?.[breakdown] : "";
    if (key === undefined) continue;
    for (const goal of ids) {
      const totals = keyed.for(breakdown ? goalBreakdownKey(goal, key) : goal);
      totals.addCounters({ events: 1 });
      totals.addVisitor(hashVisitor(event.visitorId));
    }
  }
}
