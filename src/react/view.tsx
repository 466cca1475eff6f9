/**
 * The pure dashboard view: renders whatever data it is given (undefined =
 * loading) and reports user choices through callbacks. No Convex, no clock,
 * so it renders the same in a test, in the browser and in the static report.
 */
import { GoalsPanel, type GoalRates } from "./goals.js";
import type { GoalConversions } from "../component/validators.js";
import type { ReactNode } from "react";
import type {
  Overview,
  OverviewFigures,
  PropertyBreakdownRow,
  Realtime,
  TimeseriesRow,
  TopDimension,
  TopRow,
  Interval,
  VisitorIdentity,
} from "../component/validators.js";
import { TimeseriesChart } from "./chart.js";
import { RangePicker } from "./controls.js";
import {
  formatChange,
  formatDecimal,
  formatDuration,
  formatNumber,
  formatPercent,
  formatPointChange,
  formatRangeLabel,
  formatRealtimeLeftOut,
  type FormattedChange,
} from "./format.js";
import type { CustomDates, RangePreset } from "./range.js";
import {
  EmptyState,
  ErrorState,
  PanelBoundary,
  PanelError,
  type DashboardPanel,
  type SetupHints,
} from "./states.js";
import { ROOT_CLASS, useDashboardStyles } from "./styles.js";
import {
  PropertyBreakdown,
  TOP_CARDS,
  TOP_TABLES,
  TopTable,
  type TopTableConfig,
} from "./tables.js";
import type { DashboardCard } from "../component/lib/dimensions.js";

export interface DashboardViewProps {
  /** Heading of the dashboard; default "Analytics". */
  title?: ReactNode;
  /** The range shown (hour-aligned [from, to), ms) and its chart interval. */
  range: { from: number; to: number; interval: Interval };
  /** IANA timezone used for axis labels and the range label. */
  timeZone: string;
  /** Number/date locale; default "en-US". */
  locale?: string;

  // ---- data: `undefined` means still loading
  overview?: Overview;
  timeseries?: TimeseriesRow[];
  topLists?: Partial<Record<TopDimension, TopRow[]>>;
  /**
   * With this, top lists show as cards with tabs, one open dimension each
   * (what <Dashboard> does); without it, every table shows (static report).
   */
  cardTabs?: Record<DashboardCard, TopDimension>;
  onCardTabChange?: (card: DashboardCard, dimension: TopDimension) => void;
  realtime?: Realtime;
  /**
   * When the tables stop before the range's end: the instant they run to
   * (the figures above them are live). Shown as a note over the tables.
   */
  settledThrough?: number;
  /** Rows for the selected event/property (undefined while loading or nothing selected). */
  propertyBreakdown?: PropertyBreakdownRow[];
  /**
   * The selected event's property keys, offered in a picker (null while
   * loading); without it the key is typed in a text box.
   */
  propertyKeys?: string[] | null;

  // ---- flags
  /** Show skeletons everywhere regardless of the data given. */
  loading?: boolean;
  /** The data shown is the previous range's while the new one loads: dimmed, marked busy. */
  refreshing?: boolean;
  /** When set, the error notice replaces the reports. */
  error?: unknown;
  /** Offered as "Try again" in the error notice. */
  onRetry?: () => void;
  /**
   * Panels whose query failed: each shows its own error with a retry while
   * the others keep working (README, "Report functions").
   */
  panelErrors?: Partial<Record<DashboardPanel, unknown>>;
  /** "Try again" of one failed panel. */
  onRetryPanel?: (panel: DashboardPanel) => void;

  // ---- controls: omit the callbacks for a static (non-interactive) view
  preset?: RangePreset;
  customDates?: CustomDates;
  onPresetChange?: (preset: RangePreset) => void;
  onCustomDatesChange?: (dates: CustomDates) => void;
  eventName?: string;
  propertyKey?: string;
  onEventNameChange?: (eventName: string) => void;
  onPropertyKeyChange?: (propertyKey: string) => void;
  propertyKeySuggestions?: string[];

