/**
 * `<Dashboard>`: the data-connected dashboard. It owns the user's choices
 * (range, event, property key), subscribes through `useDashboardData`, and
 * renders `DashboardView`. A failed report query shows its error in its own
 * panel, with a retry, while the other panels keep working (`useReportQuery`
 * does not throw); the error boundary around the data layer is the last
 * resort for anything else.
 */
import { defaultCardTabs } from "./tables.js";
import { Component, useCallback, useState, type ReactNode } from "react";
import { makeFunctionReference } from "convex/server";
import type { AnalyticsDashboardApi } from "./api.js";
import { DrillDown, hasDrillDowns } from "./drilldown.js";
import { useGoalData } from "./goals.js";
import type { TopDimension } from "../component/validators.js";
import {
  useAnalyticsRange,
  useDashboardData,
  useReportQuery,
} from "./hooks.js";
import type { RangePreset } from "./range.js";
import type { SetupHints } from "./states.js";
import {
  DashboardView,
  type DashboardViewProps,
  type VisitorCounting,
} from "./view.js";

export interface DashboardProps {
  /** The app's `api.analytics` (from `exposeAnalyticsApi`). Only these queries are called. */
  api: AnalyticsDashboardApi;
  /** Site to report on. */
  siteId: string;
  /** IANA timezone for "today", custom dates and labels; default the browser's. Pass the site's to match its daily buckets. */
  timezone?: string;
  /** Range selected at first render; default "7d". */
  initialRange?: RangePreset;
  /** Rows per top table (default 10, the component allows up to 100). */
  limit?: number;
  /** Subscribe to the realtime "visitors now" figure (default true). */
  realtime?: boolean;
  /** Heading; default "Analytics". */
  title?: ReactNode;
  /** Number/date locale; default "en-US". */
  locale?: string;
  /** Extra class on the root element, to theme with `--ca-` variables. */
  className?: string;
  /** Endpoint and write key to show in the empty state's install snippet. */
  setup?: SetupHints;
  /** Property keys suggested in the breakdown panel (e.g. the ones your app tracks). */
  propertyKeySuggestions?: string[];
  /** Show the drill-down panel (latest sessions, pageviews, events, visitors; default true when `api` has the list queries). */
  drillDown?: boolean;
}

/** Drop-in analytics dashboard for a Convex app's admin page. */
export function Dashboard(props: DashboardProps) {
  const { api, siteId } = props;
  const rangeState = useAnalyticsRange({
    timeZone: props.timezone,
    initialPreset: props.initialRange,
  });
  const [eventName, setEventName] = useState<string | undefined>(undefined);
  const [propertyKey, setPropertyKey] = useState<string | undefined>(undefined);
  const [typedKeys, setTypedKeys] = useState<string[]>([]);
  const [attempt, setAttempt] = useState(0);
  const [cardTabs, setCardTabs] = useState(defaultCardTabs);
  const [selectedGoalId, setSelectedGoalId] = useState<string | undefined>();
  const { range } = rangeState;

  const onPropertyKeyChange = useCallback((key: string) => {
    setPropertyKey(key || undefined);
    // Offer keys typed earlier in this session again in the suggestion list.
    if (key)
      setTypedKeys((keys) => (keys.includes(key) ? keys : [...keys, key]));
  }, []);

  const viewProps: DashboardViewProps = {
    title: props.title,
    range,
    timeZone: rangeState.timeZone,
    locale: props.locale,
    className: props.className,
    setup: props.setup,
    preset: rangeState.preset,
    customDates: rangeState.customDates,
    onPresetChange: rangeState.setPreset,
    onCustomDatesChange: rangeState.setCustomDates,
    eventName,
    propertyKey,
    onEventNameChange: (name) => {
      setEventName(name || undefined);
      // Keys are picked from the event's own list: another event has its own.
      if (api.getEventPropertyKeys) setPropertyKey(undefined);
    },
    onPropertyKeyChange,
    propertyKeySuggestions: mergeSuggestions(
      props.propertyKeySuggestions,
      typedKeys,
    ),
    showGoals: api.getGoalConversions !== undefined,
    selectedGoalId,
    onSelectGoal: setSelectedGoalId,
    cardTabs,
    onCardTabChange: (card, dimension) =>
      setCardTabs((tabs) => ({ ...tabs, [card]: dimension })),
    // The drill-down pages on its own (and fails on its own, in its own boundary).
    footer:
      props.drillDown !== false && hasDrillDowns(api) ? (
        <DrillDown
          api={api}
          siteId={siteId}
          range={range}
          timeZone={rangeState.timeZone}
          locale={props.locale}
        />
      ) : undefined,
  };
  // Any change of what is asked for (or a retry) clears a previous error.
  const resetKey = [
    siteId,
    range.from,
    range.to,
    eventName,
    propertyKey,
    attempt,
  ].join("|");
  return (
    <DataErrorBoundary
      resetKey={resetKey}
      fallback={(error) => (
        <DashboardView
          {...viewProps}
          error={error}
          onRetry={() => setAttempt((n) => n + 1)}
        />
      )}
    >
      <ConnectedView
        api={api}
        siteId={siteId}
        viewProps={viewProps}
        limit={props.limit}
        realtime={props.realtime}
      />
    </DataErrorBoundary>
  );
}

