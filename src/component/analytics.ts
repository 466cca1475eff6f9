import type { PaginationResult } from "convex/server";
import { paginator } from "convex-helpers/server/pagination";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import { exportPage } from "./eventExport.js";
import schema from "./schema.js";
import { fail } from "./lib/errors.js";
import { LIMITS } from "./lib/limits.js";
import { bucketSpans, planExactRange } from "./lib/rangePlan.js";
import {
  overviewOf,
  overviewPartsOf,
  overviewsOf,
  rankedKeys,
} from "./rangeReports.js";
import { siteWatermark } from "./rangeSources.js";
import type { Watermark } from "./compaction.js";
import { figuresOfParts } from "./lib/totals.js";
import {
  isSessionLevel,
  parsePropertyKey,
  propertyKeyPrefix,
  propertyOtherKey,
  propertyPrefix,
} from "./lib/dimensions.js";
import { goalBreakdown, goalConversions } from "./goalReports.js";
import { sessionDurationMs } from "./lib/sessions.js";
import { HOUR_MS, floorToLocalDay, floorToUtcHour } from "./lib/time.js";
import { readRealtime } from "./realtime.js";
import { getSiteDoc } from "./sites.js";
import {
  REPORT_QUERIES,
  TOP_QUERY_NAMES,
  type Interval,
  type Overview,
  type TopDimension,
  type PropertyBreakdownRow,
  type TopRow,
} from "./validators.js";

/** Longest range a report answers: daily rows stay in the hundreds. */
const MAX_RANGE_MS = 800 * 24 * HOUR_MS;
const MAX_TIMESERIES_BUCKETS = 2_000;

function checkRange(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to))
    fail("invalid_argument", "from and to must be finite numbers");
  if (to <= from)
    fail("invalid_argument", "The range is empty: `to` must be after `from`");
  if (to - from > MAX_RANGE_MS)
    fail("limit_exceeded", "The range is longer than 800 days");
}

/** Headline figures for `[from, to)`; with `compare`, also the preceding range of equal length. */
export const getOverview = query({
  args: REPORT_QUERIES.getOverview.args,
  returns: REPORT_QUERIES.getOverview.returns,
  handler: async (
    ctx,
    { siteId, from, to, compare, parts },
  ): Promise<Overview> => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const current = parts
      ? await overviewWithParts(ctx, site, from, to)
      : await overviewOf(ctx, site, from, to);
    if (!compare) return current;
    return {
      ...current,
      previous: await overviewOf(ctx, site, from - (to - from), from),
    };
  },
});

async function overviewWithParts(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
) {
  const mark = await siteWatermark(ctx, site._id);
  const parts = await overviewPartsOf(ctx, site, from, to, mark);
  const { viewsPerSession, ...figures } = figuresOfParts([parts]);
  return { ...figures, viewsPerSession, parts };
}

async function timeseriesRows(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
  interval: Interval,
  mark?: Watermark,
) {
  const spans = bucketSpans(from, to, interval, site.timezone);
  if (spans.length > MAX_TIMESERIES_BUCKETS) {
    fail(
      "limit_exceeded",
      `The range has ${spans.length} ${interval} buckets; at most ${MAX_TIMESERIES_BUCKETS} are allowed`,
    );
  }
  const plans = spans.map((s) => planExactRange(s.start, s.end, site.timezone));
  const figures = await overviewsOf(ctx, site, plans, mark);
  return figures.map(({ viewsPerSession: _v, ...f }, i) => ({
    bucketStart: spans[i].start,
    ...f,
  }));
}

/** One row per hour (UTC) or local day, empty buckets included, edges clipped to the range. */
export const getTimeseries = query({
  args: REPORT_QUERIES.getTimeseries.args,
  returns: REPORT_QUERIES.getTimeseries.returns,
  handler: async (ctx, { siteId, from, to, interval }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    return await timeseriesRows(ctx, site, from, to, interval);
  },
});

/**
 * The part of `[from, to)` that still changes: from the first hour
 * compaction has not settled to `to` (README, "A dashboard left open").
 * Every aggregation run re-runs it, so it reads only the overview's live
 * rows and today's unit; the rest of a dashboard asks for `[from, since)`,
 * which changes about once an hour.
 */
