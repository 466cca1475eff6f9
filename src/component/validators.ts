import {
  paginationOptsValidator,
  paginationResultValidator,
} from "convex/server";
import { v, type Infer } from "convex/values";
import { GOAL_BREAKDOWN_DIMENSIONS } from "./lib/goals.js";
import {
  SESSION_KEY_DIMENSIONS,
  TOP_DIMENSIONS as TOP_DIMENSION_LIST,
  TOP_QUERY_NAMES as TOP_QUERY_NAME_OF,
  type SessionKeyDimension,
  type TopQueryName,
} from "./lib/dimensions.js";

/**
 * Validators shared by the component's functions, the app-level wrappers in
 * `src/client`, and the dashboard's types. Keeping them in one place means a
 * change to a return shape is a typecheck failure everywhere it matters.
 */

export const vInterval = v.union(v.literal("hour"), v.literal("day"));
export type Interval = Infer<typeof vInterval>;

export const vEventType = v.union(
  v.literal("pageview"),
  v.literal("track"),
  v.literal("identify"),
);
export type EventType = Infer<typeof vEventType>;

export const vPropertyValue = v.union(
  v.string(),
  v.number(),
  v.boolean(),
  v.null(),
);
export const vProperties = v.record(v.string(), vPropertyValue);
export type Properties = Infer<typeof vProperties>;

/** Batch-level context: what the HTTP route and tracker know about the client. */
export const vContext = v.object({
  source: v.optional(v.string()),
  utmSource: v.optional(v.string()),
  utmMedium: v.optional(v.string()),
  utmCampaign: v.optional(v.string()),
  utmTerm: v.optional(v.string()),
  utmContent: v.optional(v.string()),
  device: v.optional(v.string()),
  browser: v.optional(v.string()),
  os: v.optional(v.string()),
  country: v.optional(v.string()),
  language: v.optional(v.string()),
  screen: v.optional(v.string()),
  timezone: v.optional(v.string()),
  /** The page's host; the ingest route takes it from the request's Origin. */
  hostname: v.optional(v.string()),
});
export type Context = Infer<typeof vContext>;

/** One event as the tracker sends it (before validation and clamping). */
export const vIncomingEvent = v.object({
  type: vEventType,
  name: v.optional(v.string()),
  path: v.optional(v.string()),
  title: v.optional(v.string()),
  referrer: v.optional(v.string()),
  properties: v.optional(v.any()),
  userId: v.optional(v.string()),
  occurredAt: v.optional(v.number()),
  eventId: v.optional(v.string()),
});
export type IncomingEvent = Infer<typeof vIncomingEvent>;

export const vIngestBatchArgs = {
  writeKeyHash: v.string(),
  origin: v.optional(v.string()),
  visitorId: v.string(),
  sessionId: v.string(),
  context: v.optional(vContext),
  events: v.array(vIncomingEvent),
  /** Arrival time override; only honoured by tests and replay tooling. */
  receivedAt: v.optional(v.number()),
};

export const vRejection = v.object({ index: v.number(), reason: v.string() });
export const vIngestResult = v.object({
  accepted: v.number(),
  duplicate: v.number(),
  rejected: v.number(),
  errors: v.array(vRejection),
});
export type IngestResult = Infer<typeof vIngestResult>;

// ---------------------------------------------------------------- sites

export const vSiteStatus = v.union(v.literal("active"), v.literal("disabled"));

/**
 * How a site tells visitors apart (README, "Privacy and consent"): `device`
 * counts the random id the tracker keeps on the device; `cookieless` counts a
 * daily keyed hash the ingest route derives, so the tracker stores nothing.
 */
export const vVisitorIdentity = v.union(
  v.literal("device"),
  v.literal("cookieless"),
);
export type VisitorIdentity = Infer<typeof vVisitorIdentity>;

