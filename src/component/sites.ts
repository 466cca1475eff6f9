import { v, type ObjectType } from "convex/values";
import {
  mutation,
  query,
  type MutationCtx,
  type QueryCtx,
} from "./_generated/server.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { fail } from "./lib/errors.js";
import { DEFAULT_SESSION_TIMEOUT_MS } from "./lib/limits.js";
import { isValidTimeZone } from "./lib/time.js";
import { vSite, vSiteSettings, type Site } from "./validators.js";

export const SITE_DEFAULTS = {
  timezone: "UTC",
  sessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
  rawEventRetentionDays: 90,
  hourlyRollupRetentionDays: 400,
  rollupShardCount: 4,
};

const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

type Settings = {
  [K in keyof typeof vSiteSettings]?: (typeof vSiteSettings)[K]["type"];
};

function checkRetention(label: string, days: number | undefined): void {
  if (days === undefined) return;
  if (!Number.isInteger(days) || days < 1)
    fail(
      "invalid_argument",
      `${label} must be a whole number of days, at least 1`,
    );
}

/** Validates settings; fails with `invalid_argument` naming the first bad field. */
export function checkSettings(settings: Settings): void {
  if (
    settings.name !== undefined &&
    (settings.name.trim().length === 0 || settings.name.length > 200)
  ) {
    fail("invalid_argument", "name must be 1 to 200 characters");
  }
  if (settings.timezone !== undefined && !isValidTimeZone(settings.timezone)) {
    fail(
      "invalid_argument",
      `timezone "${settings.timezone}" is not an IANA time zone`,
    );
  }
  const timeout = settings.sessionTimeoutMs;
  if (
    timeout !== undefined &&
    !(
      Number.isInteger(timeout) &&
      timeout >= 60_000 &&
      timeout <= 24 * 3_600_000
    )
  ) {
    fail(
      "invalid_argument",
      "sessionTimeoutMs must be between 60000 (1 minute) and 86400000 (24 hours)",
    );
  }
  const shards = settings.rollupShardCount;
  if (
    shards !== undefined &&
    !(Number.isInteger(shards) && shards >= 1 && shards <= 64)
  ) {
    fail(
      "invalid_argument",
      "rollupShardCount must be a whole number from 1 to 64",
    );
  }
  checkRetention("rawEventRetentionDays", settings.rawEventRetentionDays);
  checkRetention(
    "hourlyRollupRetentionDays",
    settings.hourlyRollupRetentionDays,
  );
  checkRetention("dailyRollupRetentionDays", settings.dailyRollupRetentionDays);
  for (const origin of settings.allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      fail(
        "invalid_argument",
        `allowed origin "${origin}" must look like https://example.com`,
      );
  }
}

function checkWriteKeyHash(hash: string): void {
  if (!/^[0-9a-f]{64}$/.test(hash))
    fail(
      "invalid_argument",
      "writeKeyHash must be a hex SHA-256 digest (64 characters)",
    );
}

export function toSite(doc: Doc<"sites">): Site {
  const { writeKeyHash: _secret, ...rest } = doc;
  return rest;
}

export async function getSiteDoc(
  ctx: QueryCtx,
  siteId: string,
): Promise<Doc<"sites">> {
  const id = ctx.db.normalizeId("sites", siteId);
  const site = id ? await ctx.db.get("sites", id) : null;
  if (!site) fail("not_found", `Unknown site ${siteId}`);
  return site;
}

const createArgs = {
  ...vSiteSettings,
  slug: v.string(),
  name: v.string(),
  writeKeyHash: v.string(),
};

async function insertSite(
  ctx: MutationCtx,
  args: ObjectType<typeof createArgs>,
): Promise<string> {
  if (!SLUG_PATTERN.test(args.slug)) {
    fail(
      "invalid_argument",
      `slug "${args.slug}" must be 1 to 64 lower-case letters, digits or dashes, not starting or ending with a dash`,
    );
  }
  checkWriteKeyHash(args.writeKeyHash);
  checkSettings(args);
  const taken = await ctx.db
    .query("sites")
    .withIndex("by_slug", (q) => q.eq("slug", args.slug))
    .first();
  if (taken) fail("conflict", `A site with slug "${args.slug}" already exists`);
  const keyTaken = await ctx.db
    .query("sites")
    .withIndex("by_writeKeyHash", (q) =>
      q.eq("writeKeyHash", args.writeKeyHash),
    )
    .first();
  if (keyTaken)
    fail("conflict", "That write key is already used by another site");
  return await ctx.db.insert("sites", {
    ...args,
    status: args.status ?? "active",
    allowedOrigins: args.allowedOrigins ?? [],
    timezone: args.timezone ?? SITE_DEFAULTS.timezone,
    sessionTimeoutMs: args.sessionTimeoutMs ?? SITE_DEFAULTS.sessionTimeoutMs,
    rawEventRetentionDays:
      args.rawEventRetentionDays ?? SITE_DEFAULTS.rawEventRetentionDays,
    hourlyRollupRetentionDays:
      args.hourlyRollupRetentionDays ?? SITE_DEFAULTS.hourlyRollupRetentionDays,
    rollupShardCount: args.rollupShardCount ?? SITE_DEFAULTS.rollupShardCount,
    visitorIdentity: args.visitorIdentity ?? "device",
  });
}

