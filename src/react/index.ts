/**
 * `convex-analytics/react`: the drop-in `<Dashboard>`, its pure view, the
 * hooks behind it, and the range/format helpers they share.
 *
 * ```tsx
 * import { Dashboard } from "convex-analytics/react";
 * <Dashboard api={api.analytics} siteId={siteId} />
 * ```
 *
 * `renderDashboardHtml` lives in `./report` and is deliberately not
 * re-exported here: it imports `react-dom/server`, which bundlers cannot drop
 * from a browser bundle (it is CommonJS with side effects assumed).
 */

/** `<Dashboard api siteId />` (alias `AnalyticsDashboard`) and its error boundary. */
export {
  Dashboard,
  AnalyticsDashboard,
  DataErrorBoundary,
  type DashboardProps,
} from "./dashboard.js";

/** The drill-down panel: the rows behind the numbers, paged with convex-helpers' `usePaginatedQuery`. */
export {
  DrillDown,
  DRILL_DOWN_VIEWS,
  DRILL_DOWN_PAGE_SIZE,
  hasDrillDowns,
  type DrillDownProps,
  type DrillDownView,
} from "./drilldown.js";

/** The pure view: renders any data it is given; no Convex, no clock. */
export {
  DashboardView,
  KPI_CARDS,
  isEmptyOverview,
  type DashboardViewProps,
} from "./view.js";

/** Data layer: the hour/minute clock, the selected range and the Convex subscriptions. */
export {
  useAlignedClock,
  useAnalyticsRange,
  useDashboardData,
  useReportQuery,
  type ReportQueryState,
  type AnalyticsRangeState,
  type DashboardData,
  type UseAnalyticsRangeOptions,
  type UseDashboardDataOptions,
} from "./hooks.js";

/** Combines a range's settled and live parts (`getOverview({ parts: true })`, `getLiveReport`) into its figures. */
export { figuresOfParts, type OverviewParts } from "../component/lib/totals.js";

/** The structural type of the `api` prop and the top-list query names. */
export {
  TOP_LIST_QUERIES,
  type AnalyticsDashboardApi,
  type DrillDownArgs,
  type DrillDownQuery,
  type RangeQueryArgs,
  type TopListQuery,
  type TopListQueryName,
} from "./api.js";

/** Hour-aligned range helpers ("today" in a timezone, rolling presets, custom dates). */
export {
  RANGE_PRESETS,
  HOUR_MS,
  DAY_MS,
  MINUTE_MS,
  roundRange,
  computeRange,
  intervalForRange,
  floorToHour,
  ceilToHour,
  nextBoundary,
  startOfZonedDay,
  startOfZonedDate,
  customDatesToRange,
  browserTimeZone,
  type RangePreset,
  type TimeRange,
  type DashboardRange,
  type CustomDates,
} from "./range.js";

/** Formatting used by the view: "1,234", "42.5%", "1m 05s", "+12%". */
export {
  formatNumber,
  formatDecimal,
  formatPercent,
  formatCompact,
  formatDuration,
  formatChange,
  formatPointChange,
  formatBucketLabel,
  formatRangeLabel,
  type FormattedChange,
} from "./format.js";

/** Building blocks for custom layouts. */
export { TimeseriesChart, type TimeseriesChartProps } from "./chart.js";
export {
  TopTable,
  PropertyBreakdown,
  TOP_TABLES,
  sortByVisitors,
  type TopTableConfig,
  type TopTableProps,
} from "./tables.js";
export { RangePicker, type RangePickerProps } from "./controls.js";
export {
  GoalsPanel,
  useGoalData,
  GOAL_RATE_TABLES,
  type GoalsPanelProps,
  type GoalRates,
} from "./goals.js";
export {
  setupSnippets,
  PanelError,
  PanelBoundary,
  type DashboardPanel,
  type SetupHints,
} from "./states.js";

/** Theming: the injected stylesheet, its root class and the `<style>` element id. */
export { DASHBOARD_CSS, ROOT_CLASS, STYLE_ELEMENT_ID } from "./styles.js";

/** The `{ code, message }` of an error the component raised (README, "Errors"), for a query's error state. */
export {
  analyticsErrorData,
  type AnalyticsErrorCode,
  type AnalyticsErrorData,
} from "../component/lib/errors.js";