/** Settings a site owner may change after creation. */
export const vSiteSettings = {
  name: v.optional(v.string()),
  status: v.optional(vSiteStatus),
  allowedOrigins: v.optional(v.array(v.string())),
  timezone: v.optional(v.string()),
  sessionTimeoutMs: v.optional(v.number()),
  rawEventRetentionDays: v.optional(v.number()),
  hourlyRollupRetentionDays: v.optional(v.number()),
  /** Daily rollups are kept forever unless this is set. */
  dailyRollupRetentionDays: v.optional(v.number()),
  rollupShardCount: v.optional(v.number()),
  allowedPropertyKeys: v.optional(v.array(v.string())),
  deniedPropertyKeys: v.optional(v.array(v.string())),
  /** `"device"` (default) or `"cookieless"`; see README, "Privacy and consent". */
  visitorIdentity: v.optional(vVisitorIdentity),
};

/** A site's stored fields, except its write key hash (which never leaves the component). */
export const siteFields = {
  slug: v.string(),
  name: v.string(),
  status: vSiteStatus,
  allowedOrigins: v.array(v.string()),
  timezone: v.string(),
  sessionTimeoutMs: v.number(),
  rawEventRetentionDays: v.number(),
  hourlyRollupRetentionDays: v.number(),
  dailyRollupRetentionDays: v.optional(v.number()),
  rollupShardCount: v.number(),
  allowedPropertyKeys: v.optional(v.array(v.string())),
  deniedPropertyKeys: v.optional(v.array(v.string())),
  /** Missing on sites created before the setting existed: they count by device. */
  visitorIdentity: v.optional(vVisitorIdentity),
  /** When the site last switched to its current `visitorIdentity` (ms); missing when it has counted this way since creation. */
  visitorIdentitySince: v.optional(v.number()),
};

export const vSite = v.object({
  _id: v.string(),
  _creationTime: v.number(),
  ...siteFields,
});
export type Site = Infer<typeof vSite>;

// ---------------------------------------------------------------- reports

export const vRangeArgs = {
  siteId: v.string(),
  from: v.number(),
  to: v.number(),
};

const overviewFields = {
  events: v.number(),
  pageviews: v.number(),
  sessions: v.number(),
  visitors: v.number(),
  bounceRate: v.number(),
  averageSessionDurationMs: v.number(),
  viewsPerSession: v.number(),
};
export const vOverviewFigures = v.object(overviewFields);
export type OverviewFigures = Infer<typeof vOverviewFigures>;

/**
 * A range's counters with its visitors as an opaque sketch: disjoint parts
 * of one range combine exactly (README, "A dashboard left open").
 */
export const vOverviewParts = v.object({
  events: v.number(),
  pageviews: v.number(),
  sessions: v.number(),
  bounces: v.number(),
  durationMs: v.number(),
  visitors: v.bytes(),
});

export const vOverview = v.object({
  ...overviewFields,
  previous: v.optional(vOverviewFigures),
  /** With `parts: true`: the range's counters and visitor sketch. */
  parts: v.optional(vOverviewParts),
});
export type Overview = Infer<typeof vOverview>;

/** A timeseries bucket: the overview's figures but views per session. */
const { viewsPerSession: _perSession, ...bucketFields } = overviewFields;
export const vTimeseriesRow = v.object({
  bucketStart: v.number(),
  ...bucketFields,
});
export type TimeseriesRow = Infer<typeof vTimeseriesRow>;

/**
 * What changes while a dashboard is open: everything from `since` (the
 * first hour compaction has not settled yet) to the range's end. Queries up
 * to `since` re-run only when compaction settles another hour.
 */
export const vLiveReport = v.object({
  since: v.number(),
  /** Counters and visitors of `[since, to)`. */
  parts: vOverviewParts,
  /** The live chart buckets: every bucket from `timeseriesFrom` (a bucket start, or `from`) to `to`. */
  timeseriesFrom: v.number(),
  timeseries: v.array(vTimeseriesRow),
});
export type LiveReport = Infer<typeof vLiveReport>;

