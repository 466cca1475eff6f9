/**
 * Daily salts for cookieless counting (README, "Privacy and consent"). The
 * ingest route derives a cookieless visitor id as an HMAC keyed with the
 * salt of the site's current local day; once that salt is deleted, the ids
 * of its day can neither be linked to another day's nor recomputed from an
 * IP address and user agent.
 */
import { v } from "convex/values";
import { api } from "./_generated/api.js";
import { mutation, query } from "./_generated/server.js";
import { fail } from "./lib/errors.js";
import { DAY_MS, floorToLocalDay, nextLocalDay } from "./lib/time.js";
import { getSiteDoc } from "./sites.js";

/** Salts one prune call deletes before it continues itself. */
export const SALT_PRUNE_PAGE = 200;

const SALT_PATTERN = /^[0-9a-f]{64}$/;

const vDaySalt = v.object({ dayStart: v.number(), salt: v.string() });

/** The salt of the site's local day starting at `dayStart`, or null before its first use (or after its deletion). */
export const getDaySalt = query({
  args: { siteId: v.string(), dayStart: v.number() },
  returns: v.union(vDaySalt, v.null()),
  handler: async (ctx, { siteId, dayStart }) => {
    const row = await ctx.db
      .query("dailySalts")
      .withIndex("by_siteId_and_dayStart", (q) =>
        q.eq("siteId", siteId).eq("dayStart", dayStart),
      )
      .unique();
    return row ? { dayStart: row.dayStart, salt: row.salt } : null;
  },
});

/**
 * The salt of the site's current local day, created from `candidate` on
 * first use. The candidate is drawn by the caller (the HTTP action) with
 * WebCrypto, so the salt's randomness never depends on the mutation
 * runtime's seeded generator. Race-safe: concurrent first uses read the same
 * empty index range, so Convex serializes them and the later one, retried,
 * returns the row the first inserted; every caller gets the same salt.
 */
export const ensureDaySalt = mutation({
  args: { siteId: v.string(), candidate: v.string() },
  returns: vDaySalt,
  handler: async (ctx, { siteId, candidate }) => {
    if (!SALT_PATTERN.test(candidate))
      fail(
        "invalid_argument",
        "candidate must be 32 random bytes as 64 hex characters",
      );
    const site = await getSiteDoc(ctx, siteId);
    const dayStart = floorToLocalDay(Date.now(), site.timezone);
    const existing = await ctx.db
      .query("dailySalts")
      .withIndex("by_siteId_and_dayStart", (q) =>
        q.eq("siteId", site._id).eq("dayStart", dayStart),
      )
      .unique();
    if (existing) return { dayStart, salt: existing.salt };
    const deleteAfter = nextLocalDay(dayStart, site.timezone) + DAY_MS;
    await ctx.db.insert("dailySalts", {
      siteId: site._id,
      dayStart,
      salt: candidate,
      deleteAfter,
    });
    return { dayStart, salt: candidate };
  },
});

/**
 * Deletes the salts whose day ended more than a day ago, across all sites,
 * in pages of {@link SALT_PRUNE_PAGE}; a full page schedules the next one.
 * The cleanup cron runs it (`runCleanup` in `convex-analytics/maintenance`).
 */
export const pruneExpiredSalts = mutation({
  args: {},
  returns: v.object({ deleted: v.number() }),
  handler: async (ctx) => {
    const expired = await ctx.db
      .query("dailySalts")
      .withIndex("by_deleteAfter", (q) => q.lte("deleteAfter", Date.now()))
      .take(SALT_PRUNE_PAGE);
    for (const row of expired) await ctx.db.delete("dailySalts", row._id);
    if (expired.length === SALT_PRUNE_PAGE)
      await ctx.scheduler.runAfter(0, api.salts.pruneExpiredSalts, {});
    return { deleted: expired.length };
  },
});
