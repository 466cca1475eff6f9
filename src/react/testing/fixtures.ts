/** Report data for the dashboard's tests (not shipped: excluded from the build). */
import { makeFunctionReference } from "convex/server";
import type {
  Overview,
  Realtime,
  TimeseriesRow,
  TopDimension,
  TopRow,
} from "../../component/validators.js";
import { TOP_QUERY_NAMES } from "../../component/lib/dimensions.js";
import type { AnalyticsDashboardApi } from "../api.js";

export const HOUR = 60 * 60 * 1000;

export const overviewFixture: Overview = {
  events: 5_321,
  pageviews: 4_100,
  sessions: 1_500,
  visitors: 1_234,
  bounceRate: 0.425,
  averageSessionDurationMs: 65_000,
  viewsPerSession: 2.7333,
  previous: {
    events: 4_000,
    pageviews: 3_000,
    sessions: 1_000,
    visitors: 1_000,
    bounceRate: 0.5,
    averageSessionDurationMs: 65_000,
    viewsPerSession: 3,
  },
};

export const emptyOverview: Overview = {
  events: 0,
  pageviews: 0,
  sessions: 0,
  visitors: 0,
  bounceRate: 0,
  averageSessionDurationMs: 0,
  viewsPerSession: 0,
  previous: {
    events: 0,
    pageviews: 0,
    sessions: 0,
    visitors: 0,
    bounceRate: 0,
    averageSessionDurationMs: 0,
    viewsPerSession: 0,
  },
};

/** Hourly rows starting at `start`, with visitors rising 10, 20, 30, … */
export function timeseriesFixture(
  start: number,
  count = 6,
  stepMs = HOUR,
): TimeseriesRow[] {
  return Array.from({ length: count }, (_, index) => ({
    bucketStart: start + index * stepMs,
    events: (index + 1) * 40,
    pageviews: (index + 1) * 25,
    sessions: (index + 1) * 12,
    visitors: (index + 1) * 10,
    bounceRate: 0.4,
    averageSessionDurationMs: 30_000,
  }));
}

const row = (
  key: string,
  count: number,
  visitors: number,
  sessions?: number,
): TopRow => ({
  key,
  count,
  pageviewCount: count,
  visitors,
  ...(sessions === undefined ? {} : { sessions }),
});

export const topListsFixture: Record<TopDimension, TopRow[]> = {
  page: [
    row("/", 2_000, 900),
    row("/pricing", 1_100, 640),
    row("/docs/getting-started", 400, 300),
  ],
  entryPage: [row("/", 800, 700, 800)],
  exitPage: [row("/pricing", 500, 450, 500)],
  referrer: [row("news.ycombinator.com", 900, 300, 320)],
  source: [row("hn", 900, 300, 320)],
  medium: [row("social", 100, 40, 41)],
  campaign: [row("launch-week", 100, 40, 41)],
  event: [row("pageview", 4_100, 1_234), row("signup", 120, 118)],
  device: [row("desktop", 3_000, 800, 900), row("mobile", 1_000, 400, 500)],
  browser: [row("Chrome", 3_000, 800, 950)],
  os: [row("macOS", 2_000, 500, 600)],
  country: [row("DE", 1_500, 400, 450), row("US", 1_400, 380, 420)],
  hostname: [row("example.com", 4_000, 1_200)],
  term: [row("analytics", 60, 30, 31)],
  content: [row("hero-link", 40, 20, 21)],
  language: [row("en-US", 2_500, 700, 800)],
  screen: [row("desktop", 2_800, 760, 850)],
};

export const realtimeFixture: Realtime = {
  visitors: 7,
  pageviewsPerMinute: [{ minuteStart: 0, pageviews: 3 }],
  truncated: false,
};

/** An `api.analytics` stand-in: real function references with the app's names. */
export function fakeAnalyticsApi(): AnalyticsDashboardApi {
  const names = [
    "getOverview",
    "getTimeseries",
    ...Object.values(TOP_QUERY_NAMES),
    "getEventPropertyBreakdown",
    "getRealtime",
  ] as const;
  return Object.fromEntries(
    names.map((name) => [
      name,
      makeFunctionReference<"query">(`analytics:${name}`),
    ]),
  ) as unknown as AnalyticsDashboardApi;
}