export const vTopRow = v.object({
  key: v.string(),
  count: v.number(),
  pageviewCount: v.number(),
  visitors: v.number(),
  sessions: v.optional(v.number()),
  /**
   * Set when the list could not be proven exact (README, "Limits"): this
   * row's figures may be low by up to `maxError` events' worth, and a key
   * not shown may belong in the list.
   */
  approximate: v.optional(v.boolean()),
  maxError: v.optional(v.number()),
});
export type TopRow = Infer<typeof vTopRow>;

export const vPropertyBreakdownRow = v.object({
  value: v.string(),
  count: v.number(),
  visitors: v.number(),
  /** The events of values beyond the per-hour value cap ("(other)"; README, "Limits and bad input"). */
  other: v.optional(v.boolean()),
  /** As on top lists: figures may be low by up to `maxError` events. */
  approximate: v.optional(v.boolean()),
  maxError: v.optional(v.number()),
});
export type PropertyBreakdownRow = Infer<typeof vPropertyBreakdownRow>;

/**
 * What a realtime answer left out (README, "Metric definitions"):
 * not-yet-aggregated events that arrived before `pendingArrivedBefore` (the
 * read bound was hit), and/or figures of the minutes before `minutesBefore`
 * (a `now` further back than the recent minutes kept).
 */
export const vRealtimeLeftOut = v.object({
  pendingArrivedBefore: v.optional(v.number()),
  minutesBefore: v.optional(v.number()),
});
export type RealtimeLeftOut = Infer<typeof vRealtimeLeftOut>;

export const vPropertyKeyRow = v.object({
  key: v.string(),
  count: v.number(),
  visitors: v.number(),
  approximate: v.optional(v.boolean()),
  maxError: v.optional(v.number()),
});
export type PropertyKeyRow = Infer<typeof vPropertyKeyRow>;

export const vRealtime = v.object({
  visitors: v.number(),
  pageviewsPerMinute: v.array(
    v.object({ minuteStart: v.number(), pageviews: v.number() }),
  ),
  /** True when a read bound was hit: the figures may be low by what `leftOut` names. */
  truncated: v.boolean(),
  leftOut: v.optional(vRealtimeLeftOut),
});
export type Realtime = Infer<typeof vRealtime>;

/**
 * A drill-down page as the component takes it (README, "Report functions").
 * `endCursor` (a `continueCursor` returned earlier) pins where a page ends:
 * a page already shown then grows with new rows instead of shifting, so the
 * pages after it neither skip nor repeat a row. The app-level wrappers take
 * Convex's `paginationOpts` instead, see {@link vAppPageArgs}.
 */
export const vPageArgs = {
  siteId: v.string(),
  from: v.optional(v.number()),
  to: v.optional(v.number()),
  cursor: v.union(v.string(), v.null()),
  numItems: v.number(),
  endCursor: v.optional(v.union(v.string(), v.null())),
};

/**
 * A drill-down page as the app-level wrappers take it: Convex's
 * `paginationOpts`, as `usePaginatedQuery` sends it. Of its fields,
 * `numItems`, `cursor` and `endCursor` are passed on to the component.
 */
export const vAppPageArgs = {
  siteId: v.string(),
  from: v.optional(v.number()),
  to: v.optional(v.number()),
  paginationOpts: paginationOptsValidator,
};

/** A raw event as stored and as drill-downs return it. */
export const vStoredEventFields = {
  siteId: v.string(),
  visitorId: v.string(),
  sessionId: v.string(),
  type: vEventType,
  name: v.string(),
  path: v.optional(v.string()),
  title: v.optional(v.string()),
  referrer: v.optional(v.string()),
  properties: v.optional(vProperties),
  userId: v.optional(v.string()),
  occurredAt: v.number(),
  receivedAt: v.number(),
  eventId: v.optional(v.string()),
  context: v.optional(vContext),
  /** Aggregation stream this event's batch was assigned to. */
  shard: v.number(),
};
export const vEventDoc = v.object({
  _id: v.string(),
  _creationTime: v.number(),
  ...vStoredEventFields,
});
export type EventDoc = Infer<typeof vEventDoc>;

