/**
 * The dashboard's data layer: a clock that ticks on hour/minute boundaries,
 * the selected range, and the Convex subscriptions. The view never calls
 * `useQuery`; it only renders what these hooks return.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useQueries } from "convex/react";
import {
  getFunctionName,
  makeFunctionReference,
  type FunctionArgs,
  type FunctionReference,
  type FunctionReturnType,
} from "convex/server";
import { convexToJson, type Value } from "convex/values";
import type { AnalyticsDashboardApi, TopListQueryName } from "./api.js";
import { TOP_LIST_QUERIES } from "./api.js";
import type { DashboardPanel } from "./states.js";
import { figuresOfParts } from "../component/lib/totals.js";
import type {
  LiveReport,
  Overview,
  PropertyBreakdownRow,
  PropertyKeyRow,
  Realtime,
  TimeseriesRow,
  TopDimension,
  TopRow,
} from "../component/validators.js";
import {
  HOUR_MS,
  MINUTE_MS,
  browserTimeZone,
  computeRange,
  defaultCustomDates,
  nextBoundary,
  type CustomDates,
  type DashboardRange,
  type RangePreset,
} from "./range.js";

/**
 * The current time rounded down to `stepMs`, re-rendering the caller exactly
 * when the next boundary passes. Rounding is what keeps query arguments equal
 * between renders; the timer is what keeps a long-open dashboard from
 * freezing its window at mount time.
 */
export function useAlignedClock(stepMs: number): number {
  const [aligned, setAligned] = useState(
    () => Math.floor(Date.now() / stepMs) * stepMs,
  );
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = () => {
      clearTimeout(timer);
      const now = Date.now();
      setAligned(Math.floor(now / stepMs) * stepMs);
      // Timers may fire a little early; recomputing from Date.now() makes that harmless.
      timer = setTimeout(update, nextBoundary(now, stepMs) - now + 1);
    };
    update();
    // Background tabs throttle timers: catch up as soon as the tab is visible again.
    const onVisibility = () => {
      if (document.visibilityState === "visible") update();
    };
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [stepMs]);
  return aligned;
}

export interface UseAnalyticsRangeOptions {
  /** IANA timezone for "today" and custom dates; defaults to the browser's. */
  timeZone?: string;
  /** Preset selected at first render; default "7d". */
  initialPreset?: RangePreset;
  /** Dates the custom range starts with; default the last 7 local days. */
  initialCustomDates?: CustomDates;
}

export interface AnalyticsRangeState {
  /** The hour-aligned range to query; a new object only when the values change. */
  range: DashboardRange;
  preset: RangePreset;
  customDates: CustomDates;
  timeZone: string;
  setPreset: (preset: RangePreset) => void;
  /** Sets custom dates and switches to the "custom" preset. */
  setCustomDates: (dates: CustomDates) => void;
}

/**
 * The selected date range. Rolling presets move forward by themselves at
 * every whole hour (the hook re-renders then); custom ranges stay put.
 */
export function useAnalyticsRange(
  options: UseAnalyticsRangeOptions = {},
): AnalyticsRangeState {
  const timeZone = options.timeZone ?? browserTimeZone();
  const hourStart = useAlignedClock(HOUR_MS);
  const [preset, setPresetState] = useState<RangePreset>(
    options.initialPreset ?? "7d",
  );
  const [customDates, setCustomDatesState] = useState<CustomDates>(
    () =>
      options.initialCustomDates ?? defaultCustomDates(Date.now(), timeZone),
  );
  const { fromDate, toDate } = customDates;
  const range = useMemo(
    () =>
      computeRange(preset, hourStart, {
        timeZone,
        custom: { fromDate, toDate },
      }),
    [preset, hourStart, timeZone, fromDate, toDate],
  );
  const setPreset = useCallback(
    (next: RangePreset) => setPresetState(next),
    [],
  );
  const setCustomDates = useCallback((dates: CustomDates) => {
    setCustomDatesState(dates);
    setPresetState("custom");
  }, []);
  return { range, preset, customDates, timeZone, setPreset, setCustomDates };
}

