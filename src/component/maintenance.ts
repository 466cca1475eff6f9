import { v } from "convex/values";
import { api, internal } from "./_generated/api.js";
import type { Doc, Id, TableNames } from "./_generated/dataModel.js";
import {
  internalMutation,
  mutation,
  type MutationCtx,
} from "./_generated/server.js";
import { LIMITS } from "./lib/limits.js";
import { claimLease, newRunId, releaseLease, renewLease } from "./leases.js";
import {
  DAY_MS,
  HOUR_MS,
  floorToLocalDay,
  floorToUtcHour,
} from "./lib/time.js";
import { DAY_LEVEL, HOUR_LEVEL, MAX_LEVEL, blockDays } from "./compactStore.js";
import { STORED_UNIT_DIMENSIONS } from "./compaction.js";
import { getSiteDoc } from "./sites.js";
import {
  holdSweepLease,
  releaseSweepLease,
  sweepSitesPage,
} from "./siteSweep.js";

const CHAIN = "cleanup";

/**
 * Per-page count caps, sized so one page stays far inside Convex's limits:
 * each deleted document is read once by its query and once by the delete.
 * CLEANUP_PAGE_BYTES caps the bytes as well.
 */
export const CLEANUP_PAGE = {
  events: 4_000,
  sessions: 2_000,
  visitors: 2_000,
  rollups: 40,
  botCounters: 500,
};
/** Pages a cron-started pass runs before it stops until the next tick. */
export const DEFAULT_CLEANUP_PAGES = 25;

type Cutoffs = {
  raw: number;
  sessions: number;
  hourly: number;
  daily: number | null;
};

/**
 * What expired: raw events, sessions and visitors older than the raw
 * retention; rollup buckets (and bot-counter hours) only once they *end* by
 * their retention's cutoff, since a bucket straddling it still holds data
 * inside the retention. So the rollup cutoffs are the starts of the buckets
 * holding the cutoff instants (UTC hour; calendar day in the site's zone).
 */
function cutoffsOf(site: Doc<"sites">, now: number): Cutoffs {
  const days = site.dailyRollupRetentionDays;
  return {
    raw: now - site.rawEventRetentionDays * DAY_MS,
    // A late event (up to 24 h) may still extend or bridge a session that
    // ended just before the raw cutoff: keep sessions that long past it, so
    // the event joins its session instead of starting a second one.
    sessions:
      now -
      site.rawEventRetentionDays * DAY_MS -
      LIMITS.maxLateMs -
      site.sessionTimeoutMs,
    hourly: floorToUtcHour(now - site.hourlyRollupRetentionDays * DAY_MS),
    daily: days ? floorToLocalDay(now - days * DAY_MS, site.timezone) : null,
  };
}

/**
 * Bytes of documents one cleanup page may take. Every deleted document is
 * read twice (by its query and by its delete), so a page reads about twice
 * this: far inside the 16 MiB limit even when rollup rows are 256 KiB each.
 */
export const CLEANUP_PAGE_BYTES = 4 * 1024 * 1024;

/** What is left of a page's byte budget; its steps spend it in order. */
type Budget = { bytes: number };

/** Approximate stored size: rollup rows carry their own estimate; others by their JSON. */
function sizeOf(doc: object): number {
  return "bytes" in doc && typeof doc.bytes === "number"
    ? doc.bytes + 200
    : JSON.stringify(doc).length;
}

/**
 * Takes documents from `query` while the count cap and the byte budget
 * allow. `more` when it stopped with documents left (it read one to know).
 */
async function takeWithin<T extends object>(
  query: AsyncIterable<T>,
  limit: number,
  budget: Budget,
) {
  const docs: T[] = [];
  for await (const doc of query) {
    if (docs.length === limit || budget.bytes <= 0) return { docs, more: true };
    docs.push(doc);
    budget.bytes -= sizeOf(doc);
  }
  return { docs, more: false };
}