/** The session-level keys (README, "Metric definitions"), taken from the session's earliest event: one per registered session dimension. */
export const sessionKeyFields = Object.fromEntries(
  SESSION_KEY_DIMENSIONS.map((d) => [d, v.optional(v.string())]),
) as {
  [D in SessionKeyDimension]: ReturnType<
    typeof v.optional<ReturnType<typeof v.string>>
  >;
};

export const vSessionView = v.object({
  _id: v.string(),
  sessionId: v.string(),
  visitorId: v.string(),
  startAt: v.number(),
  endAt: v.number(),
  durationMs: v.number(),
  events: v.number(),
  pageviews: v.number(),
  bounced: v.boolean(),
  entryPath: v.optional(v.string()),
  exitPath: v.optional(v.string()),
  ...sessionKeyFields,
});
export type SessionView = Infer<typeof vSessionView>;

export const vVisitorView = v.object({
  _id: v.string(),
  visitorId: v.string(),
  firstSeenAt: v.number(),
  lastSeenAt: v.number(),
  events: v.number(),
  userId: v.optional(v.string()),
  traits: v.optional(vProperties),
});
export type VisitorView = Infer<typeof vVisitorView>;

/**
 * A drill-down page: Convex's `PaginationResult` (`page`, `isDone`,
 * `continueCursor`, and `splitCursor`/`pageStatus` when a pinned page has
 * grown enough that the client should split it in two).
 */
export function vPage<T extends ReturnType<typeof v.object>>(item: T) {
  return paginationResultValidator(item);
}

export {
  TOP_DIMENSIONS,
  TOP_QUERY_NAMES,
  type TopDimension,
} from "./lib/dimensions.js";

// ---------------------------------------------------------------- goals (README, "Goals")

const vGoalPropertyValue = v.union(v.string(), v.number(), v.boolean());

/** A goal's name and definition: `eventName` (optionally one property = value) or `pathPattern`. */
export const vGoalDefinition = {
  name: v.string(),
  eventName: v.optional(v.string()),
  propertyKey: v.optional(v.string()),
  propertyValue: v.optional(vGoalPropertyValue),
  pathPattern: v.optional(v.string()),
};

export const vGoal = v.object({
  goalId: v.string(),
  siteId: v.string(),
  name: v.string(),
  kind: v.union(v.literal("event"), v.literal("path")),
  eventName: v.optional(v.string()),
  propertyKey: v.optional(v.string()),
  propertyValue: v.optional(vGoalPropertyValue),
  pathPattern: v.optional(v.string()),
  createdAt: v.number(),
  updatedAt: v.number(),
});
export type Goal = Infer<typeof vGoal>;

export const vGoalBreakdownDimension = v.union(
  ...GOAL_BREAKDOWN_DIMENSIONS.map((d) => v.literal(d)),
);

const vApproximate = {
  approximate: v.optional(v.boolean()),
  maxError: v.optional(v.number()),
};

export const vGoalConversions = v.object({
  /** Distinct visitors of the range: the rates' denominator. */
  visitors: v.number(),
  /** True while a backfill (or any rebuild) is recomputing the site's history: figures are partial. */
  backfilling: v.boolean(),
  goals: v.array(
    v.object({
      goal: vGoal,
      visitors: v.number(),
      conversions: v.number(),
      conversionRate: v.number(),
      ...vApproximate,
    }),
  ),
});
export type GoalConversions = Infer<typeof vGoalConversions>;

export const vGoalBreakdown = v.object({
  goal: vGoal,
  backfilling: v.boolean(),
  rows: v.array(
    v.object({
      key: v.string(),
      visitors: v.number(),
      converters: v.number(),
      conversions: v.number(),
      conversionRate: v.number(),
      ...vApproximate,
    }),
  ),
});
export type GoalBreakdown = Infer<typeof vGoalBreakdown>;

// ---------------------------------------------------------------- report function table

export const vTopArgs = { ...vRangeArgs, limit: v.optional(v.number()) };

const vTopList = { args: vTopArgs, returns: v.array(vTopRow) };