/** Everything the view shows. `undefined` means "still loading". */
export interface DashboardData {
  overview: Overview | undefined;
  timeseries: TimeseriesRow[] | undefined;
  topLists: Partial<Record<TopDimension, TopRow[]>>;
  realtime: Realtime | undefined;
  /** Undefined while loading and while no event/property is selected. */
  propertyBreakdown: PropertyBreakdownRow[] | undefined;
  /**
   * Set when the tables stop before the range's end: they show everything
   * before this instant (the last hour compaction settled), while the
   * headline figures and the chart are live (README, "A dashboard left open").
   */
  settledThrough: number | undefined;
  /**
   * The chosen event's property keys (`api.getEventPropertyKeys`), most used
   * first: null while loading, undefined when the api has no such query.
   */
  propertyKeys: string[] | null | undefined;
  /** True while some figures shown are those of the previous range, until the new ones arrive. */
  refreshing: boolean;
  /** The panels whose query failed, with the error; the other panels keep working. */
  errors: Partial<Record<DashboardPanel, Error>>;
  /** Subscribes to a failed panel's query again. */
  retry: (panel: DashboardPanel) => void;
}

export interface UseDashboardDataOptions {
  /** Rows per top list (the component caps it at 100). */
  limit?: number;
  /** Event whose property values to break down. */
  eventName?: string;
  /** Property key to break down `eventName` by. */
  propertyKey?: string;
  /** Subscribe to getRealtime (default true). */
  realtime?: boolean;
  /** The top lists to subscribe to (default: every dimension). <Dashboard> passes each card's open tab. */
  topDimensions?: readonly TopDimension[];
}

/** A query result, possibly the previous arguments' result while the new one loads. */
interface Retained<T> {
  value: T | undefined;
  stale: boolean;
}

/**
 * Keeps showing the last result of a query while new arguments load, as long
 * as `identity` (e.g. the site) is unchanged. Without this every hour tick
 * would flash the whole dashboard back to skeletons.
 */
function useRetained<T>(value: T | undefined, identity: string): Retained<T> {
  const last = useRef<{ identity: string; value: T } | undefined>(undefined);
  if (value !== undefined) {
    last.current = { identity, value };
    return { value, stale: false };
  }
  if (last.current?.identity === identity)
    return { value: last.current.value, stale: true };
  return { value: undefined, stale: false };
}

/** One subscription's state: loading (both undefined), a value, or the error it failed with. */
export interface ReportQueryState<T> {
  value: T | undefined;
  error: Error | undefined;
}

/**
 * `useQuery` that hands a failure back instead of throwing it, so one failed
 * report leaves the other panels alone (README, "Report functions"). It uses
 * `useQueries`, which reports a failed query as an `Error` value.
 *
 * Changing `attempt` retries: the subscription is dropped for one render and
 * made again, so the client asks the server afresh instead of handing back
 * the failure it holds for those arguments.
 */
export function useReportQuery<Query extends FunctionReference<"query">>(
  query: Query,
  args: FunctionArgs<Query> | "skip",
  attempt = 0,
): ReportQueryState<FunctionReturnType<Query>> {
  const [subscribedAttempt, setSubscribedAttempt] = useState(attempt);
  const pausing = subscribedAttempt !== attempt;
  useEffect(() => {
    if (pausing) setSubscribedAttempt(attempt);
  }, [pausing, attempt]);
  const skip = args === "skip" || pausing;
  const argsKey =
    args === "skip" ? "skip" : JSON.stringify(convexToJson(args as Value));
  const name = getFunctionName(query);
  const queries = useMemo(
    (): Parameters<typeof useQueries>[0] =>
      skip ? {} : { result: { query, args: args as Record<string, Value> } },
    // The arguments by value, like useQuery: a new but equal object must not resubscribe.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [argsKey, name, skip],
  );
  const result = useQueries(queries).result as
    FunctionReturnType<Query> | Error | undefined;
  if (result instanceof Error) return { value: undefined, error: result };
  return { value: result, error: undefined };
}

/**
 * Subscribes to every report the dashboard shows, with the hour-aligned
 * `range`. While new arguments load, the previous results of the same site
 * stay visible (`refreshing` is true). A failed query does not throw: its
 * panel's error is in `errors`, and `retry(panel)` subscribes to it again.
 */
