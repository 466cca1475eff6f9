/**
 * The dashboard's drill-down: the rows behind the numbers (sessions,
 * pageviews, raw events, visitors) of the selected range, newest first, a
 * page at a time with "Show more".
 *
 * Paged with `usePaginatedQuery` from `convex-helpers/react`, not the one
 * from `convex/react`. The component pages with convex-helpers' `paginator`
 * (index-key cursors; the built-in `.paginate()` is not available inside
 * components), and such a page does not remember where it ended: the
 * built-in hook counts on the server's `.paginate()` journal for that, so
 * while new events arrive its first page would slide and a row would fall
 * into the gap before the second. The convex-helpers hook pins each page it
 * shows with `endCursor` when it loads the next, and splits a page that grew
 * (`splitCursor`), so rows are neither skipped nor repeated (README, "Report
 * functions").
 */
import { usePaginatedQuery } from "convex-helpers/react";
import { useId, useState, type ReactNode } from "react";
import type {
  AnalyticsDashboardApi,
  DrillDownQuery,
  EventDoc,
  SessionView,
  VisitorView,
} from "./api.js";
import { DataErrorBoundary } from "./dashboard.js";
import { formatDuration, formatNumber } from "./format.js";
import { ErrorState } from "./states.js";

/** The drill-downs the panel offers, in its order, with their labels. */
export const DRILL_DOWN_VIEWS = [
  { name: "listSessions", label: "Sessions" },
  { name: "listPageviews", label: "Pageviews" },
  { name: "listRawEvents", label: "All events" },
  { name: "listVisitors", label: "Visitors" },
] as const;

export type DrillDownView = (typeof DRILL_DOWN_VIEWS)[number]["name"];

/** Rows per page (the component allows up to 200). */
export const DRILL_DOWN_PAGE_SIZE = 25;

export interface DrillDownProps {
  /** The app's `api.analytics`; views whose query it does not expose are left out. */
  api: Pick<AnalyticsDashboardApi, DrillDownView>;
  siteId: string;
  /** The dashboard's range, [from, to) in ms. */
  range: { from: number; to: number };
  /** IANA timezone for the times shown. */
  timeZone: string;
  locale?: string;
  /** Rows per page; default {@link DRILL_DOWN_PAGE_SIZE}. */
  pageSize?: number;
}

/** True when the app exposes at least one drill-down query. */
export function hasDrillDowns(
  api: Partial<Pick<AnalyticsDashboardApi, DrillDownView>>,
): boolean {
  return DRILL_DOWN_VIEWS.some((view) => api[view.name] !== undefined);
}

