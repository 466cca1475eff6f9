import {
  internalMutationGeneric,
  type Crons,
  type FunctionReference,
  type GenericMutationCtx,
  type GenericDataModel,
} from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";

const maintenanceArgs = {
  siteId: v.optional(v.string()),
  maxPages: v.optional(v.number()),
  runUntilComplete: v.optional(v.boolean()),
  since: v.optional(v.number()),
};
type MaintenanceArgs = {
  siteId?: string;
  maxPages?: number;
  runUntilComplete?: boolean;
  since?: number;
};
type Ctx = GenericMutationCtx<GenericDataModel>;

/** Starts retention cleanup chains; a cron-sized pass unless `runUntilComplete`. */
export async function runCleanup(
  ctx: Ctx,
  component: ComponentApi,
  args: MaintenanceArgs = {},
) {
  const { since: _since, ...cleanupArgs } = args;
  await runSaltPruning(ctx, component);
  return await ctx.runMutation(component.maintenance.cleanup, cleanupArgs);
}

/**
 * Deletes cookieless salts a day after their local day ended, for every site
 * (README, "Privacy and consent"); bounded pages that continue themselves.
 * `runCleanup` (the cleanup cron) calls it; apps with their own crons call it
 * hourly.
 */
export async function runSaltPruning(ctx: Ctx, component: ComponentApi) {
  return await ctx.runMutation(component.salts.pruneExpiredSalts, {});
}

/** Starts one site's cleanup chain now (for apps that write their own crons). */
export async function runCleanupSite(
  ctx: Ctx,
  component: ComponentApi,
  siteId: string,
  options: { maxPages?: number; runUntilComplete?: boolean } = {},
) {
  return await ctx.runMutation(component.maintenance.cleanupSite, {
    siteId,
    ...options,
  });
}

/** Starts compaction of settled buckets (default: the last three days). */
export async function runCompaction(
  ctx: Ctx,
  component: ComponentApi,
  args: { siteId?: string; since?: number } = {},
) {
  return await ctx.runMutation(component.compaction.compact, args);
}

/** Re-queues failed aggregation, re-runs streams whose jobs were lost, prunes bookkeeping. */
export async function runRepair(
  ctx: Ctx,
  component: ComponentApi,
  args: { siteId?: string } = {},
) {
  const retried = await ctx.runMutation(
    component.repair.retryFailedEvents,
    args,
  );
  const pending = await ctx.runMutation(
    component.repair.aggregatePending,
    args,
  );
  const pruned = await ctx.runMutation(component.maintenance.pruneExpired, {});
  return {
    retried: retried.retried,
    streams: pending.streams,
    prunedLeases: pruned.leases,
  };
}

/**
 * Internal mutations for the app to export from `convex/analytics.ts`:
 * `cleanup` (retention), `compact` (merge shard rows) and `repair`
 * (failed or lost aggregation). `registerDefaultAnalyticsCrons` schedules them.
 */
export function exposeMaintenanceApi(component: ComponentApi) {
  return {
    cleanup: internalMutationGeneric({
      args: maintenanceArgs,
      returns: v.object({ scheduled: v.number() }),
      handler: (ctx: Ctx, args: MaintenanceArgs) =>
        runCleanup(ctx, component, args),
    }),
    compact: internalMutationGeneric({
      args: maintenanceArgs,
      returns: v.object({ scheduled: v.number() }),
      handler: (ctx: Ctx, { siteId, since }: MaintenanceArgs) =>
        runCompaction(ctx, component, { siteId, since }),
    }),
    repair: internalMutationGeneric({
      args: maintenanceArgs,
      returns: v.object({
        retried: v.number(),
        streams: v.number(),
        prunedLeases: v.number(),
      }),
      handler: (ctx: Ctx, { siteId }: MaintenanceArgs) =>
        runRepair(ctx, component, { siteId }),
    }),
    /** Recomputes a site's rollups from its raw events (README, "Rebuilding rollups"). */
    rebuildRollups: internalMutationGeneric({
      args: { siteId: v.string(), from: v.optional(v.number()) },
      returns: v.object({
        started: v.boolean(),
        from: v.union(v.number(), v.null()),
      }),
      handler: (ctx: Ctx, args: { siteId: string; from?: number }) =>
        ctx.runMutation(component.rebuild.rebuildRollups, args),
    }),
  };
}

type MaintenanceRef = FunctionReference<
  "mutation",
  "internal",
  MaintenanceArgs
>;

/** What `registerDefaultAnalyticsCrons` needs: the app's exported maintenance functions. */
export type MaintenanceFunctions = {
  cleanup: MaintenanceRef;
  compact: MaintenanceRef;
  repair: MaintenanceRef;
};

export type AnalyticsCronOptions = {
  /** Run for these sites only (default: every site). */
  siteIds?: string[];
  /** Cron name prefix; default "analytics:". */
  prefix?: string;
  cleanupEveryMinutes?: number;
  compactEveryMinutes?: number;
  repairEveryMinutes?: number;
  /** Pages per cleanup pass (each page bounded); default 25. */
  cleanupPagesPerRun?: number;
};

/**
 * Registers bounded maintenance crons with safe defaults: cleanup hourly
 * (25 bounded pages per site per tick — enough for a million events a day),
 * compaction every 15 minutes, repair every 15. Never `runUntilComplete`.
 */
export function registerDefaultAnalyticsCrons(
  crons: Crons,
  fns: MaintenanceFunctions,
  options: AnalyticsCronOptions = {},
): void {
  const prefix = options.prefix ?? "analytics:";
  const targets: (string | undefined)[] = options.siteIds ?? [undefined];
  for (const siteId of targets) {
    const suffix = siteId ? `:${siteId}` : "";
    const site = siteId ? { siteId } : {};
    crons.interval(
      `${prefix}cleanup${suffix}`,
      { minutes: options.cleanupEveryMinutes ?? 60 },
      fns.cleanup,
      {
        ...site,
        maxPages: options.cleanupPagesPerRun ?? 25,
      },
    );
    crons.interval(
      `${prefix}compact${suffix}`,
      { minutes: options.compactEveryMinutes ?? 15 },
      fns.compact,
      site,
    );
    crons.interval(
      `${prefix}repair${suffix}`,
      { minutes: options.repairEveryMinutes ?? 15 },
      fns.repair,
      site,
    );
  }
}
