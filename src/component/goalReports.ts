/**
 * Goal conversions over an exact range (README, "Goals"), from the goal
 * dimensions of the rollups (lib/goals.ts) and nothing else: raw events only
 * for partial-hour edges, as every report.
 */
import { fail } from "./lib/errors.js";
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { listGoalDocs, toGoal } from "./goals.js";
import { goalBackfillRunning } from "./goalBackfill.js";
import {
  GOAL_DIMENSION,
  GOAL_KEY_SEPARATOR,
  MAX_GOALS_PER_SITE,
  goalBreakdownDimension,
  goalRollupKey,
  type GoalBreakdownDimension,
} from "./lib/goals.js";
import { LIMITS } from "./lib/limits.js";
import { overviewOf, rankedKeys, visitorsOfKeys } from "./rangeReports.js";
import type { GoalBreakdown, GoalConversions } from "./validators.js";

/**
 * Whether goal figures are still partial: a goal's backfill is running
 * (goalBackfill.ts), or a rebuildRollups run recomputes the site's history
 * (from its lease while it clears, and from the streams while they
 * replay). Other reports have nothing partial during a goal backfill.
 */
export async function isBackfilling(
  ctx: QueryCtx,
  site: Doc<"sites">,
): Promise<boolean> {
  if (await goalBackfillRunning(ctx, site._id)) return true;
  const lease = await ctx.db
    .query("maintenanceLeases")
    .withIndex("by_siteId_and_chain", (q) =>
      q.eq("siteId", site._id).eq("chain", "rebuild"),
    )
    .unique();
  if (lease && lease.leaseUntil > Date.now()) return true;
  const streams = await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", site._id))
    .take(64);
  return streams.some((s) => s.paused || s.replayUntil !== undefined);
}

const rate = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

export async function goalConversions(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
): Promise<GoalConversions> {
  const goals = await listGoalDocs(ctx, site._id);
  const { visitors } = await overviewOf(ctx, site, from, to);
  const keys = new Set<string>(goals.map(goalRollupKey));
  const { rows, exact } = await rankedKeys(
    ctx,
    site,
    from,
    to,
    GOAL_DIMENSION,
    MAX_GOALS_PER_SITE,
    { keep: (key) => keys.has(key) },
  );
  const byId = new Map(rows.map((r) => [r.key, r]));
  return {
    visitors,
    backfilling: await isBackfilling(ctx, site),
    goals: goals.map((doc) => {
      const row = byId.get(goalRollupKey(doc));
      const converters = row?.visitors ?? 0;
      return {
        goal: toGoal(doc),
        visitors: converters,
        conversions: row?.events ?? 0,
        conversionRate: rate(converters, visitors),
        ...(exact ? {} : { approximate: true, maxError: row?.maxError ?? 0 }),
      };
    }),
  };
}

export async function goalBreakdown(
  ctx: QueryCtx,
  site: Doc<"sites">,
  args: {
    from: number;
    to: number;
    goalId: string;
    dimension: GoalBreakdownDimension;
    limit?: number;
    keys?: string[];
  },
): Promise<GoalBreakdown> {
  const goals = await listGoalDocs(ctx, site._id);
  const goal = goals.find((g) => g._id === args.goalId);
  if (!goal)
    fail("not_found", `Unknown goal ${args.goalId} for site ${site._id}`);
  if (args.keys && args.keys.length > LIMITS.maxTopLimit)
    fail(
      "limit_exceeded",
      `keys holds ${args.keys.length} keys; at most ${LIMITS.maxTopLimit}`,
    );
  const prefix = `${goalRollupKey(goal)}${GOAL_KEY_SEPARATOR}`;
  // With `keys`, only those keys are ranked, so only their sketches are read:
  // a table's ten rows cost what the table itself costs (README, "Goals").
  const wanted = args.keys && new Set(args.keys.map((k) => prefix + k));
  const limit = wanted
    ? Math.max(wanted.size, 1)
    : Math.min(
        Math.max(Math.floor(args.limit ?? LIMITS.defaultTopLimit), 1),
        LIMITS.maxTopLimit,
      );
  const { rows, exact } = await rankedKeys(
    ctx,
    site,
    args.from,
    args.to,
    goalBreakdownDimension(args.dimension),
    limit,
    {
      keep: wanted ? (key) => wanted.has(key) : (key) => key.startsWith(prefix),
    },
  );
  const keys = rows.map((r) => r.key.slice(prefix.length));
  // The denominator: the key's own visitors, from its ordinary dimension.
  const { visitors, partial } = await visitorsOfKeys(
    ctx,
    site,
    args.from,
    args.to,
    args.dimension,
    keys,
  );
  return {
    goal: toGoal(goal),
    backfilling: await isBackfilling(ctx, site),
    rows: rows.map((r, i) => {
      const keyVisitors = visitors.get(keys[i]) ?? 0;
      return {
        key: keys[i],
        visitors: keyVisitors,
        converters: r.visitors,
        conversions: r.events,
        conversionRate: rate(r.visitors, keyVisitors),
        // A key some unit left out of its own dimension may miss visitors there.
        ...(exact && !partial.has(keys[i])
          ? {}
          : { approximate: true, maxError: r.maxError }),
      };
    }),
  };
}
