/** Bot counting: requests the HTTP route filtered as bots (README, "Limits and bad input"). */
import { v } from "convex/values";
import { mutation } from "./_generated/server.js";
import { floorToUtcHour } from "./lib/time.js";
import { siteByWriteKeyHash } from "./writeKeys.js";

/** Counts requests the HTTP route filtered as bots, per UTC hour. */
export const recordBots = mutation({
  args: {
    writeKeyHash: v.string(),
    events: v.number(),
    at: v.optional(v.number()),
  },
  returns: v.null(),
  handler: async (ctx, { writeKeyHash, events, at }) => {
    const site = await siteByWriteKeyHash(ctx, writeKeyHash);
    if (!site) return null;
    const hourStart = floorToUtcHour(at ?? Date.now());
    const row = await ctx.db
      .query("botCounters")
      .withIndex("by_siteId_and_hourStart", (q) =>
        q.eq("siteId", site._id).eq("hourStart", hourStart),
      )
      .unique();
    if (row)
      await ctx.db.patch("botCounters", row._id, {
        requests: row.requests + 1,
        events: row.events + events,
      });
    else
      await ctx.db.insert("botCounters", {
        siteId: site._id,
        hourStart,
        requests: 1,
        events,
      });
    return null;
  },
});
