/** Write-key resolution: which site a request's write key belongs to. */
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import { fail } from "./lib/errors.js";
import { vVisitorIdentity } from "./validators.js";

/** The site whose write key hashes to `writeKeyHash`, if any. */
export async function siteByWriteKeyHash(
  ctx: QueryCtx,
  writeKeyHash: string,
): Promise<Doc<"sites"> | null> {
  return await ctx.db
    .query("sites")
    .withIndex("by_writeKeyHash", (q) => q.eq("writeKeyHash", writeKeyHash))
    .unique();
}

/** The active site a batch may be written to; fails `unauthorized` or `forbidden`. */
export async function siteForWriteKey(
  ctx: QueryCtx,
  writeKeyHash: string,
  origin: string | undefined,
) {
  const site = await siteByWriteKeyHash(ctx, writeKeyHash);
  if (!site || site.status !== "active")
    fail("unauthorized", "Unknown or disabled write key");
  if (
    site.allowedOrigins.length > 0 &&
    !(origin && site.allowedOrigins.includes(origin))
  ) {
    fail(
      "forbidden",
      `Origin ${origin ?? "(none)"} is not allowed for this site`,
    );
  }
  return site;
}

/** What the HTTP route needs before ingesting: status and allowed origins. */
export const resolveWriteKey = query({
  args: { writeKeyHash: v.string() },
  returns: v.union(
    v.null(),
    v.object({
      siteId: v.string(),
      active: v.boolean(),
      allowedOrigins: v.array(v.string()),
      /** Cookieless sites get their visitor ids from the route (README, "Privacy and consent"). */
      visitorIdentity: vVisitorIdentity,
      timezone: v.string(),
    }),
  ),
  handler: async (ctx, { writeKeyHash }) => {
    const site = await siteByWriteKeyHash(ctx, writeKeyHash);
    if (!site) return null;
    return {
      siteId: site._id,
      active: site.status === "active",
      allowedOrigins: site.allowedOrigins,
      visitorIdentity: site.visitorIdentity ?? "device",
      timezone: site.timezone,
    };
  },
});