async function deleteDocs<Table extends TableNames>(
  ctx: MutationCtx,
  table: Table,
  docs: { _id: Id<Table> }[],
): Promise<number> {
  for (const doc of docs) await ctx.db.delete(table, doc._id);
  return docs.length;
}

/** Deletes what one bounded take of `query` (a query of `table`) yields. */
async function deleteTaken<Table extends TableNames>(
  ctx: MutationCtx,
  table: Table,
  query: AsyncIterable<{ _id: Id<Table> }>,
  limit: number,
  budget: Budget,
) {
  const page = await takeWithin(query, limit, budget);
  return { deleted: await deleteDocs(ctx, table, page.docs), more: page.more };
}

/** Stream cursors: an event the aggregation has not passed is never deleted. */
async function streamCursors(
  ctx: MutationCtx,
  siteId: string,
): Promise<Map<number, number>> {
  const streams = await ctx.db
    .query("aggregationStreams")
    .withIndex("by_siteId_and_shard", (q) => q.eq("siteId", siteId))
    .take(64);
  return new Map(streams.map((s) => [s.shard, s.cursor]));
}

/** `eventsFrom` of a chain whose raw-event step is done. */
const EVENTS_DONE = Number.MAX_SAFE_INTEGER;

/**
 * Deletes the aggregated events among the next page of expired ones, from
 * `from` (an occurredAt) on. Unaggregated events stay, and the next page
 * starts at this page's last instant, so a backlog of them cannot hide the
 * aggregated events behind it. `next` is null when the scan is done.
 */
async function deleteExpiredEvents(
  ctx: MutationCtx,
  siteId: string,
  cutoff: number,
  from: number,
  budget: Budget,
) {
  const cursors = await streamCursors(ctx, siteId);
  const query = ctx.db
    .query("events")
    .withIndex("by_siteId_and_occurredAt", (q) =>
      q.eq("siteId", siteId).gte("occurredAt", from).lt("occurredAt", cutoff),
    );
  const { docs: events, more: rest } = await takeWithin(
    query,
    CLEANUP_PAGE.events,
    budget,
  );
  let deleted = 0;
  for (const e of events) {
    if (e._creationTime > (cursors.get(e.shard) ?? -1)) continue; // not aggregated yet
    await ctx.db.delete("events", e._id);
    deleted++;
  }
  const last = events[events.length - 1]?.occurredAt ?? from;
  // A page that neither deleted nor moved on would only read itself again.
  const progressed = deleted > 0 || last > from;
  const next = rest && progressed ? last : null;
  return { deleted, more: next !== null, next };
}

async function deleteRollupsBefore(
  ctx: MutationCtx,
  siteId: string,
  interval: "hour" | "day",
  cutoff: number,
  budget: Budget,
) {
  let deleted = 0;
  let more = false;
  for (const group of ["overview", "keyed"]) {
    const query = ctx.db
      .query("rollupShards")
      .withIndex("by_siteId_and_interval_and_dimension_and_bucketStart", (q) =>
        q
          .eq("siteId", siteId)
          .eq("interval", interval)
          .eq("dimension", group)
          .lt("bucketStart", cutoff),
      );
    const page = await deleteTaken(
      ctx,
      "rollupShards",
      query,
      CLEANUP_PAGE.rollups,
      budget,
    );
    deleted += page.deleted;
    more ||= page.more;
  }
  return { deleted, more };
}

/**
 * Deletes compact units (counts rows and sketch bands) of `levels` that
 * ended before `cutoff`. A block ends `blockDays` local days after its start;
 * 25 h a day is a safe upper bound for any zone.
 */
