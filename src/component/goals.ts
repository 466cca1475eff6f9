/**
 * Goal definitions per site (README, "Goals"): create, update, delete, list.
 * Creating or changing a goal starts its backfill (goalBackfill.ts), which
 * counts the raw events kept under the goal's new rollup key and touches
 * nothing else.
 */
import { v } from "convex/values";
import { fail } from "./lib/errors.js";
import type { Doc } from "./_generated/dataModel.js";
import { mutation, query, type QueryCtx } from "./_generated/server.js";
import {
  MAX_GOALS_PER_SITE,
  MAX_GOAL_NAME_LENGTH,
  definitionOf,
  goalDefinitionProblem,
  goalMatcher,
  goalRollupKey,
  type GoalDefinition,
  type GoalSpec,
} from "./lib/goals.js";
import { startGoalBackfill } from "./goalBackfill.js";
import { getSiteDoc } from "./sites.js";
import { vGoal, vGoalDefinition } from "./validators.js";
import { withoutUndefined } from "./lib/objects.js";

type GoalDoc = Doc<"goals">;
type GoalInput = {
  name: string;
  eventName?: string;
  propertyKey?: string;
  propertyValue?: string | number | boolean;
  pathPattern?: string;
};

/** The definition of a goal input; fails with `invalid_argument` naming what is wrong. */
function checkGoal(input: GoalInput): GoalDefinition {
  if (
    input.name.trim().length === 0 ||
    input.name.length > MAX_GOAL_NAME_LENGTH
  )
    fail(
      "invalid_argument",
      `name must be 1 to ${MAX_GOAL_NAME_LENGTH} characters`,
    );
  const isEvent = input.eventName !== undefined;
  if (isEvent === (input.pathPattern !== undefined))
    fail(
      "invalid_argument",
      "A goal needs exactly one of eventName and pathPattern",
    );
  if (!isEvent && (input.propertyKey ?? input.propertyValue) !== undefined)
    fail(
      "invalid_argument",
      "propertyKey and propertyValue apply to eventName goals only",
    );
  const def: GoalDefinition = isEvent
    ? {
        kind: "event",
        eventName: input.eventName!,
        ...(input.propertyKey !== undefined
          ? { propertyKey: input.propertyKey }
          : {}),
        ...(input.propertyValue !== undefined
          ? { propertyValue: input.propertyValue }
          : {}),
      }
    : { kind: "path", pathPattern: input.pathPattern! };
  const problem = goalDefinitionProblem(def);
  if (problem) fail("invalid_argument", problem);
  return def;
}

export function toGoal(doc: GoalDoc) {
  const { _id, _creationTime, revision: _revision, ...rest } = doc;
  return withoutUndefined({ goalId: _id as string, ...rest });
}

export async function listGoalDocs(
  ctx: QueryCtx,
  siteId: string,
): Promise<GoalDoc[]> {
  return await ctx.db
    .query("goals")
    .withIndex("by_siteId", (q) => q.eq("siteId", siteId))
    .take(MAX_GOALS_PER_SITE + 1);
}

/** The site's goals as matchers, for an aggregation run (read once per run). */
export async function loadGoalSpecs(
  ctx: QueryCtx,
  siteId: string,
): Promise<GoalSpec[]> {
  return (await listGoalDocs(ctx, siteId)).map((doc) => ({
    id: goalRollupKey(doc),
    matches: goalMatcher(definitionOf(doc)),
  }));
}

async function getGoalDoc(
  ctx: QueryCtx,
  siteId: string,
  goalId: string,
): Promise<GoalDoc> {
  const id = ctx.db.normalizeId("goals", goalId);
  const goal = id ? await ctx.db.get("goals", id) : null;
  if (!goal || goal.siteId !== siteId)
    fail("not_found", `Unknown goal ${goalId} for site ${siteId}`);
  return goal;
}

