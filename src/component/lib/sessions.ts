import { floorToLocalDay, floorToUtcHour } from "./time.js";
import { OVERVIEW, type RollupDeltas } from "./rollupDelta.js";

import {
  GOAL_DIMENSION,
  GOAL_SESSION_DIMENSIONS,
  goalBreakdownDimension,
  goalBreakdownKey,
} from "./goals.js";
import {
  EVENT_KEY_DIMENSIONS,
  PROPERTY_DIMENSIONS,
  PROPERTY_DIMENSION_NAMES,
  SESSION_KEY_DIMENSIONS,
  keyOfEvent,
  type KeyedEvent,
  type PropertyEvent,
  type SessionKeyDimension,
} from "./dimensions.js";

export { SESSION_KEY_DIMENSIONS, type SessionKeyDimension };
export type SessionKeys = Partial<Record<SessionKeyDimension, string>>;

export type SessionBucket = {
  hour: number;
  day: number;
  events: number;
  pageviews: number;
  /** Conversions per goal id among these events (README, "Goals"); absent when none. */
  goals?: Record<string, number>;
};

/** Everything about a session that its rollup contribution depends on. */
export type SessionSummary = SessionKeys & {
  startAt: number;
  endAt: number;
  events: number;
  pageviews: number;
  interactions: number;
  entryPath?: string;
  entryAt?: number;
  exitPath?: string;
  exitAt?: number;
  buckets: SessionBucket[];
};

/** The minimal facts of one event that sessions need. */
export type SessionEvent = {
  type: "pageview" | "track" | "identify";
  path?: string;
  occurredAt: number;
  keys: SessionKeys;
  /** Ids of the goals the event converts. */
  goals?: string[];
};

export function pickSessionKeys(source: SessionKeys): SessionKeys {
  const keys: SessionKeys = {};
  for (const dim of SESSION_KEY_DIMENSIONS)
    if (source[dim] !== undefined) keys[dim] = source[dim];
  return keys;
}

function keysOrder(keys: SessionKeys): string {
  return SESSION_KEY_DIMENSIONS.map((d) => keys[d] ?? "").join("\u0000");
}

export function summarizeEvent(
  event: SessionEvent,
  timeZone: string,
): SessionSummary {
  const isPageview = event.type === "pageview";
  const t = event.occurredAt;
  return {
    ...pickSessionKeys(event.keys),
    startAt: t,
    endAt: t,
    events: 1,
    pageviews: isPageview ? 1 : 0,
    interactions: event.type === "identify" ? 0 : 1,
    ...(isPageview
      ? { entryPath: event.path, entryAt: t, exitPath: event.path, exitAt: t }
      : {}),
    buckets: [
      {
        hour: floorToUtcHour(t),
        day: floorToLocalDay(t, timeZone),
        events: 1,
        pageviews: isPageview ? 1 : 0,
        ...(event.goals?.length
          ? { goals: Object.fromEntries(event.goals.map((g) => [g, 1])) }
          : {}),
      },
    ],
  };
}

function addGoalCounts(
  into: Record<string, number> | undefined,
  from: Record<string, number> | undefined,
): Record<string, number> | undefined {
  if (!from) return into;
  const sum = { ...into };
  for (const [goal, n] of Object.entries(from))
    sum[goal] = (sum[goal] ?? 0) + n;
  return sum;
}

/** A session's conversions per goal id, over all its buckets. */
export function sessionGoalCounts(
  session: SessionSummary,
): Record<string, number> {
  let total: Record<string, number> | undefined;
  for (const bucket of session.buckets)
    total = addGoalCounts(total, bucket.goals);
  return total ?? {};
}

/**
 * Combines two parts of one session. Every choice is symmetric (ties are
 * broken by value), so the result does not depend on arrival order.
 */
export function combineSessions(
  a: SessionSummary,
  b: SessionSummary,
): SessionSummary {
  const earlier =
    a.startAt !== b.startAt
      ? a.startAt < b.startAt
        ? a
        : b
      : keysOrder(a) <= keysOrder(b)
        ? a
        : b;
  const entry = pickPage(a, b, "entry");
  const exit = pickPage(a, b, "exit");
  const buckets = new Map<string, SessionBucket>();
  for (const bucket of [...a.buckets, ...b.buckets]) {
    const id = `${bucket.hour}|${bucket.day}`;
    const existing = buckets.get(id);
    if (existing) {
      existing.events += bucket.events;
      existing.pageviews += bucket.pageviews;
      const goals = addGoalCounts(existing.goals, bucket.goals);
      if (goals) existing.goals = goals;
    } else buckets.set(id, { ...bucket });
  }
  return {
    ...pickSessionKeys(earlier),
    startAt: Math.min(a.startAt, b.startAt),
    endAt: Math.max(a.endAt, b.endAt),
    events: a.events + b.events,
    pageviews: a.pageviews + b.pageviews,
    interactions: a.interactions + b.interactions,
    entryPath: entry?.entryPath,
    entryAt: entry?.entryAt,
    exitPath: exit?.exitPath,
    exitAt: exit?.exitAt,
    buckets: [...buckets.values()].sort(
      (x, y) => x.hour - y.hour || x.day - y.day,
    ),
  };
}