export function useDashboardData(
  api: AnalyticsDashboardApi,
  siteId: string,
  range: Pick<DashboardRange, "from" | "to" | "interval">,
  options: UseDashboardDataOptions = {},
): DashboardData {
  const { from, to } = range;
  const [attempts, setAttempts] = useState<
    Partial<Record<DashboardPanel, number>>
  >({});
  const retry = useCallback(
    (panel: DashboardPanel) =>
      setAttempts((current) => ({
        ...current,
        [panel]: (current[panel] ?? 0) + 1,
      })),
    [],
  );
  const figures = useRangeFigures(api, siteId, range, attempts);
  const tablesTo = figures.settledThrough ?? to;
  const topLists = useTopLists(
    api,
    siteId,
    from,
    figures.ready ? tablesTo : undefined,
    options.limit,
    attempts,
    options.topDimensions,
  );
  const minuteStart = useAlignedClock(MINUTE_MS);
  // "Visitors now": `now` is rounded down to the minute so the argument changes once a minute.
  const realtimeQuery = useReportQuery(
    api.getRealtime,
    (options.realtime ?? true) ? { siteId, now: minuteStart } : "skip",
    attempts.realtime,
  );
  const realtime = useRetained(realtimeQuery.value, siteId);
  const { eventName, propertyKey } = options;
  const breakdownArgs =
    eventName && propertyKey && figures.ready
      ? {
          siteId,
          from,
          to: tablesTo,
          eventName,
          propertyKey,
          ...limitArg(options.limit),
        }
      : "skip";
  const breakdownQuery = useReportQuery(
    api.getEventPropertyBreakdown,
    breakdownArgs,
    attempts.breakdown,
  );
  const propertyBreakdown = useRetained(
    breakdownQuery.value,
    breakdownArgs === "skip" ? "skip" : `${siteId}|${eventName}|${propertyKey}`,
  );
  const breakdownValue =
    breakdownArgs === "skip" ? undefined : propertyBreakdown.value;
  const propertyKeys = usePropertyKeys(
    api,
    siteId,
    from,
    figures.ready ? tablesTo : undefined,
    eventName,
    attempts.breakdown,
  );
  const errors: Partial<Record<DashboardPanel, Error>> = {
    ...topLists.errors,
    ...figures.errors,
  };
  if (propertyKeys.error) errors.breakdown = propertyKeys.error;
  if (realtimeQuery.error) errors.realtime = realtimeQuery.error;
  if (breakdownArgs !== "skip" && breakdownQuery.error)
    errors.breakdown = breakdownQuery.error;
  // A failed panel shows its error, not the previous range's figures.
  const shown = <T>(retained: Retained<T>, error: Error | undefined) =>
    error ? { value: undefined, stale: false } : retained;
  const refreshing = [
    shown(figures.overview, errors.kpis),
    shown(figures.timeseries, errors.chart),
    shown(realtime, errors.realtime),
    shown(propertyBreakdown, errors.breakdown),
    ...topLists.retained,
  ].some((r) => r.stale);
  return {
    overview: errors.kpis ? undefined : figures.overview.value,
    timeseries: errors.chart ? undefined : figures.timeseries.value,
    settledThrough: figures.settledThrough,
    topLists: topLists.lists,
    realtime: errors.realtime ? undefined : realtime.value,
    propertyBreakdown: errors.breakdown ? undefined : breakdownValue,
    propertyKeys: propertyKeys.keys,
    refreshing,
    errors,
    retry,
  };
}

/** Stands in for a missing `api.getEventPropertyKeys`; only ever used with "skip". */
const NO_KEYS_QUERY = makeFunctionReference<
  "query",
  { siteId: string; from: number; to: number; eventName: string },
  PropertyKeyRow[]
>("analytics:getEventPropertyKeys");

/** The property keys of the chosen event, for the breakdown panel's picker. */
function usePropertyKeys(
  api: AnalyticsDashboardApi,
  siteId: string,
  from: number,
  to: number | undefined,
  eventName: string | undefined,
  attempt: number | undefined,
): { keys: string[] | null | undefined; error: Error | undefined } {
  const listed = api.getEventPropertyKeys !== undefined;
  const query = useReportQuery(
    api.getEventPropertyKeys ?? NO_KEYS_QUERY,
    listed && eventName && to !== undefined
      ? { siteId, from, to, eventName }
      : "skip",
    attempt,
  );
  if (!listed) return { keys: undefined, error: undefined };
  if (!eventName) return { keys: [], error: undefined };
  return {
    keys: query.value ? query.value.map((row) => row.key) : null,
    error: query.error,
  };
}

/** Dimensions in display order; a constant list so the hooks below run in the same order every render. */
const DIMENSIONS = Object.keys(TOP_LIST_QUERIES) as TopDimension[];

