/**
 * convex-analytics: the server-side entry point an app imports.
 *
 * - `registerRoutes(http, components.analytics)` mounts the ingest endpoint.
 * - `exposeAnalyticsApi` / `exposeAdminApi` return the app's authenticated
 *   report queries and site administration functions.
 * - Maintenance lives in `convex-analytics/maintenance`.
 */
export {
  registerRoutes,
  ingestFromHttp,
  preflight,
  DEFAULT_INGEST_PATH,
  DEFAULT_RATE_LIMITS,
} from "./http.js";
export type { IngestRouteOptions, RateLimitSetting } from "./http.js";
export { exposeAnalyticsApi } from "./reports.js";
export type { AnalyticsApi, AuthCheck, AuthOperation } from "./reports.js";
export { exposeAdminApi } from "./admin.js";
export type { AdminOptions } from "./admin.js";
export { ingestEvents } from "./server.js";
export { hashWriteKey } from "./hash.js";
export { DEFAULT_IP_HEADERS } from "./cookieless.js";
export {
  REPORT_QUERIES,
  APP_REPORT_QUERIES,
  DRILL_DOWN_QUERY_NAMES,
  TOP_QUERY_NAMES,
  TOP_DIMENSIONS,
} from "../component/validators.js";
export type {
  Overview,
  OverviewFigures,
  TimeseriesRow,
  TopRow,
  TopDimension,
  PropertyBreakdownRow,
  Realtime,
  Site,
  VisitorIdentity,
  EventDoc,
  SessionView,
  VisitorView,
  IncomingEvent,
  Context,
  IngestResult,
  Interval,
  DrillDownQueryName,
} from "../component/validators.js";
export type { ComponentApi } from "../component/_generated/component.js";
export {
  analyticsErrorData,
  ERROR_HTTP_STATUS,
} from "../component/lib/errors.js";
export type {
  AnalyticsErrorCode,
  AnalyticsErrorData,
} from "../component/lib/errors.js";