function pickPage(
  a: SessionSummary,
  b: SessionSummary,
  which: "entry" | "exit",
): SessionSummary | undefined {
  const at = (s: SessionSummary) => (which === "entry" ? s.entryAt : s.exitAt);
  const path = (s: SessionSummary) =>
    (which === "entry" ? s.entryPath : s.exitPath) ?? "";
  const ta = at(a);
  const tb = at(b);
  if (ta === undefined) return tb === undefined ? undefined : b;
  if (tb === undefined) return a;
  if (ta !== tb) return (which === "entry" ? ta < tb : ta > tb) ? a : b;
  // Same instant: the smaller path enters, the larger one exits.
  return (which === "entry" ? path(a) <= path(b) : path(a) >= path(b)) ? a : b;
}

/** A part of a session before clustering: an existing row or a new event. */
export type SessionPiece<Ref> = { summary: SessionSummary; ref?: Ref };

/**
 * Groups pieces of one client session into sessions (README, "Metric
 * definitions"): sorted by start, a piece joins the current session when it begins no more than `timeoutMs`
 * after the session's last event. Existing rows are maximal already, so their
 * inner gaps never exceed the timeout and only their ends matter.
 */
export function clusterSessions<Ref>(
  pieces: SessionPiece<Ref>[],
  timeoutMs: number,
) {
  const sorted = [...pieces].sort(
    (a, b) => a.summary.startAt - b.summary.startAt,
  );
  const clusters: { summary: SessionSummary; refs: Ref[]; pieces: number }[] =
    [];
  for (const piece of sorted) {
    const current = clusters[clusters.length - 1];
    if (current && piece.summary.startAt - current.summary.endAt <= timeoutMs) {
      current.summary = combineSessions(current.summary, piece.summary);
      current.pieces++;
      if (piece.ref !== undefined) current.refs.push(piece.ref);
    } else {
      clusters.push({
        summary: piece.summary,
        refs: piece.ref !== undefined ? [piece.ref] : [],
        pieces: 1,
      });
    }
  }
  return clusters;
}

/**
 * A session's duration as the README's metric definitions state it: last
 * event minus first, except that a bounce counts 0 (a pageview followed by
 * an identify minutes later is still a bounce, and adds nothing).
 */
export function sessionDurationMs(session: {
  startAt: number;
  endAt: number;
  interactions: number;
}): number {
  return session.interactions <= 1 ? 0 : session.endAt - session.startAt;
}

/**
 * Adds (sign 1) or retracts (sign -1) what one session contributes to the
 * session-derived rollups: sessions, bounces and duration in the bucket of
 * its first event; entry and exit pages; and, for each session-level key,
 * its events and pageviews in the buckets where they happened.
 */
export function addSessionContribution(
  deltas: RollupDeltas,
  session: SessionSummary,
  visitorHash: number,
  sign: 1 | -1,
  timeZone: string,
): void {
  const hour = floorToUtcHour(session.startAt);
  const day = floorToLocalDay(session.startAt, timeZone);
  const bounced = session.interactions <= 1;
  const perSession = {
    sessions: sign,
    bounces: bounced ? sign : 0,
    durationMs: sign * sessionDurationMs(session),
  };
  const visitor = { hash: visitorHash, delta: sign };
  deltas.addBoth(hour, day, OVERVIEW, "", perSession);
  const pageCounters = { ...perSession, events: sign, pageviews: sign };
  if (session.entryPath !== undefined)
    deltas.addBoth(
      hour,
      day,
      "entryPage",
      session.entryPath,
      pageCounters,
      visitor,
    );
  if (session.exitPath !== undefined)
    deltas.addBoth(
      hour,
      day,
      "exitPage",
      session.exitPath,
      pageCounters,
      visitor,
    );
  for (const dim of SESSION_KEY_DIMENSIONS) {
    const key = session[dim];
    if (key === undefined) continue;
    deltas.addBoth(hour, day, dim, key, perSession);
    for (const bucket of session.buckets) {
      const counters = {
        events: sign * bucket.events,
        pageviews: sign * bucket.pageviews,
      };
      const byEvent = { hash: visitorHash, delta: sign * bucket.events };
      deltas.addBoth(bucket.hour, bucket.day, dim, key, counters, byEvent);
    }
  }
  addGoalSessionContribution(deltas, session, visitorHash, sign, hour, day);
}

