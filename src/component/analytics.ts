import { ConvexError } from "convex/values";
import type { PaginationResult } from "convex/server";
import { paginator } from "convex-helpers/server/pagination";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import { exportPage } from "./eventExport.js";
import schema from "./schema.js";
import { fail } from "./lib/errors.js";
import { LIMITS } from "./lib/limits.js";
import { bucketSpans, planExactRange } from "./lib/rangePlan.js";
import { overviewOf, overviewsOf, rankedKeys } from "./rangeReports.js";
import { isSessionLevel } from "./lib/dimensions.js";
import { sessionDurationMs } from "./lib/sessions.js";
import { HOUR_MS, MINUTE_MS } from "./lib/time.js";
import { getSiteDoc } from "./sites.js";
import {
  REPORT_QUERIES,
  TOP_QUERY_NAMES,
  type TopDimension,
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
  handler: async (ctx, { siteId, from, to, compare }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const current = await overviewOf(ctx, site, from, to);
    if (!compare) return current;
    return {
      ...current,
      previous: await overviewOf(ctx, site, from - (to - from), from),
    };
  },
});

/** One row per hour (UTC) or local day, empty buckets included, edges clipped to the range. */
export const getTimeseries = query({
  args: REPORT_QUERIES.getTimeseries.args,
  returns: REPORT_QUERIES.getTimeseries.returns,
  handler: async (ctx, { siteId, from, to, interval }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const spans = bucketSpans(from, to, interval, site.timezone);
    if (spans.length > MAX_TIMESERIES_BUCKETS) {
      fail(
        "limit_exceeded",
        `The range has ${spans.length} ${interval} buckets; at most ${MAX_TIMESERIES_BUCKETS} are allowed`,
      );
    }
    const plans = spans.map((s) =>
      planExactRange(s.start, s.end, site.timezone),
    );
    const figures = await overviewsOf(ctx, site, plans);
    return figures.map(({ viewsPerSession: _v, ...f }, i) => ({
      bucketStart: spans[i].start,
      ...f,
    }));
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

/** Most events a property breakdown reads (by the event-name index). */
export const MAX_BREAKDOWN_EVENTS = 16_000;

/** Values of one property of one event name, with counts and distinct visitors. */
export const getEventPropertyBreakdown = query({
  args: REPORT_QUERIES.getEventPropertyBreakdown.args,
  returns: REPORT_QUERIES.getEventPropertyBreakdown.returns,
  handler: async (ctx, { siteId, from, to, eventName, propertyKey, limit }) => {
    checkRange(from, to);
    const site = await getSiteDoc(ctx, siteId);
    const events = await ctx.db
      .query("events")
      .withIndex("by_siteId_and_name_and_occurredAt", (q) =>
        q
          .eq("siteId", site._id)
          .eq("name", eventName)
          .gte("occurredAt", from)
          .lt("occurredAt", to),
      )
      .take(MAX_BREAKDOWN_EVENTS + 1);
    if (events.length > MAX_BREAKDOWN_EVENTS) {
      // Counting only some of the events would give wrong numbers silently.
      throw new ConvexError(
        `More than ${MAX_BREAKDOWN_EVENTS} "${eventName}" events in this range; ask for a shorter range.`,
      );
    }
    const byValue = new Map<string, { count: number; visitors: Set<string> }>();
    for (const e of events) {
      const raw = e.properties?.[propertyKey];
      if (raw === undefined) continue;
      const value = String(raw);
      let row = byValue.get(value);
      if (!row) byValue.set(value, (row = { count: 0, visitors: new Set() }));
      row.count++;
      row.visitors.add(e.visitorId);
    }
    const cap = Math.min(
      Math.max(Math.floor(limit ?? LIMITS.defaultTopLimit), 1),
      LIMITS.maxTopLimit,
    );
    return [...byValue]
      .map(([value, r]) => ({
        value,
        count: r.count,
        visitors: r.visitors.size,
      }))
      .sort(
        (a, b) =>
          b.count - a.count ||
          (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
      )
      .slice(0, cap);
  },
});

const REALTIME_WINDOW_MS = 30 * MINUTE_MS;
const REALTIME_VISITOR_MS = 5 * MINUTE_MS;

/**
 * Visitors in the last 5 minutes and pageviews per minute for the last 30.
 * Pass `now` rounded to the minute so the query stays cached between renders.
 */
export const getRealtime = query({
  args: REPORT_QUERIES.getRealtime.args,
  returns: REPORT_QUERIES.getRealtime.returns,
  handler: async (ctx, { siteId, now }) => {
    const site = await getSiteDoc(ctx, siteId);
    const at = now ?? Date.now();
    // Minute buckets end with the minute containing `at`.
    const end = Math.floor(at / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const start = end - REALTIME_WINDOW_MS;
    const events = await ctx.db
      .query("events")
      .withIndex("by_siteId_and_occurredAt", (q) =>
        q.eq("siteId", site._id).gte("occurredAt", start).lt("occurredAt", end),
      )
      .take(MAX_BREAKDOWN_EVENTS);
    const visitors = new Set(
      events
        .filter((e) => e.occurredAt >= at - REALTIME_VISITOR_MS)
        .map((e) => e.visitorId),
    );
    const perMinute = Array.from(
      { length: REALTIME_WINDOW_MS / MINUTE_MS },
      (_, i) => ({
        minuteStart: start + i * MINUTE_MS,
        pageviews: 0,
      }),
    );
    for (const e of events) {
      if (e.type === "pageview")
        perMinute[Math.floor((e.occurredAt - start) / MINUTE_MS)].pageviews++;
    }
    return { visitors: visitors.size, pageviewsPerMinute: perMinute };
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