async function deleteUnitsBefore(
  ctx: MutationCtx,
  siteId: string,
  levels: number[],
  cutoff: number,
  budget: Budget,
) {
  let deleted = 0;
  let more = false;
  for (const dimension of STORED_UNIT_DIMENSIONS) {
    for (const level of levels) {
      const before =
        level <= DAY_LEVEL
          ? cutoff
          : cutoff - (blockDays(level) - 1) * 25 * HOUR_MS;
      const tops = ctx.db
        .query("rollupTops")
        .withIndex("by_siteId_and_dimension_and_level_and_bucketStart", (q) =>
          q
            .eq("siteId", siteId)
            .eq("dimension", dimension)
            .eq("level", level)
            .lt("bucketStart", before),
        );
      const bands = ctx.db
        .query("rollupSketches")
        .withIndex(
          "by_siteId_and_dimension_and_level_and_bucketStart_and_band",
          (q) =>
            q
              .eq("siteId", siteId)
              .eq("dimension", dimension)
              .eq("level", level)
              .lt("bucketStart", before),
        );
      const pages = [
        await deleteTaken(
          ctx,
          "rollupTops",
          tops,
          CLEANUP_PAGE.rollups,
          budget,
        ),
        await deleteTaken(
          ctx,
          "rollupSketches",
          bands,
          CLEANUP_PAGE.rollups,
          budget,
        ),
      ];
      for (const page of pages) {
        deleted += page.deleted;
        more ||= page.more;
      }
    }
  }
  return { deleted, more };
}

const BLOCK_LEVELS = Array.from(
  { length: MAX_LEVEL - DAY_LEVEL },
  (_, i) => DAY_LEVEL + 1 + i,
);

/**
 * One bounded page of retention cleanup for one site (raw events from
 * `eventsFrom`): every step stops at its count cap or when the page's byte
 * budget is spent, and says whether it left anything.
 */
async function cleanupPage(
  ctx: MutationCtx,
  site: Doc<"sites">,
  cutoffs: Cutoffs,
  eventsFrom: number,
) {
  const siteId = site._id;
  const budget: Budget = { bytes: CLEANUP_PAGE_BYTES };
  const events = await deleteExpiredEvents(
    ctx,
    siteId,
    cutoffs.raw,
    eventsFrom,
    budget,
  );
  const steps = [
    () =>
      deleteTaken(
        ctx,
        "sessions",
        ctx.db
          .query("sessions")
          .withIndex("by_siteId_and_endAt", (q) =>
            q.eq("siteId", siteId).lt("endAt", cutoffs.sessions),
          ),
        CLEANUP_PAGE.sessions,
        budget,
      ),
    () =>
      deleteTaken(
        ctx,
        "visitors",
        ctx.db
          .query("visitors")
          .withIndex("by_siteId_and_lastSeenAt", (q) =>
            q.eq("siteId", siteId).lt("lastSeenAt", cutoffs.raw),
          ),
        CLEANUP_PAGE.visitors,
        budget,
      ),
    // A live hour row is its hour's and its day's data until compaction
    // folds it into units: it goes once both retentions have passed.
    () =>
      cutoffs.daily === null
        ? { deleted: 0, more: false }
        : deleteRollupsBefore(
            ctx,
            siteId,
            "hour",
            Math.min(cutoffs.hourly, cutoffs.daily),
            budget,
          ),
    () => deleteUnitsBefore(ctx, siteId, [HOUR_LEVEL], cutoffs.hourly, budget),
    () =>
      cutoffs.daily === null
        ? { deleted: 0, more: false }
        : deleteRollupsBefore(ctx, siteId, "day", cutoffs.daily, budget),
    () =>
      cutoffs.daily === null
        ? { deleted: 0, more: false }
        : deleteUnitsBefore(
            ctx,
            siteId,
            [DAY_LEVEL, ...BLOCK_LEVELS],
            cutoffs.daily,
            budget,
          ),
    () =>
      deleteTaken(
        ctx,
        "botCounters",
        ctx.db
          .query("botCounters")
          .withIndex("by_siteId_and_hourStart", (q) =>
            q.eq("siteId", siteId).lt("hourStart", cutoffs.hourly),
          ),
        CLEANUP_PAGE.botCounters,
        budget,
      ),
  ];
  let deleted = events.deleted;
  let more = events.more;
  for (const step of steps) {
    const result = await step();
    deleted += result.deleted;
    more ||= result.more;
  }
  return { deleted, more, eventsNext: events.next ?? EVENTS_DONE };
}