  /** Endpoint/write key shown in the empty state's snippet. */
  setup?: SetupHints;
  /** Extra class on the root element (for theming with `--ca-` variables). */
  className?: string;
  /**
   * Fixed chart width in px; default: follow the container (measured). A
   * `{ wide, narrow }` pair renders both and lets CSS pick by screen width:
   * that is how the script-less static report stays readable on a phone.
   */
  chartWidth?: number | { wide: number; narrow: number };
  /** Extra content after the reports, e.g. "generated at" in the report. */
  footer?: ReactNode;
  /** Show the "visitors now" figure (default true; a static report without realtime data hides it). */
  showRealtime?: boolean;
  /** Show the event-property panel (default true). */
  showPropertyBreakdown?: boolean;
  /** How the site counts visitors (from `getSite`); shown under the title when given. */
  counting?: VisitorCounting;

  // ---- goals (README, "Goals"): the panel shows when `showGoals` or `goals` is set
  showGoals?: boolean;
  goals?: GoalConversions;
  previousGoals?: GoalConversions;
  goalsError?: unknown;
  onRetryGoals?: () => void;
  selectedGoalId?: string;
  onSelectGoal?: (goalId: string | undefined) => void;
  /** The picked goal's conversion rates, per table that shows them. */
  goalRates?: GoalRates;
}

/** A site's visitor counting, as `getSite` reports it (README, "Privacy and consent"). */
export interface VisitorCounting {
  /** Missing means `"device"` (sites created before the setting existed). */
  visitorIdentity?: VisitorIdentity;
  /** When the site last switched counting (ms); missing if it never did. */
  visitorIdentitySince?: number;
}

/** A range with no events now and none in the previous period: time to show the install hint. */
export function isEmptyOverview(overview: Overview | undefined): boolean {
  return (
    overview !== undefined &&
    overview.events === 0 &&
    (overview.previous?.events ?? 0) === 0
  );
}

/** The dashboard as a pure function of its props. */
export function DashboardView(props: DashboardViewProps) {
  useDashboardStyles();
  const { loading, error } = props;
  const rootClass = props.className
    ? `${ROOT_CLASS} ${props.className}`
    : ROOT_CLASS;
  const hasError = error !== undefined && error !== null && error !== false;
  const empty = !loading && !hasError && isEmptyOverview(props.overview);
  return (
    <div
      className={rootClass}
      aria-busy={loading || props.refreshing || undefined}
      data-refreshing={props.refreshing || undefined}
      data-state={stateName(props, hasError, empty)}
    >
      <DashboardHeader {...props} />
      {hasError ? (
        <ErrorState error={error} onRetry={props.onRetry} />
      ) : empty ? (
        <EmptyState setup={props.setup} />
      ) : (
        <DashboardReports {...props} />
      )}
      {props.footer}
    </div>
  );
}

function stateName(
  props: DashboardViewProps,
  hasError: boolean,
  empty: boolean,
): string {
  if (hasError) return "error";
  if (
    props.loading ||
    (props.overview === undefined && props.panelErrors?.kpis === undefined)
  )
    return "loading";
  return empty ? "empty" : "data";
}

function DashboardHeader(props: DashboardViewProps) {
  const { range, timeZone, locale, preset, onPresetChange } = props;
  return (
    <header className="ca-header">
      <div>
        <h2 className="ca-title">{props.title ?? "Analytics"}</h2>
        <p className="ca-subtitle">
          {formatRangeLabel(range.from, range.to, timeZone, locale)} ({timeZone}
          )
        </p>
        {props.counting && (
          <CountingNote
            counting={props.counting}
            range={range}
            timeZone={timeZone}
            locale={locale}
          />
        )}
      </div>
      {props.showRealtime !== false && (
        <PanelBoundary what="Visitors now" resetKey={props.realtime}>
          <RealtimeFigure
            realtime={props.loading ? undefined : props.realtime}
            timeZone={props.timeZone}
            locale={locale}
            error={props.loading ? undefined : props.panelErrors?.realtime}
            onRetry={retryOf(props, "realtime")}
          />
        </PanelBoundary>
      )}
      {preset && onPresetChange && (
        <RangePicker
          preset={preset}
          customDates={props.customDates}
          onPresetChange={onPresetChange}
          onCustomDatesChange={props.onCustomDatesChange}
        />
      )}
    </header>
  );
}