/** The drill-down panel: a view picker and the paged rows of the chosen view. */
export function DrillDown(props: DrillDownProps) {
  const views = DRILL_DOWN_VIEWS.filter(
    (view) => props.api[view.name] !== undefined,
  );
  const [chosen, setChosen] = useState<DrillDownView | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const selectId = useId();
  const view = views.find((v) => v.name === chosen) ?? views[0];
  if (view === undefined) return null;
  const resetKey = [
    view.name,
    props.siteId,
    props.range.from,
    props.range.to,
    attempt,
  ].join("|");
  return (
    <section
      className="ca-card"
      data-panel="drilldown"
      aria-label="Drill-down"
      style={{ marginTop: "var(--ca-gap)" }}
    >
      <div className="ca-breakdown-form">
        <h3 className="ca-card-title" style={{ flex: "1 1 auto", margin: 0 }}>
          Latest {view.label.toLowerCase()}
        </h3>
        <label className="ca-field" htmlFor={selectId}>
          Show
          <select
            id={selectId}
            value={view.name}
            onChange={(e) => setChosen(e.target.value as DrillDownView)}
          >
            {views.map((v) => (
              <option key={v.name} value={v.name}>
                {v.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <DataErrorBoundary
        resetKey={resetKey}
        fallback={(error) => (
          <ErrorState error={error} onRetry={() => setAttempt((n) => n + 1)} />
        )}
      >
        <DrillDownList
          // A new view is a new list: its hook state starts over.
          key={view.name}
          view={view.name}
          query={props.api[view.name]!}
          siteId={props.siteId}
          range={props.range}
          timeZone={props.timeZone}
          locale={props.locale}
          pageSize={props.pageSize ?? DRILL_DOWN_PAGE_SIZE}
        />
      </DataErrorBoundary>
    </section>
  );
}

type AnyRow = SessionView | EventDoc | VisitorView;

function DrillDownList(props: {
  view: DrillDownView;
  query: DrillDownQuery<AnyRow>;
  siteId: string;
  range: { from: number; to: number };
  timeZone: string;
  locale?: string;
  pageSize: number;
}) {
  const { view, timeZone, locale, pageSize } = props;
  const { results, status, loadMore } = usePaginatedQuery(
    props.query,
    { siteId: props.siteId, from: props.range.from, to: props.range.to },
    { initialNumItems: pageSize },
  );
  const columns = COLUMNS[view];
  const time = (ms: number) => formatTime(ms, timeZone, locale);
  return (
    <>
      <table
        aria-busy={status === "LoadingFirstPage" || status === "LoadingMore"}
        data-view={view}
      >
        <thead>
          <tr>
            {columns.map((column) => (
              <th
                key={column.label}
                scope="col"
                className={column.numeric ? "ca-num" : undefined}
              >
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {status === "LoadingFirstPage" ? (
            <tr aria-hidden="true">
              {columns.map((column) => (
                <td key={column.label}>
                  <span className="ca-skeleton" />
                </td>
              ))}
            </tr>
          ) : results.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="ca-empty-row">
                Nothing in this range
              </td>
            </tr>
          ) : (
            results.map((row) => (
              <tr key={row._id} data-id={row._id}>
                {columns.map((column) => (
                  <td
                    key={column.label}
                    className={column.numeric ? "ca-num" : "ca-key"}
                  >
                    {column.cell(row as never, { time, locale })}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      <p className="ca-hint" aria-live="polite">
        {status === "CanLoadMore" || status === "LoadingMore" ? (
          <button
            type="button"
            disabled={status === "LoadingMore"}
            onClick={() => loadMore(pageSize)}
          >
            {status === "LoadingMore" ? "Loading…" : "Show more"}
          </button>
        ) : status === "Exhausted" && results.length > 0 ? (
          `All ${formatNumber(results.length, locale)} shown`
        ) : null}
      </p>
    </>
  );
}

type Format = { time: (ms: number) => string; locale?: string };
type Column<Row> = {
  label: string;
  numeric?: boolean;
  cell: (row: Row, format: Format) => ReactNode;
};

const eventColumns = (what: Column<EventDoc>): Column<EventDoc>[] => [
  { label: "Time", cell: (e, f) => f.time(e.occurredAt) },
  what,
  { label: "Page", cell: (e) => e.path ?? "" },
  { label: "Visitor", cell: (e) => shortId(e.visitorId) },
];

const COLUMNS: { [K in DrillDownView]: Column<never>[] } = {
  listSessions: [
    { label: "Started", cell: (s: SessionView, f) => f.time(s.startAt) },
    {
      label: "Entry → exit",
      cell: (s: SessionView) =>
        [s.entryPath, s.exitPath].filter(Boolean).join(" → "),
    },
    {
      label: "Source",
      cell: (s: SessionView) => s.source ?? s.referrer ?? "Direct",
    },
    {
      label: "Pageviews",
      numeric: true,
      cell: (s: SessionView, f) => formatNumber(s.pageviews, f.locale),
    },
    {
      label: "Duration",
      numeric: true,
      cell: (s: SessionView) => formatDuration(s.durationMs),
    },
  ] as Column<never>[],
  listPageviews: eventColumns({
    label: "Referrer",
    cell: (e) => e.referrer ?? "",
  }) as Column<never>[],
  listRawEvents: eventColumns({
    label: "Event",
    cell: (e) => (e.type === "track" ? e.name : e.type),
  }) as Column<never>[],
  listVisitors: [
    { label: "First seen", cell: (v: VisitorView, f) => f.time(v.firstSeenAt) },
    { label: "Last seen", cell: (v: VisitorView, f) => f.time(v.lastSeenAt) },
    {
      label: "User",
      cell: (v: VisitorView) => v.userId ?? shortId(v.visitorId),
    },
    {
      label: "Events",
      numeric: true,
      cell: (v: VisitorView, f) => formatNumber(v.events, f.locale),
    },
  ] as Column<never>[],
};

/** Visitor ids are long random strings; eight characters tell rows apart. */
function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

function formatTime(ms: number, timeZone: string, locale = "en-US"): string {
  return new Intl.DateTimeFormat(locale, {
    timeZone,
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).format(ms);
}
