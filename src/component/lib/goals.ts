/**
 * Goals (README, "Goals"): what counts as a conversion, and the rollup
 * dimensions conversions are kept under.
 *
 * A goal is either a custom event (`track` events with that name, optionally
 * only those whose property `propertyKey` equals `propertyValue`) or a
 * pageview path pattern. In a pattern, `*` stands for any run of characters
 * other than `/` (empty included) and `**` for any run of characters,
 * slashes included; everything else must match exactly, and the whole path
 * must match (a query string is part of the path as the tracker sent it).
 */

export const MAX_GOALS_PER_SITE = 20;
export const MAX_GOAL_NAME_LENGTH = 120;
export const MAX_PATH_PATTERN_LENGTH = 2_000;

export type GoalPropertyValue = string | number | boolean;

export type GoalDefinition =
  | {
      kind: "event";
      eventName: string;
      propertyKey?: string;
      propertyValue?: GoalPropertyValue;
    }
  | { kind: "path"; pathPattern: string };

/** A goal as aggregation applies it; `id` is its rollup key (goalRollupKey). */
export type GoalSpec = { id: string; matches: (e: GoalEvent) => boolean };

/** The facts of an event a goal looks at. */
export type GoalEvent = {
  type: "pageview" | "track" | "identify";
  name: string;
  path?: string;
  properties?: Record<string, unknown>;
};

/**
 * The first thing wrong with a goal definition, in words for the caller, or
 * null. Mirrors the event limits (README, "Limits and bad input"): an event
 * name longer than 120 characters or a property key longer than 64 could
 * never match an accepted event.
 */
export function goalDefinitionProblem(def: GoalDefinition): string | null {
  if (def.kind === "event") {
    const name = def.eventName;
    if (name.trim().length === 0 || name.length > 120)
      return "eventName must be 1 to 120 characters";
    if (name === "pageview" || name === "identify")
      return `eventName "${name}" is not a custom event; use a pathPattern goal for pageviews`;
    const hasKey = def.propertyKey !== undefined;
    if (hasKey !== (def.propertyValue !== undefined))
      return "propertyKey and propertyValue go together: give both or neither";
    if (
      hasKey &&
      (def.propertyKey!.length === 0 || def.propertyKey!.length > 64)
    )
      return "propertyKey must be 1 to 64 characters";
    if (typeof def.propertyValue === "string" && def.propertyValue.length > 512)
      return "propertyValue must be at most 512 characters";
    if (
      typeof def.propertyValue === "number" &&
      !Number.isFinite(def.propertyValue)
    )
      return "propertyValue must be a finite number";
    return null;
  }
  const pattern = def.pathPattern;
  if (!pattern.startsWith("/"))
    return `pathPattern "${pattern}" must start with "/"`;
  if (pattern.length > MAX_PATH_PATTERN_LENGTH)
    return `pathPattern must be at most ${MAX_PATH_PATTERN_LENGTH} characters`;
  if (/\*{3,}/.test(pattern))
    return `pathPattern "${pattern}" has "***": use "*" (one segment) or "**" (any depth)`;
  return null;
}