/** Which visitor counting the numbers use, and the day it changed when that day is in the range. */
function CountingNote(props: {
  counting: VisitorCounting;
  range: { from: number; to: number };
  timeZone: string;
  locale?: string;
}) {
  const { counting, range } = props;
  const mode = counting.visitorIdentity ?? "device";
  const since = counting.visitorIdentitySince;
  const day =
    since === undefined
      ? ""
      : new Intl.DateTimeFormat(props.locale ?? "en-US", {
          dateStyle: "medium",
          timeZone: props.timeZone,
        }).format(since);
  return (
    <p className="ca-hint" data-counting={mode}>
      {mode === "cookieless"
        ? "Visitors counted without cookies: once per browser and day, so a visitor who returns on another day counts again."
        : "Visitors counted by a random id kept in the browser."}
      {since !== undefined &&
        (since >= range.from && since < range.to
          ? ` Counting changed on ${day}: visitor numbers before and after are not comparable.`
          : ` Since ${day}.`)}
    </p>
  );
}

/** Says which figures are live and up to when the tables run (README, "A dashboard left open"). */
function SettledNote(props: {
  through: number;
  timeZone: string;
  locale?: string;
}) {
  const time = new Intl.DateTimeFormat(props.locale ?? "en-US", {
    hour: "numeric",
    minute: "2-digit",
    timeZone: props.timeZone,
  }).format(props.through);
  return (
    <p className="ca-hint ca-settled" data-settled-through={props.through}>
      Key figures and chart are live; tables count up to {time} and update
      hourly.
    </p>
  );
}

/** The retry callback of one panel, when the view has one. */
function retryOf(
  props: DashboardViewProps,
  panel: DashboardPanel,
): (() => void) | undefined {
  const onRetryPanel = props.onRetryPanel;
  return onRetryPanel ? () => onRetryPanel(panel) : undefined;
}

function RealtimeFigure({
  realtime,
  timeZone,
  locale,
  error,
  onRetry,
}: {
  realtime: Realtime | undefined;
  timeZone: string;
  locale?: string;
  error?: unknown;
  onRetry?: () => void;
}) {
  return (
    <div
      className="ca-realtime"
      data-panel="realtime"
      data-state={
        error !== undefined
          ? "error"
          : realtime === undefined
            ? "loading"
            : "data"
      }
      data-truncated={realtime?.truncated ? "true" : undefined}
    >
      <span className="ca-pulse" aria-hidden="true" />
      {error !== undefined ? (
        <PanelError
          error={error}
          what="Visitors now"
          onRetry={onRetry}
          compact
        />
      ) : realtime === undefined ? (
        <span
          className="ca-skeleton"
          style={{ width: "8em" }}
          role="img"
          aria-label="Loading visitors now"
        />
      ) : (
        <span>
          <strong className="ca-realtime-value">
            {formatNumber(realtime.visitors, locale)}
          </strong>{" "}
          {realtime.visitors === 1 ? "visitor" : "visitors"} now
          {realtime.truncated && (
            // A read bound was hit: say what the figure leaves out (README, "Metric definitions").
            <span className="ca-realtime-note" role="note">
              {" "}
              {formatRealtimeLeftOut(realtime.leftOut, timeZone, locale) ||
                "Incomplete."}
            </span>
          )}
        </span>
      )}
    </div>
  );
}

/** The tables to show: each card's open tab, or every table without cards. */
function shownTables(
  props: DashboardViewProps,
): { config: TopTableConfig; card?: (typeof TOP_CARDS)[number] }[] {
  const tabs = props.cardTabs;
  if (!tabs) return TOP_TABLES.map((config) => ({ config }));
  return TOP_CARDS.map((card) => ({
    card,
    config:
      card.tables.find((t) => t.dimension === tabs[card.card]) ??
      card.tables[0],
  }));
}

/** The rate column's heading: the picked goal's name. */
function goalLabel(props: DashboardViewProps): string | undefined {
  const picked = props.goals?.goals.find(
    (g) => g.goal.goalId === props.selectedGoalId,
  );
  return picked ? `${picked.goal.name} rate` : undefined;
}