/** Creates a site; the slug and the write key must be unused. */
export const createSite = mutation({
  args: createArgs,
  returns: v.string(),
  handler: async (ctx, args): Promise<string> => insertSite(ctx, args),
});

/** Returns the site with this slug, creating it when missing (settings apply only on creation). */
export const ensureSite = mutation({
  args: createArgs,
  returns: v.object({ siteId: v.string(), created: v.boolean() }),
  handler: async (ctx, args) => {
    const existing = await ctx.db
      .query("sites")
      .withIndex("by_slug", (q) => q.eq("slug", args.slug))
      .first();
    if (existing) return { siteId: existing._id, created: false };
    return { siteId: await insertSite(ctx, args), created: true };
  },
});

export const updateSite = mutation({
  args: { siteId: v.string(), ...vSiteSettings },
  returns: v.null(),
  handler: async (ctx, { siteId, ...settings }) => {
    const site = await getSiteDoc(ctx, siteId);
    checkSettings(settings);
    const patch: Partial<Doc<"sites">> = Object.fromEntries(
      Object.entries(settings).filter(([, value]) => value !== undefined),
    );
    // The day the counting changed is part of what the numbers mean (README, "Privacy and consent").
    if (
      settings.visitorIdentity !== undefined &&
      settings.visitorIdentity !== (site.visitorIdentity ?? "device")
    ) {
      patch.visitorIdentitySince = Date.now();
    }
    await ctx.db.patch("sites", site._id, patch);
    return null;
  },
});

/**
 * Replaces the write key; the old key stops working in the same transaction.
 * Returns whether the key changed (`onlyIfChanged` makes the same key a no-op).
 */
export const rotateWriteKey = mutation({
  args: {
    siteId: v.string(),
    writeKeyHash: v.string(),
    onlyIfChanged: v.optional(v.boolean()),
  },
  returns: v.boolean(),
  handler: async (ctx, { siteId, writeKeyHash, onlyIfChanged }) => {
    const site = await getSiteDoc(ctx, siteId);
    checkWriteKeyHash(writeKeyHash);
    if (onlyIfChanged && site.writeKeyHash === writeKeyHash) return false;
    const keyTaken = await ctx.db
      .query("sites")
      .withIndex("by_writeKeyHash", (q) => q.eq("writeKeyHash", writeKeyHash))
      .first();
    if (keyTaken && keyTaken._id !== site._id)
      fail("conflict", "That write key is already used by another site");
    await ctx.db.patch("sites", site._id, { writeKeyHash });
    return true;
  },
});

export const getSite = query({
  args: { siteId: v.string() },
  returns: v.union(vSite, v.null()),
  handler: async (ctx, { siteId }) => {
    const id = ctx.db.normalizeId("sites", siteId);
    const site = id ? await ctx.db.get("sites", id) : null;
    return site ? toSite(site) : null;
  },
});

export const getSiteBySlug = query({
  args: { slug: v.string() },
  returns: v.union(vSite, v.null()),
  handler: async (ctx, { slug }) => {
    const site = await ctx.db
      .query("sites")
      .withIndex("by_slug", (q) => q.eq("slug", slug))
      .first();
    return site ? toSite(site) : null;
  },
});

export const listSites = query({
  args: { limit: v.optional(v.number()) },
  returns: v.array(vSite),
  handler: async (ctx, { limit }) => {
    const sites = await ctx.db
      .query("sites")
      .order("asc")
      .take(Math.min(Math.max(limit ?? 100, 1), 1000));
    return sites.map(toSite);
  },
});

export type SiteId = Id<"sites">;