/**
 * Deletes what the site's retention settings let go: raw events (only once
 * aggregated), sessions and visitors with them, hourly rollups, daily rollups
 * when a retention is set, bot counters. One bounded page per call; it
 * continues itself for up to `maxPages` pages (or until done with
 * `runUntilComplete`). One chain per site: a second start exits at once.
 */
export const cleanupSite = mutation({
  args: {
    siteId: v.string(),
    maxPages: v.optional(v.number()),
    runUntilComplete: v.optional(v.boolean()),
    runId: v.optional(v.string()),
    page: v.optional(v.number()),
    /** Where a continuing chain resumes the raw-event scan (an occurredAt). */
    eventsFrom: v.optional(v.number()),
  },
  returns: v.object({
    deleted: v.number(),
    done: v.boolean(),
    skipped: v.boolean(),
  }),
  handler: async (
    ctx,
    args,
  ): Promise<{ deleted: number; done: boolean; skipped: boolean }> => {
    const site = await getSiteDoc(ctx, args.siteId);
    const runId = args.runId ?? newRunId();
    const holds = args.runId
      ? await renewLease(ctx, site._id, CHAIN, runId)
      : await claimLease(ctx, site._id, CHAIN, runId);
    if (!holds) return { deleted: 0, done: false, skipped: true };
    const cutoffs = cutoffsOf(site, Date.now());
    const { deleted, more, eventsNext } = await cleanupPage(
      ctx,
      site,
      cutoffs,
      args.eventsFrom ?? 0,
    );
    const page = (args.page ?? 0) + 1;
    const maxPages = args.maxPages ?? DEFAULT_CLEANUP_PAGES;
    if (more && (args.runUntilComplete || page < maxPages)) {
      await ctx.scheduler.runAfter(0, api.maintenance.cleanupSite, {
        ...args,
        runId,
        page,
        eventsFrom: eventsNext,
      });
    } else {
      await releaseLease(ctx, site._id, CHAIN, runId);
    }
    return { deleted, done: !more, skipped: false };
  },
});

/** Bookkeeping rows one prune page scans per table. */
export const PRUNE_PAGE = 500;

type PruneTable = "maintenanceLeases" | "aggregationFailures";

/**
 * Scans the next page of `table` in creation order after `after` (null: the
 * table is done) and deletes what `expired` picks. Returns where the next
 * page starts, or null when this one reached the end.
 */
async function prunePage(
  ctx: MutationCtx,
  table: PruneTable,
  after: number | null,
  expired: (doc: Doc<PruneTable>) => boolean,
): Promise<{ deleted: number; next: number | null }> {
  if (after === null) return { deleted: 0, next: null };
  const docs: Doc<PruneTable>[] = await ctx.db
    .query(table)
    .withIndex("by_creation_time", (q) => q.gt("_creationTime", after))
    .take(PRUNE_PAGE);
  let deleted = 0;
  for (const doc of docs) {
    if (!expired(doc)) continue;
    await ctx.db.delete(table, doc._id);
    deleted++;
  }
  return {
    deleted,
    next:
      docs.length === PRUNE_PAGE ? docs[docs.length - 1]._creationTime : null,
  };
}

const vPosition = v.optional(v.union(v.number(), v.null()));

/** The lease chain of pruneExpired (one run at a time across all sites). */
const PRUNE_CHAIN = "sweep:prune";

/**
 * Removes expired bookkeeping across sites: leases whose run died, and
 * aggregation failure records older than `olderThanDays` (default 30). Scans
 * a bounded page of each table per call and continues itself until both are
 * scanned; returns what this call deleted. The chain holds a lease (see
 * siteSweep.ts), so a second start while one runs does nothing.
 */