function DashboardReports(props: DashboardViewProps) {
  const { loading, locale } = props;
  const topLists = loading ? {} : (props.topLists ?? {});
  const events = topLists.event;
  const selectEvent = props.onEventNameChange;
  // While everything shows skeletons, errors wait too.
  const errors = loading ? {} : (props.panelErrors ?? {});
  return (
    <div className="ca-reports">
      <PanelBoundary what="Key figures" resetKey={props.overview}>
        <KpiCards
          overview={loading ? undefined : props.overview}
          locale={locale}
          error={errors.kpis}
          onRetry={retryOf(props, "kpis")}
        />
      </PanelBoundary>
      <PanelBoundary what="The chart" resetKey={props.timeseries}>
        <section
          className="ca-card ca-chart-card"
          aria-label="Visitors and pageviews over time"
          data-panel="chart"
          data-state={errors.chart !== undefined ? "error" : undefined}
        >
          <ChartOrPlaceholder
            {...props}
            rows={loading ? undefined : props.timeseries}
            error={errors.chart}
          />
        </section>
      </PanelBoundary>
      {(props.showGoals || props.goals !== undefined) && (
        <PanelBoundary what="Goals" resetKey={props.goals}>
          <GoalsPanel
            goals={loading ? undefined : props.goals}
            previous={props.previousGoals}
            selectedGoalId={props.selectedGoalId}
            onSelectGoal={props.onSelectGoal}
            locale={locale}
            error={loading ? undefined : props.goalsError}
            onRetry={props.onRetryGoals}
          />
        </PanelBoundary>
      )}
      {props.settledThrough !== undefined && !loading && (
        <SettledNote
          through={props.settledThrough}
          timeZone={props.timeZone}
          locale={locale}
        />
      )}
      <div className="ca-grid">
        {shownTables(props).map(({ config, card }) => {
          const table = (
            <TopTable
              config={config}
              rows={topLists[config.dimension]}
              locale={locale}
              error={errors[config.dimension]}
              onRetry={retryOf(props, config.dimension)}
              conversionRates={
                props.selectedGoalId
                  ? props.goalRates?.[config.dimension]
                  : undefined
              }
              conversionLabel={goalLabel(props)}
              {...(config.dimension === "event" && selectEvent
                ? {
                    onSelectKey: selectEvent,
                    selectedKey: props.eventName,
                    selectLabel: (key: string) =>
                      `Break down ${key} by a property`,
                  }
                : {})}
            />
          );
          return (
            <PanelBoundary
              key={card?.card ?? config.dimension}
              what={config.title}
              resetKey={topLists[config.dimension]}
            >
              {card && card.tables.length > 1 ? (
                <div className="ca-top-card" data-card={card.card}>
                  <div
                    className="ca-tabs"
                    role="group"
                    aria-label={`Show in this card`}
                  >
                    {card.tables.map((t) => (
                      <button
                        key={t.dimension}
                        type="button"
                        className="ca-tab"
                        aria-pressed={t.dimension === config.dimension}
                        onClick={() =>
                          props.onCardTabChange?.(card.card, t.dimension)
                        }
                      >
                        {t.title}
                      </button>
                    ))}
                  </div>
                  {table}
                </div>
              ) : (
                table
              )}
            </PanelBoundary>
          );
        })}
        {props.showPropertyBreakdown !== false && (
          <PanelBoundary
            what="Event properties"
            resetKey={props.propertyBreakdown}
          >
            <PropertyBreakdown
              eventNames={events?.map((row) => row.key)}
              eventName={props.eventName}
              propertyKey={props.propertyKey}
              rows={loading ? undefined : props.propertyBreakdown}
              error={errors.breakdown}
              onRetry={retryOf(props, "breakdown")}
              propertyKeySuggestions={props.propertyKeySuggestions}
              propertyKeys={props.propertyKeys}
              onEventNameChange={props.onEventNameChange}
              onPropertyKeyChange={props.onPropertyKeyChange}
              locale={locale}
            />
          </PanelBoundary>
        )}
      </div>
    </div>
  );
}

