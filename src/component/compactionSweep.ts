import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { sweepSitesPage } from "./siteSweep.js";

/** The lease chain of the all-sites compaction sweep. */
const COMPACTION_SWEEP = "sweep:compaction";

/**
 * One page of the all-sites compaction sweep (siteSweep.ts): starts each of
 * its sites' compaction chain (compaction.compactShards, which holds its own
 * per-site lease) for the buckets since `since`.
 */
export async function compactionSweepPage(
  ctx: MutationCtx,
  since: number,
  position: { runId?: string; after?: number } = {},
) {
  return await sweepSitesPage(ctx, {
    chain: COMPACTION_SWEEP,
    ...position,
    perSite: async (site) => {
      await ctx.scheduler.runAfter(0, internal.compaction.compactShards, {
        siteId: site._id,
        since,
      });
      return { count: 1, cost: 1 };
    },
    continueWith: async (next) => {
      await ctx.scheduler.runAfter(0, internal.compactionSweep.compactSweep, {
        ...next,
        since,
      });
    },
  });
}

/** A continuation of the all-sites compaction sweep. */
export const compactSweep = internalMutation({
  args: { runId: v.string(), after: v.number(), since: v.number() },
  returns: v.null(),
  handler: async (ctx, { runId, after, since }) => {
    await compactionSweepPage(ctx, since, { runId, after });
    return null;
  },
});