/** The regular expression of a path pattern (see the module comment). */
export function pathPatternRegExp(pattern: string): RegExp {
  const parts = pattern.split(/(\*\*|\*)/);
  const source = parts
    .map((part) =>
      part === "**"
        ? ".*"
        : part === "*"
          ? "[^/]*"
          : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`, "s");
}

/** A matcher for one goal; build once per run, apply to every event. */
export function goalMatcher(def: GoalDefinition): (e: GoalEvent) => boolean {
  if (def.kind === "path") {
    const re = pathPatternRegExp(def.pathPattern);
    return (e) =>
      e.type === "pageview" && e.path !== undefined && re.test(e.path);
  }
  const { eventName, propertyKey, propertyValue } = def;
  return (e) =>
    e.type === "track" &&
    e.name === eventName &&
    (propertyKey === undefined ||
      e.properties?.[propertyKey] === propertyValue);
}

/** Lease chain name prefix of goal backfills (goalBackfill.ts): one chain per rollup key. */
export const GOAL_BACKFILL_CHAIN = "goalBackfill:";

/** A stored goal's fields that define what it matches. */
export type StoredGoalDefinition = {
  kind: "event" | "path";
  eventName?: string;
  propertyKey?: string;
  propertyValue?: GoalPropertyValue;
  pathPattern?: string;
};

export function definitionOf(doc: StoredGoalDefinition): GoalDefinition {
  return doc.kind === "path"
    ? { kind: "path", pathPattern: doc.pathPattern! }
    : {
        kind: "event",
        eventName: doc.eventName!,
        propertyKey: doc.propertyKey,
        propertyValue: doc.propertyValue,
      };
}

/**
 * The key a goal's conversions are kept under in the rollups and in the
 * sessions' stored counts: the goal id, then `.revision` once its definition
 * changed. A new definition thus starts from nothing under a key no event
 * was ever counted under, which is what lets its backfill (goalBackfill.ts)
 * only add; what the old key holds is never read again.
 */
export function goalRollupKey(goal: { _id: string; revision?: number }) {
  return goal.revision ? `${goal._id}.${goal.revision}` : goal._id;
}

/** The ids of the goals an event converts (an event can convert several). */
export function goalsOfEvent(goals: GoalSpec[], event: GoalEvent): string[] {
  const ids: string[] = [];
  for (const goal of goals) if (goal.matches(event)) ids.push(goal.id);
  return ids;
}

// ---------------------------------------------------------------- dimensions

/**
 * Conversions per goal: key = goal id, `events` = conversions, visitor
 * sketch = converting visitors. At most 20 live goals per site, so its
 * units never truncate (their limits are 200 and 500 keys).
 */
export const GOAL_DIMENSION = "goal";

/** Session-level dimensions a goal can be broken down by. */
export const GOAL_BREAKDOWN_DIMENSIONS = [
  "source",
  "referrer",
  "campaign",
  "medium",
  "country",
  "device",
  "entryPage",
] as const;
export type GoalBreakdownDimension = (typeof GOAL_BREAKDOWN_DIMENSIONS)[number];
export type GoalSessionDimension = Exclude<GoalBreakdownDimension, "entryPage">;
export const GOAL_SESSION_DIMENSIONS = GOAL_BREAKDOWN_DIMENSIONS.filter(
  (d): d is GoalSessionDimension => d !== "entryPage",
);

/**
 * Converting visitors per (goal, key of a session-level dimension) live in
 * one dimension per breakdown dimension, shared by all of a site's goals,
 * keyed `${goalId}\u001f${key}` — not one per goal. Compaction's block
 * building, retention cleanup and rebuildRollups walk every dimension name
 * in bounded pages; a static handful keeps that bounded, whereas one per
 * goal would multiply it by up to 20 (and leave deleted goals' names to
 * track). The price: a unit keeps 200 (day: 500) keys for all goals
 * together, so a site with many goals × many keys may get breakdowns the
 * ranking cannot prove; it then says so (`approximate`, `maxError`), as
 * every top list does. A site with a few goals and tens of sources stays
 * exact.
 */
export function goalBreakdownDimension(d: GoalBreakdownDimension): string {
  return `goal_${d}`;
}

export const GOAL_UNIT_DIMENSIONS: readonly string[] = [
  GOAL_DIMENSION,
  ...GOAL_BREAKDOWN_DIMENSIONS.map(goalBreakdownDimension),
];

/** Separates the goal id from the breakdown key (never part of an id or a clean key). */
export const GOAL_KEY_SEPARATOR = "\u001f";

export function goalBreakdownKey(goalId: string, key: string): string {
  return `${goalId}${GOAL_KEY_SEPARATOR}${key}`;
}

export function isGoalDimension(dimension: string): boolean {
  return GOAL_UNIT_DIMENSIONS.includes(dimension);
}

/** The breakdown dimension a goal unit dimension stores, or undefined for `goal` itself. */
export function breakdownOfGoalDimension(
  dimension: string,
): GoalBreakdownDimension | undefined {
  return GOAL_BREAKDOWN_DIMENSIONS.find(
    (d) => goalBreakdownDimension(d) === dimension,
  );
}
