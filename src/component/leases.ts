import type { MutationCtx, QueryCtx } from "./_generated/server.js";

/**
 * A lease makes a maintenance chain exclusive per (site, chain): a run
 * claims it with a fresh runId, renews it on every page, and every page
 * checks it still holds it, so a second chain exits instead of overlapping.
 */
export const LEASE_MS = 5 * 60_000;

export async function findLease(
  ctx: MutationCtx,
  siteId: string,
  chain: string,
) {
  return await ctx.db
    .query("maintenanceLeases")
    .withIndex("by_siteId_and_chain", (q) =>
      q.eq("siteId", siteId).eq("chain", chain),
    )
    .unique();
}

/** Claims the lease; false when another live run holds it. */
export async function claimLease(
  ctx: MutationCtx,
  siteId: string,
  chain: string,
  runId: string,
): Promise<boolean> {
  const lease = await findLease(ctx, siteId, chain);
  const now = Date.now();
  if (lease && lease.runId !== runId && lease.leaseUntil > now) return false;
  const fields = { runId, leaseUntil: now + LEASE_MS };
  if (lease) await ctx.db.patch("maintenanceLeases", lease._id, fields);
  else await ctx.db.insert("maintenanceLeases", { siteId, chain, ...fields });
  return true;
}

/** Renews the lease for `runId`; false when the run lost it. */
export async function renewLease(
  ctx: MutationCtx,
  siteId: string,
  chain: string,
  runId: string,
): Promise<boolean> {
  const lease = await findLease(ctx, siteId, chain);
  if (!lease || lease.runId !== runId) return false;
  await ctx.db.patch("maintenanceLeases", lease._id, {
    leaseUntil: Date.now() + LEASE_MS,
  });
  return true;
}

export async function releaseLease(
  ctx: MutationCtx,
  siteId: string,
  chain: string,
  runId: string,
): Promise<void> {
  const lease = await findLease(ctx, siteId, chain);
  if (lease && lease.runId === runId)
    await ctx.db.delete("maintenanceLeases", lease._id);
}

export function newRunId(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Whether a run of any chain whose name starts with `prefix` holds a live lease. */
export async function anyLiveLease(
  ctx: QueryCtx,
  siteId: string,
  prefix: string,
): Promise<boolean> {
  const leases = ctx.db
    .query("maintenanceLeases")
    .withIndex("by_siteId_and_chain", (q) =>
      q
        .eq("siteId", siteId)
        .gte("chain", prefix)
        .lt("chain", `${prefix}\uffff`),
    );
  const now = Date.now();
  for await (const lease of leases) if (lease.leaseUntil > now) return true;
  return false;
}
