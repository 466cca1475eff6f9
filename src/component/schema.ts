import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import {
  sessionKeyFields,
  siteFields,
  vInterval,
  vStoredEventFields,
  vProperties,
} from "./validators.js";

/** One key's additive counters inside a rollup row; `visitors` is a sketch. */
export const vRollupEntry = v.object({
  key: v.string(),
  events: v.number(),
  pageviews: v.number(),
  sessions: v.number(),
  bounces: v.number(),
  durationMs: v.number(),
  visitors: v.bytes(),
});

/** How many events of a session fell in one (UTC hour, local day) pair. */
export const vSessionBucket = v.object({
  hour: v.number(),
  day: v.number(),
  events: v.number(),
  pageviews: v.number(),
  /** Conversions per goal id among those events (README, "Goals"). */
  goals: v.optional(v.record(v.string(), v.number())),
});

const vRealtimeMinutes = v.object({
  /** Recent minutes with events, oldest first. */
  minutes: v.array(
    v.object({
      minuteStart: v.number(),
      events: v.number(),
      pageviews: v.number(),
      /** Visitors of the minute (a sketch), kept only for the last few minutes. */
      visitors: v.optional(v.bytes()),
    }),
  ),
  /** Minutes before this were trimmed: their counts are gone. */
  countsFrom: v.number(),
  /** Visitor sketches of minutes before this were dropped. */
  visitorsFrom: v.number(),
});