/** The same component under the name the issue also promises. */
export const AnalyticsDashboard = Dashboard;

function mergeSuggestions(
  given: string[] | undefined,
  typed: string[],
): string[] {
  return [...new Set([...(given ?? []), ...typed])];
}

/** Calls the queries (may throw) and hands the results to the pure view. */
function ConnectedView(props: {
  api: AnalyticsDashboardApi;
  siteId: string;
  viewProps: DashboardViewProps;
  limit?: number;
  realtime?: boolean;
}) {
  const { viewProps } = props;
  const data = useDashboardData(props.api, props.siteId, viewProps.range, {
    limit: props.limit,
    realtime: props.realtime,
    eventName: viewProps.eventName,
    propertyKey: viewProps.propertyKey,
    // One top list per card, the tab it shows, keeps a full load small (README, "Cost and scale").
    topDimensions: viewProps.cardTabs
      ? Object.values(viewProps.cardTabs)
      : undefined,
  });
  // How the site counts visitors, when the app passes getSite (README, "Privacy and consent").
  // Only a note in the header: if it fails, the note is left out.
  const site = useReportQuery(
    props.api.getSite ?? NO_SITE_QUERY,
    props.api.getSite ? { siteId: props.siteId } : "skip",
  ).value;
  const [goalAttempt, setGoalAttempt] = useState(0);
  const goals = useGoalData(
    props.api,
    props.siteId,
    viewProps.range,
    viewProps.selectedGoalId,
    goalAttempt,
    data.settledThrough,
    shownKeysOf(data.topLists),
  );
  const { errors, retry, ...reports } = data;
  return (
    <DashboardView
      {...viewProps}
      {...reports}
      goals={goals.error ? undefined : goals.goals}
      previousGoals={goals.previousGoals}
      goalRates={goals.goalRates}
      goalsError={goals.error}
      onRetryGoals={() => setGoalAttempt((n) => n + 1)}
      panelErrors={errors}
      onRetryPanel={retry}
      counting={site ?? undefined}
    />
  );
}

/** The keys each loaded top list shows, for the goal rate columns. */
function shownKeysOf(
  topLists: Partial<Record<TopDimension, { key: string }[]>>,
): Partial<Record<TopDimension, string[]>> {
  const keys: Partial<Record<TopDimension, string[]>> = {};
  for (const [dimension, rows] of Object.entries(topLists))
    if (rows) keys[dimension as TopDimension] = rows.map((r) => r.key);
  return keys;
}

/** Stands in for a missing `api.getSite`; only ever used with "skip". */
const NO_SITE_QUERY = makeFunctionReference<
  "query",
  { siteId: string },
  VisitorCounting | null
>("analytics:getSite");

interface DataErrorBoundaryProps {
  /** When this changes after an error, the children are tried again. */
  resetKey: string;
  fallback: (error: unknown) => ReactNode;
  children: ReactNode;
}

interface DataErrorBoundaryState {
  error: unknown;
  failedKey: string | undefined;
}

/**
 * Catches errors thrown while rendering the data layer (failed Convex
 * queries). Class component because React has no hook for this.
 */
export class DataErrorBoundary extends Component<
  DataErrorBoundaryProps,
  DataErrorBoundaryState
> {
  state: DataErrorBoundaryState = { error: undefined, failedKey: undefined };

  static getDerivedStateFromError(
    error: unknown,
  ): Partial<DataErrorBoundaryState> {
    return { error: error ?? new Error("Unknown error") };
  }

  static getDerivedStateFromProps(
    props: DataErrorBoundaryProps,
    state: DataErrorBoundaryState,
  ): Partial<DataErrorBoundaryState> | null {
    // Remember which request failed; a different request deserves a fresh try.
    if (state.error !== undefined && state.failedKey === undefined)
      return { failedKey: props.resetKey };
    if (state.error !== undefined && state.failedKey !== props.resetKey)
      return { error: undefined, failedKey: undefined };
    return null;
  }

  render() {
    return this.state.error !== undefined
      ? this.props.fallback(this.state.error)
      : this.props.children;
  }
}