/** One top-list query per registered dimension (lib/dimensions.ts). */
const TOP_LIST_QUERIES = Object.fromEntries(
  TOP_DIMENSION_LIST.map((d) => [TOP_QUERY_NAME_OF[d], vTopList]),
) as {
  [Q in TopQueryName]: typeof vTopList;
};

/**
 * Every report and drill-down query with its argument and return validators.
 * The component defines its queries from this table and the app-level
 * wrappers (`exposeAnalyticsApi`) are generated from it, so the two can never
 * disagree.
 */
export const REPORT_QUERIES = {
  getOverview: {
    args: {
      ...vRangeArgs,
      compare: v.optional(v.boolean()),
      parts: v.optional(v.boolean()),
    },
    returns: vOverview,
  },
  getLiveReport: {
    args: { ...vRangeArgs, interval: vInterval },
    returns: vLiveReport,
  },
  getTimeseries: {
    args: { ...vRangeArgs, interval: vInterval },
    returns: v.array(vTimeseriesRow),
  },
  ...TOP_LIST_QUERIES,
  getEventPropertyBreakdown: {
    args: {
      ...vRangeArgs,
      eventName: v.string(),
      propertyKey: v.string(),
      limit: v.optional(v.number()),
    },
    returns: v.array(vPropertyBreakdownRow),
  },
  getGoalConversions: { args: vRangeArgs, returns: vGoalConversions },
  getGoalBreakdown: {
    args: {
      ...vRangeArgs,
      goalId: v.string(),
      dimension: vGoalBreakdownDimension,
      limit: v.optional(v.number()),
      /** Only these keys (at most 100): the rows a table shows, so only their sketches are read. */
      keys: v.optional(v.array(v.string())),
    },
    returns: vGoalBreakdown,
  },
  getEventPropertyKeys: {
    args: { ...vRangeArgs, eventName: v.string() },
    returns: v.array(vPropertyKeyRow),
  },
  getRealtime: {
    args: { siteId: v.string(), now: v.optional(v.number()) },
    returns: vRealtime,
  },
  getBotCounts: {
    args: vRangeArgs,
    returns: v.object({ requests: v.number(), events: v.number() }),
  },
  listRawEvents: { args: vPageArgs, returns: vPage(vEventDoc) },
  listPageviews: { args: vPageArgs, returns: vPage(vEventDoc) },
  listSessions: { args: vPageArgs, returns: vPage(vSessionView) },
  listVisitors: { args: vPageArgs, returns: vPage(vVisitorView) },
  exportEvents: { args: vPageArgs, returns: vPage(vEventDoc) },
};
export type ReportQueryName = keyof typeof REPORT_QUERIES;

/** The paginated drill-downs, newest first but `exportEvents` (arrival order). */
export const DRILL_DOWN_QUERY_NAMES = [
  "listRawEvents",
  "listPageviews",
  "listSessions",
  "listVisitors",
  "exportEvents",
] as const satisfies readonly ReportQueryName[];
export type DrillDownQueryName = (typeof DRILL_DOWN_QUERY_NAMES)[number];

/**
 * The app-level queries `exposeAnalyticsApi` returns: the component's table,
 * except that the drill-downs take `paginationOpts` (see
 * {@link vAppPageArgs}) and so work with a paginated React hook.
 */
export const APP_REPORT_QUERIES = {
  ...REPORT_QUERIES,
  listRawEvents: {
    args: vAppPageArgs,
    returns: REPORT_QUERIES.listRawEvents.returns,
  },
  listPageviews: {
    args: vAppPageArgs,
    returns: REPORT_QUERIES.listPageviews.returns,
  },
  listSessions: {
    args: vAppPageArgs,
    returns: REPORT_QUERIES.listSessions.returns,
  },
  listVisitors: {
    args: vAppPageArgs,
    returns: REPORT_QUERIES.listVisitors.returns,
  },
  exportEvents: {
    args: vAppPageArgs,
    returns: REPORT_QUERIES.exportEvents.returns,
  },
} satisfies Record<
  ReportQueryName,
  { args: Record<string, unknown>; returns: unknown }
>;