function ChartOrPlaceholder(
  props: DashboardViewProps & {
    rows: TimeseriesRow[] | undefined;
    error?: unknown;
  },
) {
  const { rows, chartWidth } = props;
  if (props.error !== undefined) {
    return (
      <PanelError
        error={props.error}
        what="The chart"
        onRetry={retryOf(props, "chart")}
      />
    );
  }
  if (rows === undefined)
    return (
      <span
        className="ca-skeleton"
        style={{ height: 220 }}
        role="img"
        aria-label="Loading chart"
      />
    );
  if (rows.length === 0)
    return <p className="ca-hint">No data for this range.</p>;
  const chart = (width: number | undefined) => (
    <TimeseriesChart
      rows={rows}
      interval={props.range.interval}
      timeZone={props.timeZone}
      locale={props.locale}
      width={width}
    />
  );
  if (typeof chartWidth !== "object") return chart(chartWidth);
  return (
    <>
      <div className="ca-chart-wide">{chart(chartWidth.wide)}</div>
      <div className="ca-chart-narrow">{chart(chartWidth.narrow)}</div>
    </>
  );
}

interface KpiDefinition {
  metric: keyof OverviewFigures;
  label: string;
  format: (value: number, locale?: string) => string;
  change: (
    current: number,
    previous: number,
    locale?: string,
  ) => FormattedChange;
}

const relative =
  (higherIsBetter: boolean) =>
  (current: number, previous: number, locale?: string) =>
    formatChange(current, previous, { higherIsBetter, locale });

/** The KPI cards in display order. Bounce rate compares in points and falling is good. */
export const KPI_CARDS: readonly KpiDefinition[] = [
  {
    metric: "visitors",
    label: "Visitors",
    format: formatNumber,
    change: relative(true),
  },
  {
    metric: "sessions",
    label: "Sessions",
    format: formatNumber,
    change: relative(true),
  },
  {
    metric: "pageviews",
    label: "Pageviews",
    format: formatNumber,
    change: relative(true),
  },
  {
    metric: "bounceRate",
    label: "Bounce rate",
    format: formatPercent,
    change: (current, previous, locale) =>
      formatPointChange(current, previous, { higherIsBetter: false, locale }),
  },
  {
    metric: "averageSessionDurationMs",
    label: "Avg. visit duration",
    format: (value) => formatDuration(value),
    change: relative(true),
  },
  {
    metric: "viewsPerSession",
    label: "Views per session",
    format: (value, locale) => formatDecimal(value, 2, locale),
    change: relative(true),
  },
];

function KpiCards({
  overview,
  locale,
  error,
  onRetry,
}: {
  overview: Overview | undefined;
  locale?: string;
  error?: unknown;
  onRetry?: () => void;
}) {
  if (error !== undefined) {
    return (
      <div
        className="ca-card ca-kpis-error"
        data-panel="kpis"
        data-state="error"
      >
        <PanelError error={error} what="Key figures" onRetry={onRetry} />
      </div>
    );
  }
  return (
    <ul
      className="ca-kpis"
      aria-label="Key figures"
      aria-busy={overview === undefined || undefined}
      data-panel="kpis"
    >
      {KPI_CARDS.map((kpi) => (
        <li key={kpi.metric} className="ca-card" data-metric={kpi.metric}>
          <div className="ca-kpi-label">{kpi.label}</div>
          {overview === undefined ? (
            <span
              className="ca-skeleton ca-kpi-value"
              style={{ width: "60%" }}
            />
          ) : (
            <>
              <div className="ca-kpi-value">
                {kpi.format(overview[kpi.metric], locale)}
              </div>
              {overview.previous && (
                <ChangeBadge
                  change={kpi.change(
                    overview[kpi.metric],
                    overview.previous[kpi.metric],
                    locale,
                  )}
                />
              )}
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

const ARROWS = { up: "↑", down: "↓", flat: "→" } as const;

function ChangeBadge({ change }: { change: FormattedChange }) {
  return (
    <div
      className="ca-change"
      data-sentiment={change.sentiment}
      title="Compared with the previous period"
    >
      <span aria-hidden="true">
        {ARROWS[change.direction]} {change.text}
      </span>
      <span className="ca-sr-only">{change.description}</span>
    </div>
  );
}
