import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { claimLease, newRunId, releaseLease, renewLease } from "./leases.js";

/**
 * All-sites maintenance (README, "Maintenance"): a sweep pages over the sites
 * table in creation order with a cursor, does a bounded amount of work per
 * transaction, continues itself in a fresh transaction until it has reached
 * every site, and holds one lease for its whole run, so a second start (the
 * next cron tick while a sweep is still going) exits instead of overlapping.
 *
 * The lease lives in `maintenanceLeases` under the site id ALL_SITES and the
 * sweep's chain name; a sweep whose transaction failed leaves its lease to
 * expire (LEASE_MS), and the next cron tick starts over from the first site.
 */
export const ALL_SITES = "*";

/** Sites one sweep page reads at most, whatever its per-site work costs. */
export const SWEEP_MAX_SITES = 100;

/** What the per-site work of one site did: `count` is reported, `cost` is budgeted. */
export type SiteWork = { count: number; cost: number };

export type SweepPageOptions = {
  /** The sweep's lease chain, e.g. "sweep:cleanup". */
  chain: string;
  /** Absent: a new sweep, which claims the lease. Present: a continuation, which must still hold it. */
  runId?: string;
  /** `_creationTime` of the last site the previous page handled; absent: from the first site. */
  after?: number;
  /** Sites per page (at most SWEEP_MAX_SITES). */
  maxSites?: number;
  /**
   * Cost units one page may spend: the page stops after the site that
   * reaches it, so one site's largest cost must fit in what is left of the
   * transaction's limits after `budget`. Default: no budget beyond maxSites.
   */
  budget?: number;
  /** The work for one site, in this page's transaction. */
  perSite: (site: Doc<"sites">) => Promise<SiteWork>;
  /** Schedules the next page (the same sweep, resuming after `after`). */
  continueWith: (next: { runId: string; after: number }) => Promise<void>;
};

export type SweepPageResult = {
  /** False when another live sweep of this chain holds the lease (nothing was done). */
  ran: boolean;
  sites: number;
  count: number;
  /** True when this page reached the last site (the lease is released). */
  done: boolean;
};

/** Claims (new sweep) or renews (continuation) a whole-table chain's lease; the run id, or null when another run holds it. */
export async function holdSweepLease(
  ctx: MutationCtx,
  chain: string,
  runId?: string,
): Promise<string | null> {
  if (runId)
    return (await renewLease(ctx, ALL_SITES, chain, runId)) ? runId : null;
  const fresh = newRunId();
  return (await claimLease(ctx, ALL_SITES, chain, fresh)) ? fresh : null;
}

export async function releaseSweepLease(
  ctx: MutationCtx,
  chain: string,
  runId: string,
): Promise<void> {
  await releaseLease(ctx, ALL_SITES, chain, runId);
}

/**
 * One page of a sweep: holds the lease, runs `perSite` for the next sites
 * after `after` until `maxSites` or `budget` is reached, then schedules the
 * next page, or releases the lease when no site is left.
 */
export async function sweepSitesPage(
  ctx: MutationCtx,
  options: SweepPageOptions,
): Promise<SweepPageResult> {
  const runId = await holdSweepLease(ctx, options.chain, options.runId);
  if (runId === null) return { ran: false, sites: 0, count: 0, done: false };
  const maxSites = Math.max(
    1,
    Math.min(options.maxSites ?? SWEEP_MAX_SITES, SWEEP_MAX_SITES),
  );
  const after = options.after;
  const candidates = await ctx.db
    .query("sites")
    .withIndex("by_creation_time", (q) =>
      after === undefined ? q : q.gt("_creationTime", after),
    )
    .take(maxSites + 1);
  let spent = 0;
  let count = 0;
  let handled = 0;
  for (const site of candidates.slice(0, maxSites)) {
    const work = await options.perSite(site);
    handled++;
    count += work.count;
    spent += work.cost;
    if (options.budget !== undefined && spent >= options.budget) break;
  }
  const done = handled === candidates.length;
  if (done) await releaseSweepLease(ctx, options.chain, runId);
  else
    await options.continueWith({
      runId,
      after: candidates[handled - 1]._creationTime,
    });
  return { ran: true, sites: handled, count, done };
}
