import { ConvexError } from "convex/values";
import type { AuthOperation } from "convex-analytics";
import type { QueryCtx } from "./_generated/server";

/**
 * Only signed-in users whose email is listed in the ANALYTICS_ADMINS
 * environment variable (comma separated) may read analytics or manage sites.
 * For a local try-out without an auth provider, ANALYTICS_ALLOW_ANONYMOUS=true
 * lets everyone in: never set it on a deployment with real data.
 */
export async function requireAnalyticsAdmin(
  ctx: Pick<QueryCtx, "auth">,
  { operation, siteId }: AuthOperation,
) {
  if (process.env.ANALYTICS_ALLOW_ANONYMOUS === "true") return;
  const identity = await ctx.auth.getUserIdentity();
  if (!identity) throw new ConvexError(`Sign in to use ${operation}`);
  const admins = (process.env.ANALYTICS_ADMINS ?? "")
    .split(",")
    .map((email) => email.trim().toLowerCase())
    .filter(Boolean);
  if (!identity.email || !admins.includes(identity.email.toLowerCase())) {
    const target = siteId ? ` on site ${siteId}` : "";
    throw new ConvexError(
      `${identity.email ?? "This user"} is not an analytics admin (${operation}${target})`,
    );
  }
}