export const pruneExpired = mutation({
  args: {
    olderThanDays: v.optional(v.number()),
    leasesAfter: vPosition,
    failuresAfter: vPosition,
    /** Set by the chain itself on its continuations. */
    runId: v.optional(v.string()),
  },
  returns: v.object({ leases: v.number(), failures: v.number() }),
  handler: async (ctx, args) => {
    const runId = await holdSweepLease(ctx, PRUNE_CHAIN, args.runId);
    if (runId === null) return { leases: 0, failures: 0 };
    const now = Date.now();
    const before = now - (args.olderThanDays ?? 30) * DAY_MS;
    // A position left out starts its table from the beginning; null means done.
    const leasesAfter = args.leasesAfter === undefined ? 0 : args.leasesAfter;
    const failuresAfter =
      args.failuresAfter === undefined ? 0 : args.failuresAfter;
    const leases = await prunePage(
      ctx,
      "maintenanceLeases",
      leasesAfter,
      (l) => "leaseUntil" in l && l.leaseUntil < now,
    );
    const failures = await prunePage(
      ctx,
      "aggregationFailures",
      failuresAfter,
      (f) => "failedAt" in f && f.failedAt < before,
    );
    if (leases.next !== null || failures.next !== null) {
      await ctx.scheduler.runAfter(0, api.maintenance.pruneExpired, {
        olderThanDays: args.olderThanDays,
        leasesAfter: leases.next,
        failuresAfter: failures.next,
        runId,
      });
    } else {
      await releaseSweepLease(ctx, PRUNE_CHAIN, runId);
    }
    return { leases: leases.deleted, failures: failures.deleted };
  },
});

const vCleanupOptions = {
  maxPages: v.optional(v.number()),
  runUntilComplete: v.optional(v.boolean()),
};
type CleanupOptions = { maxPages?: number; runUntilComplete?: boolean };

/** The lease chain of the all-sites cleanup sweep. */
const CLEANUP_SWEEP = "sweep:cleanup";

/** One page of the all-sites cleanup sweep: starts the cleanup chain of each of its sites. */
async function cleanupSweepPage(
  ctx: MutationCtx,
  options: CleanupOptions,
  position: { runId?: string; after?: number } = {},
) {
  return await sweepSitesPage(ctx, {
    chain: CLEANUP_SWEEP,
    ...position,
    perSite: async (site) => {
      await ctx.scheduler.runAfter(0, api.maintenance.cleanupSite, {
        siteId: site._id,
        ...options,
      });
      return { count: 1, cost: 1 };
    },
    continueWith: async (next) => {
      await ctx.scheduler.runAfter(0, internal.maintenance.cleanupSweep, {
        ...options,
        ...next,
      });
    },
  });
}

/** A continuation of the all-sites cleanup sweep. */
export const cleanupSweep = internalMutation({
  args: { ...vCleanupOptions, runId: v.string(), after: v.number() },
  returns: v.null(),
  handler: async (ctx, { runId, after, ...options }) => {
    await cleanupSweepPage(ctx, options, { runId, after });
    return null;
  },
});

/**
 * Starts a cleanup chain for one site, or for every site: then a sweep over
 * all sites (siteSweep.ts) starts each site's chain, a page of sites per
 * transaction, and `scheduled` counts the chains its first page started. A
 * sweep still running from an earlier call makes this one a no-op.
 */
export const cleanup = mutation({
  args: { siteId: v.optional(v.string()), ...vCleanupOptions },
  returns: v.object({ scheduled: v.number() }),
  handler: async (ctx, { siteId, ...options }) => {
    if (!siteId)
      return { scheduled: (await cleanupSweepPage(ctx, options)).count };
    const site = await getSiteDoc(ctx, siteId);
    await ctx.scheduler.runAfter(0, api.maintenance.cleanupSite, {
      siteId: site._id,
      ...options,
    });
    return { scheduled: 1 };
  },
});