export default defineSchema({
  sites: defineTable({ ...siteFields, writeKeyHash: v.string() })
    .index("by_slug", ["slug"])
    .index("by_writeKeyHash", ["writeKeyHash"]),

  // Goal definitions (README, "Goals"), at most 20 per site.
  goals: defineTable({
    siteId: v.string(),
    name: v.string(),
    kind: v.union(v.literal("event"), v.literal("path")),
    eventName: v.optional(v.string()),
    propertyKey: v.optional(v.string()),
    propertyValue: v.optional(v.union(v.string(), v.number(), v.boolean())),
    pathPattern: v.optional(v.string()),
    /**
     * Bumped when the definition changes: the rollups keep a definition's
     * conversions under its own key (lib/goals.ts, goalRollupKey), so a new
     * one is backfilled from nothing and the old one's are left unread.
     */
    revision: v.optional(v.number()),
    createdAt: v.number(),
    updatedAt: v.number(),
  }).index("by_siteId", ["siteId"]),

  // Append-only raw events. `_creationTime` orders arrival; `shard` names the
  // aggregation stream the event's batch was assigned to.
  events: defineTable(vStoredEventFields)
    // Kept beside by_siteId_and_shard for its order: the export pages through
    // a site's events by arrival (`_creationTime`), across all shards.
    // eslint-disable-next-line @convex-dev/no-duplicate-indexes
    .index("by_siteId", ["siteId"])
    .index("by_siteId_and_shard", ["siteId", "shard"])
    .index("by_siteId_and_occurredAt", ["siteId", "occurredAt"])
    .index("by_siteId_and_eventId", ["siteId", "eventId"])
    .index("by_siteId_and_type_and_occurredAt", [
      "siteId",
      "type",
      "occurredAt",
    ])
    .index("by_siteId_and_name_and_occurredAt", [
      "siteId",
      "name",
      "occurredAt",
    ])
    .index("by_siteId_and_sessionId_and_occurredAt", [
      "siteId",
      "sessionId",
      "occurredAt",
    ]),

  visitors: defineTable({
    siteId: v.string(),
    visitorId: v.string(),
    firstSeenAt: v.number(),
    lastSeenAt: v.number(),
    events: v.number(),
    userId: v.optional(v.string()),
    traits: v.optional(vProperties),
  })
    .index("by_siteId_and_visitorId", ["siteId", "visitorId"])
    .index("by_siteId_and_firstSeenAt", ["siteId", "firstSeenAt"])
    .index("by_siteId_and_lastSeenAt", ["siteId", "lastSeenAt"]),

  // A session as README, "Metric definitions" defines it: one client
  // sessionId split on gaps longer than the site's timeout. Several rows may
  // share a client sessionId.
  sessions: defineTable({
    siteId: v.string(),
    sessionId: v.string(),
    visitorId: v.string(),
    startAt: v.number(),
    endAt: v.number(),
    events: v.number(),
    pageviews: v.number(),
    /** pageview + track events; identify does not make a session engaged. */
    interactions: v.number(),
    entryPath: v.optional(v.string()),
    entryAt: v.optional(v.number()),
    exitPath: v.optional(v.string()),
    exitAt: v.optional(v.number()),
    ...sessionKeyFields,
    buckets: v.array(vSessionBucket),
  })
    .index("by_siteId_and_sessionId_and_startAt", [
      "siteId",
      "sessionId",
      "startAt",
    ])
    .index("by_siteId_and_startAt", ["siteId", "startAt"])
    .index("by_siteId_and_endAt", ["siteId", "endAt"]),

  // Rollup rows: one per (site, interval, bucket, row group, shard, part).
  // The "keyed" row holds every key of every top-list dimension seen by that
  // shard (entry keys are "dimension\tkey"), so an aggregation run writes two
  // rows per bucket and a 30-day top list reads one row per bucket instead of
  // one per key.
  rollupShards: defineTable({
    siteId: v.string(),
    interval: vInterval,
    bucketStart: v.number(),
    /** Row group: "overview" (totals) or "keyed" (every top-list dimension). */
    dimension: v.string(),
    shard: v.number(),
    /** Overflow index when one row's keys would not fit its byte budget. */
    part: v.number(),
    entries: v.array(vRollupEntry),
    bytes: v.number(),
  }).index("by_siteId_and_interval_and_dimension_and_bucketStart", [
    "siteId",
    "interval",
    "dimension",
    "bucketStart",
    "shard",
    "part",
  ]),

  // Compact rollups (README, "How it works"): what compaction keeps of a
  // settled bucket, one row per (unit, dimension). A unit is an hour
  // (level 0), a local day (level 1) or a block of 2^(level-1) local days
  // built from two blocks of the level below. Keys are in rank order (events
  // desc, key asc), cut to the unit's key limit; `restMax` bounds what any
  // left-out key can have. `values` holds VALUE_FIELDS per key, flat.
  rollupTops: defineTable({
    siteId: v.string(),
    dimension: v.string(),
    level: v.number(),
    bucketStart: v.number(),
    keys: v.array(v.string()),
    values: v.array(v.number()),
    restMax: v.number(),
    /** The keys' visitor sketches, when small enough to live here (else in rollupSketches). */
    sketches: v.optional(v.array(v.bytes())),
    /** First rank of each band row in rollupSketches, when the sketches live there. */
    bandStarts: v.optional(v.array(v.number())),
    /** Distinct visitors of the whole unit (overview rows only). */
    visitors: v.optional(v.number()),
    bytes: v.number(),
  }).index("by_siteId_and_dimension_and_level_and_bucketStart", [
    "siteId",
    "dimension",
    "level",
    "bucketStart",
  ]),

  // Visitor sketches of a compact row's keys, when too large to keep inline:
  // split into bands of consecutive ranks, so a top list reads sketches only
  // for the few ranks it shows.
  rollupSketches: defineTable({
    siteId: v.string(),
    dimension: v.string(),
    level: v.number(),
    bucketStart: v.number(),
    band: v.number(),
    keys: v.array(v.string()),
    sketches: v.array(v.bytes()),
    bytes: v.number(),
  }).index("by_siteId_and_dimension_and_level_and_bucketStart_and_band", [
    "siteId",
    "dimension",
    "level",
    "bucketStart",
    "band",
  ]),

  // How far compaction has got for a site: hours and days before these
  // instants hold no full live rows any more (only late deltas), and blocks
  // exist for every local day number below `blocksBeforeDay`.
  rollupWatermarks: defineTable({
    siteId: v.string(),
    hoursBefore: v.number(),
    daysBefore: v.number(),
    blocksBeforeDay: v.number(),
  }).index("by_siteId", ["siteId"]),

  // Each (site, shard) aggregation stream: how far it has been consumed, and
  // whether a job is already scheduled for it (so bursts share one job).
  aggregationStreams: defineTable({
    siteId: v.string(),
    shard: v.number(),
    /** `_creationTime` of the last aggregated event. */
    cursor: v.number(),
    scheduled: v.boolean(),
    scheduledAt: v.optional(v.number()),
    /** Failed runs in a row at the current cursor. */
    failures: v.optional(v.number()),
    /** Runs left that aggregate one event at a time, to find a poison event. */
    isolateRemaining: v.optional(v.number()),
    /** Set while rebuildRollups clears the site's rollups: jobs wait. */
    paused: v.optional(v.boolean()),
    /**
     * A rebuild replays this stream's events up to this cursor: they are
     * aggregated again (those before `replayFrom` skipped) but not counted
     * again in the visitors table.
     */
    replayUntil: v.optional(v.number()),
    replayFrom: v.optional(v.number()),
    /**
     * Realtime (README, "How it works"): what this stream consumed of each
     * recent UTC minute. Kept on the stream's own row, which every run
     * writes anyway, so realtime costs no extra document per run; each run
     * trims it, so it stays small.
     */
    realtime: v.optional(vRealtimeMinutes),
  }).index("by_siteId_and_shard", ["siteId", "shard"]),

  // Aggregation jobs that failed; repaired by repair.retryFailedEvents.
  aggregationFailures: defineTable({
    siteId: v.string(),
    shard: v.number(),
    error: v.string(),
    failedAt: v.number(),
    /** Set when isolation found the event that fails and the stream moved past it. */
    skippedEventId: v.optional(v.string()),
  }).index("by_siteId_and_shard", ["siteId", "shard"]),

  // Requests filtered as bots, counted per UTC hour.
  botCounters: defineTable({
    siteId: v.string(),
    hourStart: v.number(),
    requests: v.number(),
    events: v.number(),
  }).index("by_siteId_and_hourStart", ["siteId", "hourStart"]),

  // Cookieless counting (README, "Privacy and consent"): one random salt per
  // site and local day, drawn on first use; deleted by the cleanup cron once
  // `deleteAfter` (a day after the day ends) has passed. Nothing else is kept
  // from which a deleted salt could be derived.
  dailySalts: defineTable({
    siteId: v.string(),
    /** First instant of the local day (site timezone) the salt is for. */
    dayStart: v.number(),
    /** 32 random bytes, hex. */
    salt: v.string(),
    deleteAfter: v.number(),
  })
    .index("by_siteId_and_dayStart", ["siteId", "dayStart"])
    .index("by_deleteAfter", ["deleteAfter"]),

  // One row per (site, chain) so two runs of a maintenance chain never overlap.
  maintenanceLeases: defineTable({
    siteId: v.string(),
    chain: v.string(),
    runId: v.string(),
    leaseUntil: v.number(),
    /** A rebuild's: the instant it recomputes from (a goal changed meanwhile is backfilled before it). */
    from: v.optional(v.number()),
  }).index("by_siteId_and_chain", ["siteId", "chain"]),
});