export const getLiveReport = query({
  args: REPORT_QUERIES.getLiveReport.args,
  returns: REPORT_QUERIES.getLiveReport.returns,
  handler: async (ctx, { siteId, from, to, interval }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const mark = await siteWatermark(ctx, site._id);
    const since = Math.min(Math.max(mark.hoursBefore, from), to);
    // The chart's bucket holding `since` is shown whole from the live side.
    const bucketOfSince =
      interval === "hour"
        ? floorToUtcHour(since)
        : floorToLocalDay(since, site.timezone);
    const timeseriesFrom = Math.max(from, bucketOfSince);
    return {
      since,
      parts: await overviewPartsOf(ctx, site, since, to, mark),
      timeseriesFrom,
      timeseries:
        timeseriesFrom < to
          ? await timeseriesRows(ctx, site, timeseriesFrom, to, interval, mark)
          : [],
    };
  },
});

async function topList(
  ctx: QueryCtx,
  args: { siteId: string; from: number; to: number; limit?: number },
  dimension: TopDimension,
): Promise<TopRow[]> {
  checkRange(args.from, args.to);
  const limit = Math.min(
    Math.max(Math.floor(args.limit ?? LIMITS.defaultTopLimit), 1),
    LIMITS.maxTopLimit,
  );
  const site = await getSiteDoc(ctx, args.siteId);
  const { rows, exact } = await rankedKeys(
    ctx,
    site,
    args.from,
    args.to,
    dimension,
    limit,
  );
  return rows.map((r) => ({
    key: r.key,
    count: r.events,
    pageviewCount: r.pageviews,
    visitors: r.visitors,
    ...(isSessionLevel(dimension) ? { sessions: r.sessions } : {}),
    // Past the keys compact units keep, a list may be approximate: say by how much (README, "Limits").
    ...(exact ? {} : { approximate: true, maxError: r.maxError }),
  }));
}

/**
 * Builds one top-list query; every dimension is served by the same code.
 * One export per registered dimension (lib/dimensions.ts) follows.
 */
function topQuery(dimension: TopDimension) {
  return query({
    ...REPORT_QUERIES[TOP_QUERY_NAMES[dimension]],
    handler: (ctx, args) => topList(ctx, args, dimension),
  });
}

export const getTopPages = topQuery("page");
export const getTopEntryPages = topQuery("entryPage");
export const getTopExitPages = topQuery("exitPage");
export const getTopReferrers = topQuery("referrer");
export const getTopSources = topQuery("source");
export const getTopMediums = topQuery("medium");
export const getTopCampaigns = topQuery("campaign");
export const getTopEvents = topQuery("event");
export const getTopDevices = topQuery("device");
export const getTopBrowsers = topQuery("browser");
export const getTopOs = topQuery("os");
export const getTopCountries = topQuery("country");
export const getTopHostnames = topQuery("hostname");
export const getTopTerms = topQuery("term");
export const getTopContents = topQuery("content");
export const getTopLanguages = topQuery("language");
export const getTopScreens = topQuery("screen");

/**
 * Per goal: converting visitors, conversions and the conversion rate
 * (converting visitors / visitors of the range), README "Goals".
 */
export const getGoalConversions = query({
  args: REPORT_QUERIES.getGoalConversions.args,
  returns: REPORT_QUERIES.getGoalConversions.returns,
  handler: async (ctx, { siteId, from, to }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    return await goalConversions(ctx, site, from, to);
  },
});

/** One goal by the keys of a session-level dimension: each key's visitors, converters and rate. */
export const getGoalBreakdown = query({
  args: REPORT_QUERIES.getGoalBreakdown.args,
  returns: REPORT_QUERIES.getGoalBreakdown.returns,
  handler: async (ctx, { siteId, ...args }) => {
    checkRange(args.from, args.to);
    const site = await getSiteDoc(ctx, siteId);
    return await goalBreakdown(ctx, site, args);
  },
});

/** The "(other)" row's value: the events of values beyond the per-hour cap. */
export const OTHER_VALUE = "(other)";
/** Property keys `getEventPropertyKeys` lists at most. */
export const MAX_PROPERTY_KEYS_LISTED = 100;

function clampLimit(limit: number | undefined): number {
  return Math.min(
    Math.max(Math.floor(limit ?? LIMITS.defaultTopLimit), 1),
    LIMITS.maxTopLimit,
  );
}

/**
 * Values of one property of one event name, with counts and distinct
 * visitors, from the `property` rollups (README, "Report functions"): the
 * top `limit` values, then a row `other: true` with the events of values
 * beyond the per-hour cap, when there are any.
 */
