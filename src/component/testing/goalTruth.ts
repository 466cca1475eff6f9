/**
 * Goal figures (README, "Goals" and "Metric definitions") computed straight
 * from the raw events a test sent, sharing no code with the component: its
 * own pattern matcher (a backtracking walk, not a regular expression) and
 * its own sessions (truth.ts).
 */
import type { SentEvent, TruthSession } from "./truth.js";

export type TruthGoal = {
  id: string;
  eventName?: string;
  propertyKey?: string;
  propertyValue?: string | number | boolean;
  pathPattern?: string;
};

/** `*`: any characters but `/`; `**`: any characters; the rest literally; the whole path. */
export function truthPathMatches(pattern: string, path: string): boolean {
  const walk = (p: number, s: number): boolean => {
    if (p === pattern.length) return s === path.length;
    if (pattern.startsWith("**", p)) {
      for (let k = s; k <= path.length; k++) if (walk(p + 2, k)) return true;
      return false;
    }
    if (pattern[p] === "*") {
      for (let k = s; k <= path.length; k++) {
        if (walk(p + 1, k)) return true;
        if (path[k] === "/") return false;
      }
      return false;
    }
    return path[s] === pattern[p] && walk(p + 1, s + 1);
  };
  return walk(0, 0);
}

export function truthConverts(goal: TruthGoal, e: SentEvent): boolean {
  if (goal.pathPattern !== undefined)
    return (
      e.type === "pageview" &&
      e.path !== undefined &&
      truthPathMatches(goal.pathPattern, e.path)
    );
  if (e.type !== "track" || e.name !== goal.eventName) return false;
  return (
    goal.propertyKey === undefined ||
    e.properties?.[goal.propertyKey] === goal.propertyValue
  );
}

const inRange = (t: number, from: number, to: number) => t >= from && t < to;

export function truthGoalConversions(
  goals: TruthGoal[],
  events: SentEvent[],
  from: number,
  to: number,
) {
  const inside = events.filter((e) => inRange(e.occurredAt, from, to));
  const visitors = new Set(inside.map((e) => e.visitorId)).size;
  return {
    visitors,
    goals: goals.map((g) => {
      const converting = inside.filter((e) => truthConverts(g, e));
      const converters = new Set(converting.map((e) => e.visitorId)).size;
      return {
        goalId: g.id,
        visitors: converters,
        conversions: converting.length,
        conversionRate: visitors ? converters / visitors : 0,
      };
    }),
  };
}

type Row = {
  key: string;
  visitors: number;
  converters: number;
  conversions: number;
  conversionRate: number;
};

/**
 * Per key of `dimension`: for session-level keys, visitors = distinct
 * visitors of the range's events in sessions with that key, converters =
 * distinct visitors of the range's conversions in such sessions; for entry
 * pages, visitors of the sessions started in the range that entered there,
 * and converters those of them whose session converted at any time.
 * Keys with conversions, by conversions desc, then key.
 */
export function truthGoalBreakdown(
  goal: TruthGoal,
  dimension: string,
  sessions: TruthSession[],
  from: number,
  to: number,
  limit: number,
): Row[] {
  const acc = new Map<
    string,
    { visitors: Set<string>; converters: Set<string>; conversions: number }
  >();
  const at = (key: string) => {
    let a = acc.get(key);
    if (!a)
      acc.set(
        key,
        (a = { visitors: new Set(), converters: new Set(), conversions: 0 }),
      );
    return a;
  };
  for (const s of sessions) {
    if (dimension === "entryPage") {
      if (s.entry === undefined || !inRange(s.start, from, to)) continue;
      const a = at(s.entry);
      a.visitors.add(s.visitorId);
      const n = s.events.filter((e) => truthConverts(goal, e)).length;
      if (n > 0) a.converters.add(s.visitorId);
      a.conversions += n;
      continue;
    }
    const key = s.keys[dimension];
    if (key === undefined) continue;
    for (const e of s.events) {
      if (!inRange(e.occurredAt, from, to)) continue;
      const a = at(key);
      a.visitors.add(e.visitorId);
      if (truthConverts(goal, e)) {
        a.converters.add(e.visitorId);
        a.conversions++;
      }
    }
  }
  return [...acc]
    .filter(([, a]) => a.conversions > 0)
    .map(([key, a]) => ({
      key,
      visitors: a.visitors.size,
      converters: a.converters.size,
      conversions: a.conversions,
      conversionRate: a.visitors.size ? a.converters.size / a.visitors.size : 0,
    }))
    .sort(
      (x, y) =>
        y.conversions - x.conversions ||
        (x.key < y.key ? -1 : x.key > y.key ? 1 : 0),
    )
    .slice(0, limit);
}
