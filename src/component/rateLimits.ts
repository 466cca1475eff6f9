import { v } from "convex/values";
import { RateLimiter } from "@convex-dev/rate-limiter";
import { components } from "./_generated/api.js";
import { mutation } from "./_generated/server.js";

const limiter = new RateLimiter(components.rateLimiter);

/** A token bucket: `rate` requests per `periodMs`, bursts up to `capacity`. */
export const vRateLimit = v.object({
  rate: v.number(),
  periodMs: v.number(),
  capacity: v.optional(v.number()),
});

/**
 * Takes one ingest request from the visitor's and the site's buckets. Kept
 * out of ingestBatch so a rejected request writes no events, and so apps
 * that turn rate limiting off pay nothing for it.
 */
export const consumeIngestQuota = mutation({
  args: {
    siteId: v.string(),
    visitorId: v.string(),
    perVisitor: v.optional(vRateLimit),
    perSite: v.optional(vRateLimit),
  },
  returns: v.object({ ok: v.boolean(), retryAfterMs: v.optional(v.number()) }),
  handler: async (ctx, { siteId, visitorId, perVisitor, perSite }) => {
    const buckets = [
      {
        name: "ingestPerVisitor",
        key: `${siteId}:${visitorId}`,
        limit: perVisitor,
        shards: 1,
      },
      // A busy site's bucket is sharded so concurrent requests rarely collide.
      { name: "ingestPerSite", key: siteId, limit: perSite, shards: 4 },
    ];
    for (const { name, key, limit, shards } of buckets) {
      if (!limit) continue;
      const status = await limiter.limit(ctx, name, {
        key,
        config: {
          kind: "token bucket",
          rate: limit.rate,
          period: limit.periodMs,
          capacity: limit.capacity ?? limit.rate,
          shards,
        },
      });
      if (!status.ok) return { ok: false, retryAfterMs: status.retryAfter };
    }
    return { ok: true };
  },
});