export const getEventPropertyBreakdown = query({
  args: REPORT_QUERIES.getEventPropertyBreakdown.args,
  returns: REPORT_QUERIES.getEventPropertyBreakdown.returns,
  handler: async (ctx, { siteId, from, to, eventName, propertyKey, limit }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const prefix = propertyPrefix(eventName, propertyKey);
    const ranked = await rankedKeys(
      ctx,
      site,
      from,
      to,
      "property",
      clampLimit(limit),
      {
        keep: (key) => key.startsWith(prefix),
        pinned: propertyOtherKey(eventName, propertyKey),
      },
    );
    const flags = (exact: boolean, maxError: number) =>
      exact ? {} : { approximate: true, maxError };
    const rows: PropertyBreakdownRow[] = ranked.rows.map((r) => ({
      value: parsePropertyKey(r.key).value!,
      count: r.events,
      visitors: r.visitors,
      ...flags(ranked.exact, r.maxError),
    }));
    const other = ranked.pinned;
    if (other && other.events > 0) {
      rows.push({
        value: OTHER_VALUE,
        count: other.events,
        visitors: other.visitors,
        other: true,
        ...flags(other.exact, other.maxError),
      });
    }
    return rows;
  },
});

/**
 * The property keys events named `eventName` carry in the range, most used
 * first, from the `propertyKey` rollups: what a breakdown can be asked for.
 */
export const getEventPropertyKeys = query({
  args: REPORT_QUERIES.getEventPropertyKeys.args,
  returns: REPORT_QUERIES.getEventPropertyKeys.returns,
  handler: async (ctx, { siteId, from, to, eventName }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const prefix = propertyKeyPrefix(eventName);
    const { rows, exact } = await rankedKeys(
      ctx,
      site,
      from,
      to,
      "propertyKey",
      MAX_PROPERTY_KEYS_LISTED,
      { keep: (key) => key.startsWith(prefix) },
    );
    return rows.map((r) => ({
      key: (JSON.parse(r.key) as [string, string])[1],
      count: r.events,
      visitors: r.visitors,
      ...(exact ? {} : { approximate: true, maxError: r.maxError }),
    }));
  },
});

/**
 * Visitors in the last 5 minutes and pageviews per minute for the last 30,
 * from per-minute counts plus the events not aggregated yet (realtime.ts).
 * Pass `now` rounded to the minute so the query stays cached between renders.
 */
export const getRealtime = query({
  args: REPORT_QUERIES.getRealtime.args,
  returns: REPORT_QUERIES.getRealtime.returns,
  handler: async (ctx, { siteId, now }) => {
    const site = await getSiteDoc(ctx, siteId);
    return await readRealtime(ctx, site, now ?? Date.now());
  },
});

/** Requests the ingest route filtered as bots in the UTC hours overlapping `[from, to)`. */
export const getBotCounts = query({
  args: REPORT_QUERIES.getBotCounts.args,
  returns: REPORT_QUERIES.getBotCounts.returns,
  handler: async (ctx, { siteId, from, to }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const rows = await ctx.db
      .query("botCounters")
      .withIndex("by_siteId_and_hourStart", (q) =>
        q
          .eq("siteId", site._id)
          .gt("hourStart", from - HOUR_MS)
          .lt("hourStart", to),
      )
      .collect();
    return rows.reduce(
      (sum, r) => ({
        requests: sum.requests + r.requests,
        events: sum.events + r.events,
      }),
      {
        requests: 0,
        events: 0,
      },
    );
  },
});

// ---------------------------------------------------------------- drill-downs

function pageSize(numItems: number): number {
  if (!Number.isFinite(numItems) || numItems < 1)
    fail("invalid_argument", "numItems must be at least 1");
  return Math.min(Math.floor(numItems), LIMITS.maxPageItems);
}

type PageArgs = {
  siteId: string;
  from?: number;
  to?: number;
  cursor: string | null;
  numItems: number;
  endCursor?: string | null;
};

/** Times are ms since the epoch, so 0 and MAX_SAFE_INTEGER bound everything. */
function timeBounds(args: PageArgs) {
  return { from: args.from ?? 0, to: args.to ?? Number.MAX_SAFE_INTEGER };
}

type Pageable<T> = {
  order(order: "asc" | "desc"): {
    paginate(opts: {
      cursor: string | null;
      numItems: number;
      endCursor?: string | null;
    }): Promise<PaginationResult<T>>;
  };
};