/**
 * Only the goal part of a session's contribution (README, "Goals"): what a
 * goal backfill retracts and re-adds when it changes a session's stored
 * conversions, leaving every other dimension as it is.
 */
export function addSessionGoalContribution(
  deltas: RollupDeltas,
  session: SessionSummary,
  visitorHash: number,
  sign: 1 | -1,
  timeZone: string,
): void {
  addGoalSessionContribution(
    deltas,
    session,
    visitorHash,
    sign,
    floorToUtcHour(session.startAt),
    floorToLocalDay(session.startAt, timeZone),
  );
}

/**
 * Converting visitors per (goal, session-level key) (README, "Goals"): a
 * session's conversions count under its source, referrer, … in the buckets
 * where they happened, and under its entry page in the bucket where it
 * started (with `sessions` = converting sessions). Stored per session, so a
 * retraction when sessions merge removes exactly what was added.
 */
function addGoalSessionContribution(
  deltas: RollupDeltas,
  session: SessionSummary,
  visitorHash: number,
  sign: 1 | -1,
  startHour: number,
  startDay: number,
): void {
  for (const bucket of session.buckets) {
    for (const [goal, n] of Object.entries(bucket.goals ?? {})) {
      for (const dim of GOAL_SESSION_DIMENSIONS) {
        const key = session[dim];
        if (key === undefined) continue;
        deltas.addBoth(
          bucket.hour,
          bucket.day,
          goalBreakdownDimension(dim),
          goalBreakdownKey(goal, key),
          { events: sign * n },
          { hash: visitorHash, delta: sign * n },
        );
      }
    }
  }
  if (session.entryPath === undefined) return;
  for (const [goal, n] of Object.entries(sessionGoalCounts(session))) {
    deltas.addBoth(
      startHour,
      startDay,
      goalBreakdownDimension("entryPage"),
      goalBreakdownKey(goal, session.entryPath),
      { events: sign * n, sessions: sign },
      { hash: visitorHash, delta: sign },
    );
  }
}

/** What a single event contributes regardless of its session: the overview, every event-scope dimension and its properties. */
export function addEventContribution(
  deltas: RollupDeltas,
  event: PropertyEvent & { occurredAt: number },
  visitorHash: number,
  timeZone: string,
  goals: readonly string[] = [],
): void {
  const hour = floorToUtcHour(event.occurredAt);
  const day = floorToLocalDay(event.occurredAt, timeZone);
  const counters = { events: 1, pageviews: event.type === "pageview" ? 1 : 0 };
  const visitor = { hash: visitorHash, delta: 1 };
  deltas.addBoth(hour, day, OVERVIEW, "", counters, visitor);
  for (const dimension of EVENT_KEY_DIMENSIONS) {
    const key = keyOfEvent(dimension, event);
    if (key !== undefined)
      deltas.addBoth(hour, day, dimension, key, counters, visitor);
  }
  addEventGoalContribution(deltas, event, visitorHash, timeZone, goals);
  for (const dimension of PROPERTY_DIMENSION_NAMES) {
    for (const key of PROPERTY_DIMENSIONS[dimension].keysOf(event))
      deltas.addBoth(hour, day, dimension, key, counters, visitor);
  }
}

/** An event's conversions under the `goal` dimension: one key per goal it matches. */
export function addEventGoalContribution(
  deltas: RollupDeltas,
  event: { occurredAt: number },
  visitorHash: number,
  timeZone: string,
  goals: readonly string[],
): void {
  if (goals.length === 0) return;
  const hour = floorToUtcHour(event.occurredAt);
  const day = floorToLocalDay(event.occurredAt, timeZone);
  const visitor = { hash: visitorHash, delta: 1 };
  for (const goal of goals)
    deltas.addBoth(hour, day, GOAL_DIMENSION, goal, { events: 1 }, visitor);
}

/** The session-level keys an event would give the session it starts. */
export function sessionKeysOfEvent(event: KeyedEvent): SessionKeys {
  const keys: SessionKeys = {};
  for (const dimension of SESSION_KEY_DIMENSIONS) {
    const key = keyOfEvent(dimension, event);
    if (key !== undefined) keys[dimension] = key;
  }
  return keys;
}