function fieldsOf(input: GoalInput, def: GoalDefinition) {
  return {
    name: input.name.trim(),
    kind: def.kind,
    eventName: def.kind === "event" ? def.eventName : undefined,
    propertyKey: def.kind === "event" ? def.propertyKey : undefined,
    propertyValue: def.kind === "event" ? def.propertyValue : undefined,
    pathPattern: def.kind === "path" ? def.pathPattern : undefined,
  };
}

/** Defines a goal (at most 20 per site) and starts its backfill; returns its id. */
export const createGoal = mutation({
  args: { siteId: v.string(), ...vGoalDefinition },
  returns: v.string(),
  handler: async (ctx, { siteId, ...input }): Promise<string> => {
    const site = await getSiteDoc(ctx, siteId);
    const def = checkGoal(input);
    const existing = await listGoalDocs(ctx, site._id);
    if (existing.length >= MAX_GOALS_PER_SITE)
      fail(
        "limit_exceeded",
        `A site has at most ${MAX_GOALS_PER_SITE} goals; delete one before adding another`,
      );
    const name = input.name.trim();
    if (existing.some((g) => g.name === name))
      fail("conflict", `A goal named "${name}" already exists for this site`);
    const now = Date.now();
    const goalId = await ctx.db.insert("goals", {
      siteId: site._id,
      ...withoutUndefined(fieldsOf(input, def)),
      createdAt: now,
      updatedAt: now,
    });
    await startGoalBackfill(ctx, site, (await ctx.db.get("goals", goalId))!);
    return goalId;
  },
});

/**
 * Replaces a goal's name and definition (give the whole definition). A
 * changed definition starts a backfill, so its figures follow the new one
 * as far back as raw events are kept.
 */
export const updateGoal = mutation({
  args: { siteId: v.string(), goalId: v.string(), ...vGoalDefinition },
  returns: v.null(),
  handler: async (ctx, { siteId, goalId, ...input }) => {
    const site = await getSiteDoc(ctx, siteId);
    const goal = await getGoalDoc(ctx, site._id, goalId);
    const def = checkGoal(input);
    const fields = fieldsOf(input, def);
    const others = await listGoalDocs(ctx, site._id);
    if (others.some((g) => g._id !== goal._id && g.name === fields.name))
      fail(
        "conflict",
        `A goal named "${fields.name}" already exists for this site`,
      );
    const changed =
      JSON.stringify(definitionOf(goal)) !==
      JSON.stringify(definitionOf({ ...goal, ...fields }));
    // A new definition gets a new rollup key: the old one's counts stay
    // where they are, unread, and the backfill only adds (goalBackfill.ts).
    const revision = changed ? (goal.revision ?? 0) + 1 : goal.revision;
    await ctx.db.patch("goals", goal._id, {
      ...fields,
      revision,
      updatedAt: Date.now(),
    });
    if (changed)
      await startGoalBackfill(
        ctx,
        site,
        (await ctx.db.get("goals", goal._id))!,
      );
    return null;
  },
});

/**
 * Deletes a goal; its conversions stop being reported at once. What the
 * rollups hold under its key is left unread (rebuildRollups drops it), and
 * its backfill, if one runs, stops at its next page.
 */
export const deleteGoal = mutation({
  args: { siteId: v.string(), goalId: v.string() },
  returns: v.null(),
  handler: async (ctx, { siteId, goalId }) => {
    const site = await getSiteDoc(ctx, siteId);
    const goal = await getGoalDoc(ctx, site._id, goalId);
    await ctx.db.delete("goals", goal._id);
    return null;
  },
});

/** The site's goals, oldest first. */
export const listGoals = query({
  args: { siteId: v.string() },
  returns: v.array(vGoal),
  handler: async (ctx, { siteId }) => {
    const site = await getSiteDoc(ctx, siteId);
    const docs = await listGoalDocs(ctx, site._id);
    return docs.map(toGoal);
  },
});