/**
 * One page of an index range whose cursor is the last index key read. The
 * query comes from convex-helpers' `paginator`, which streams index keys:
 * the built-in `.paginate()` does not work inside components.
 *
 * With `endCursor` the page is pinned: it reads everything up to that key,
 * rows that arrived since included, so a page a client already shows grows
 * instead of shifting (README, "Report functions"). Once it holds more than
 * `numItems + 1` rows the result carries `pageStatus: "SplitRecommended"`
 * and a `splitCursor`, and convex-helpers' `usePaginatedQuery` splits it in
 * two, so a pinned page grows only by what arrived between two updates.
 */
function readPage<T>(
  query: Pageable<T>,
  order: "asc" | "desc",
  args: PageArgs,
) {
  const numItems = pageSize(args.numItems);
  const endCursor = args.endCursor ?? undefined;
  return query.order(order).paginate({
    cursor: args.cursor,
    numItems,
    ...(endCursor ? { endCursor } : {}),
  });
}

async function pageOfEvents(ctx: QueryCtx, args: PageArgs, type?: "pageview") {
  const site = await getSiteDoc(ctx, args.siteId);
  const { from, to } = timeBounds(args);
  const db = paginator(ctx.db, schema);
  const q = type
    ? db
        .query("events")
        .withIndex("by_siteId_and_type_and_occurredAt", (q) =>
          q
            .eq("siteId", site._id)
            .eq("type", type)
            .gte("occurredAt", from)
            .lt("occurredAt", to),
        )
    : db
        .query("events")
        .withIndex("by_siteId_and_occurredAt", (q) =>
          q.eq("siteId", site._id).gte("occurredAt", from).lt("occurredAt", to),
        );
  return await readPage(q, "desc", args);
}

/** Raw events, newest first. */
export const listRawEvents = query({
  args: REPORT_QUERIES.listRawEvents.args,
  returns: REPORT_QUERIES.listRawEvents.returns,
  handler: (ctx, args) => pageOfEvents(ctx, args),
});

/** Pageview events, newest first. */
export const listPageviews = query({
  args: REPORT_QUERIES.listPageviews.args,
  returns: REPORT_QUERIES.listPageviews.returns,
  handler: (ctx, args) => pageOfEvents(ctx, args, "pageview"),
});

/** A session as drill-downs show it: bookkeeping out, duration and bounce in. */
function sessionView(s: Doc<"sessions">) {
  const {
    _creationTime,
    siteId,
    interactions,
    buckets,
    entryAt,
    exitAt,
    ...shown
  } = s;
  return {
    ...shown,
    durationMs: sessionDurationMs(s),
    bounced: interactions <= 1,
  };
}

/** Sessions by start time, newest first. */
export const listSessions = query({
  args: REPORT_QUERIES.listSessions.args,
  returns: REPORT_QUERIES.listSessions.returns,
  handler: async (ctx, args) => {
    const site = await getSiteDoc(ctx, args.siteId);
    const { from, to } = timeBounds(args);
    const sessions = paginator(ctx.db, schema)
      .query("sessions")
      .withIndex("by_siteId_and_startAt", (q) =>
        q.eq("siteId", site._id).gte("startAt", from).lt("startAt", to),
      );
    const page = await readPage(sessions, "desc", args);
    return { ...page, page: page.page.map(sessionView) };
  },
});

/** Visitors by first visit, newest first (a stable order while visitors return). */
export const listVisitors = query({
  args: REPORT_QUERIES.listVisitors.args,
  returns: REPORT_QUERIES.listVisitors.returns,
  handler: async (ctx, args) => {
    const site = await getSiteDoc(ctx, args.siteId);
    const { from, to } = timeBounds(args);
    const visitors = paginator(ctx.db, schema)
      .query("visitors")
      .withIndex("by_siteId_and_firstSeenAt", (q) =>
        q.eq("siteId", site._id).gte("firstSeenAt", from).lt("firstSeenAt", to),
      );
    const page = await readPage(visitors, "desc", args);
    return {
      ...page,
      page: page.page.map(
        ({ siteId: _s, _creationTime: _c, ...visitor }) => visitor,
      ),
    };
  },
});

/**
 * Every raw event in arrival order, for incremental loading into a warehouse:
 * keep the last `continueCursor` (also the one of a page with `isDone`) and
 * call again later to get exactly what arrived since. Events show up once
 * they are a few seconds old (see eventExport.ts). `from`/`to` filter by
 * arrival time (`_creationTime`).
 */
export const exportEvents = query({
  args: REPORT_QUERIES.exportEvents.args,
  returns: REPORT_QUERIES.exportEvents.returns,
  handler: (ctx, args) => exportPage(ctx, args),
});
