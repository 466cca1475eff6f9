/**
 * The shape of the `api` prop: the app's `api.analytics` object, typed
 * structurally so any app that re-exports the report queries with
 * `exposeAnalyticsApi` fits without importing its generated types here.
 */
import type {
  DefaultFunctionArgs,
  FunctionReference,
  PaginationOptions,
  PaginationResult,
} from "convex/server";
import type {
  EventDoc,
  SessionView,
  VisitorView,
  Overview,
  PropertyBreakdownRow,
  PropertyKeyRow,
  Realtime,
  TimeseriesRow,
  TopDimension,
  TopRow,
  Interval,
  LiveReport,
} from "../component/validators.js";
import { TOP_QUERY_NAMES } from "../component/validators.js";
import type { TopQueryName } from "../component/lib/dimensions.js";
import type { VisitorCounting } from "./view.js";
import type { GoalBreakdownQuery, GoalConversionsQuery } from "./goals.js";

/** `{ siteId, from, to }`: ms since the epoch, half-open [from, to). */
export type RangeQueryArgs = {
  siteId: string;
  from: number;
  to: number;
};

// A type alias (not an interface) for args, because FunctionReference wants an indexable record.
type PublicQuery<Args extends DefaultFunctionArgs, Result> = FunctionReference<
  "query",
  "public",
  Args,
  Result
>;

/** A top-list query: `({ siteId, from, to, limit? }) => TopRow[]`. */
export type TopListQuery = PublicQuery<
  RangeQueryArgs & { limit?: number },
  TopRow[]
>;

/** A drill-down's arguments as a paginated hook sends them (README, "Report functions"). */
export type DrillDownArgs = {
  siteId: string;
  from?: number;
  to?: number;
  paginationOpts: PaginationOptions;
};

/** A drill-down query from `exposeAnalyticsApi`: one `PaginationResult` page of rows. */
export type DrillDownQuery<Row> = PublicQuery<
  DrillDownArgs,
  PaginationResult<Row>
>;

/**
 * The report queries the dashboard calls. Nothing else is ever called.
 * An argument the server declares optional must be optional here too, or the
 * app's function reference would not be assignable to this type.
 */
/** One top-list query per dimension of the component's registry. */
export type TopListQueries = { [Q in TopQueryName]: TopListQuery };

export interface AnalyticsDashboardApi extends TopListQueries {
  getOverview: PublicQuery<
    RangeQueryArgs & { compare?: boolean; parts?: boolean },
    Overview
  >;
  /**
   * Optional (apps that export it get a dashboard that stays cheap while
   * open, README "A dashboard left open"): the part of the range that still
   * changes. Without it every panel queries the whole range.
   */
  getLiveReport?: PublicQuery<
    RangeQueryArgs & { interval: Interval },
    LiveReport
  >;
  getTimeseries: PublicQuery<
    RangeQueryArgs & { interval: Interval },
    TimeseriesRow[]
  >;
  getEventPropertyBreakdown: PublicQuery<
    RangeQueryArgs & { eventName: string; propertyKey: string; limit?: number },
    PropertyBreakdownRow[]
  >;
  /**
   * Optional: the property keys an event carries, from rollups; when given,
   * the breakdown panel offers them in a picker instead of a text box.
   */
  getEventPropertyKeys?: PublicQuery<
    RangeQueryArgs & { eventName: string },
    PropertyKeyRow[]
  >;
  // `now` is optional on the server (it defaults to the server's clock); the
  // dashboard always passes it, rounded to the minute, so results are cached.
  // Declaring it optional here keeps the app's reference assignable.
  getRealtime: PublicQuery<{ siteId: string; now?: number }, Realtime>;
  /** Optional: the Goals panel shows when the app exposes these (README, "Goals"). */
  getGoalConversions?: GoalConversionsQuery;
  getGoalBreakdown?: GoalBreakdownQuery;
  /** Optional: `getSite` from `exposeAdminApi`; when given, the header says how the site counts visitors. */
  getSite?: PublicQuery<{ siteId: string }, VisitorCounting | null>;

  // The drill-downs are optional: the dashboard's drill-down panel offers the
  // ones the app exposes (and is left out when it exposes none).
  listSessions?: DrillDownQuery<SessionView>;
  listPageviews?: DrillDownQuery<EventDoc>;
  listRawEvents?: DrillDownQuery<EventDoc>;
  listVisitors?: DrillDownQuery<VisitorView>;
}

/** Names of the top-list queries in {@link AnalyticsDashboardApi}. */
export type TopListQueryName = TopQueryName;

/** Which query feeds which top-list dimension (the component's own table). */
export const TOP_LIST_QUERIES: Readonly<
  Record<TopDimension, TopListQueryName>
> = TOP_QUERY_NAMES;

export type {
  Overview,
  PropertyBreakdownRow,
  PropertyKeyRow,
  Realtime,
  TimeseriesRow,
  TopDimension,
  TopRow,
  Interval,
  LiveReport,
};
export type { EventDoc, SessionView, VisitorView };