function useTopLists(
  api: AnalyticsDashboardApi,
  siteId: string,
  from: number,
  to: number | undefined,
  limit: number | undefined,
  attempts: Partial<Record<DashboardPanel, number>>,
  shown: readonly TopDimension[] = DIMENSIONS,
): {
  lists: Partial<Record<TopDimension, TopRow[]>>;
  retained: Retained<TopRow[]>[];
  errors: Partial<Record<DashboardPanel, Error>>;
} {
  const lists: Partial<Record<TopDimension, TopRow[]>> = {};
  const retained: Retained<TopRow[]>[] = [];
  const errors: Partial<Record<DashboardPanel, Error>> = {};
  for (const dimension of DIMENSIONS) {
    const queryName: TopListQueryName = TOP_LIST_QUERIES[dimension];
    const wanted = shown.includes(dimension);
    // Hooks in a loop are safe here: DIMENSIONS is a constant list, so the
    // hooks run in the same order on every render.
    /* eslint-disable react-hooks/rules-of-hooks */
    const query = useReportQuery(
      api[queryName],
      wanted && to !== undefined
        ? { siteId, from, to, ...limitArg(limit) }
        : "skip",
      attempts[dimension],
    );
    const result = useRetained(query.value, `${siteId}|${limit}`);
    /* eslint-enable react-hooks/rules-of-hooks */
    if (!wanted) continue;
    if (query.error) {
      errors[dimension] = query.error;
      continue;
    }
    lists[dimension] = result.value;
    retained.push(result);
  }
  return { lists, retained, errors };
}

// Omit `limit` when unset so the arguments match what other callers send by default.
function limitArg(limit: number | undefined): { limit?: number } {
  return limit === undefined ? {} : { limit };
}

type Figures = {
  overview: Retained<Overview>;
  timeseries: Retained<TimeseriesRow[]>;
  /** See DashboardData.settledThrough. */
  settledThrough: number | undefined;
  /** False until the split point is known: tables wait for it. */
  ready: boolean;
  errors: Partial<Record<DashboardPanel, Error>>;
};

/**
 * The headline figures and the chart. With the app's `getLiveReport`, the
 * range is asked for in two parts: `[from, since)`, which only changes when
 * compaction settles an hour, and the live `[since, to)`, which every
 * aggregation run changes but which reads little. Counters add up and
 * visitors merge as sketches, so the figures equal the whole range's.
 */
function useRangeFigures(
  api: AnalyticsDashboardApi,
  siteId: string,
  range: Pick<DashboardRange, "from" | "to" | "interval">,
  attempts: Partial<Record<DashboardPanel, number>>,
): Figures {
  const { from, to, interval } = range;
  const split = api.getLiveReport !== undefined;
  const liveQuery = useReportQuery(
    api.getLiveReport ?? api.getOverview,
    split ? { siteId, from, to, interval } : "skip",
    attempts.kpis,
  ) as ReportQueryState<LiveReport>;
  const live = liveQuery.value;
  const since = split ? live?.since : to;
  const settledOverview = useReportQuery(
    api.getOverview,
    !split
      ? { siteId, from, to, compare: true }
      : since !== undefined && since > from
        ? { siteId, from, to: since, parts: true }
        : "skip",
    attempts.kpis,
  );
  const previous = useReportQuery(
    api.getOverview,
    split ? { siteId, from: from - (to - from), to: from } : "skip",
    attempts.kpis,
  );
  const chartFrom = split ? live?.timeseriesFrom : to;
  const settledSeries = useReportQuery(
    api.getTimeseries,
    chartFrom !== undefined && chartFrom > from
      ? { siteId, from, to: chartFrom, interval }
      : "skip",
    attempts.chart,
  );
  let overview: Overview | undefined;
  let timeseries: TimeseriesRow[] | undefined;
  if (!split) {
    overview = settledOverview.value;
    timeseries = settledSeries.value;
  } else if (live && since !== undefined && chartFrom !== undefined) {
    overview = combineOverview(
      live,
      since > from ? settledOverview.value : "none",
      previous.value,
    );
    const head = chartFrom > from ? settledSeries.value : [];
    timeseries = head && [...head, ...live.timeseries];
  }
  const errors: Partial<Record<DashboardPanel, Error>> = {};
  const kpiError = liveQuery.error ?? settledOverview.error ?? previous.error;
  if (kpiError) errors.kpis = kpiError;
  const chartError = settledSeries.error ?? liveQuery.error;
  if (chartError) errors.chart = chartError;
  return {
    overview: useRetained(overview, siteId),
    // A change of interval changes the bucket size: old buckets would be misleading.
    timeseries: useRetained(timeseries, `${siteId}|${interval}`),
    settledThrough:
      split && since !== undefined && since > from && since < to
        ? since
        : undefined,
    ready: since !== undefined,
    errors,
  };
}

/** The whole range's overview from its settled and live parts; undefined until all have arrived. */
function combineOverview(
  live: LiveReport,
  settled: Overview | undefined | "none",
  previous: Overview | undefined,
): Overview | undefined {
  if (settled === undefined || previous === undefined) return undefined;
  const parts =
    settled === "none" ? [live.parts] : [settled.parts!, live.parts];
  const { previous: _p, parts: _q, ...previousFigures } = previous;
  return { ...figuresOfParts(parts), previous: previousFigures };
}
