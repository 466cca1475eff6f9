/**
 * A standalone HTML report of the dashboard: the pure view rendered with
 * `renderToStaticMarkup`, the stylesheet inlined, no script. Useful for
 * e-mailing a weekly summary or for the demo's static output.
 */
import { renderToStaticMarkup } from "react-dom/server";
import type {
  Interval,
  Overview,
  PropertyBreakdownRow,
  Realtime,
  TimeseriesRow,
  TopDimension,
  TopRow,
} from "../component/validators.js";
import { DEFAULT_CHART_WIDTH } from "./chart.js";
import { DEFAULT_LOCALE } from "./format.js";
import { intervalForRange } from "./range.js";
import { DASHBOARD_CSS, ROOT_CLASS } from "./styles.js";
import { TOP_TABLES } from "./tables.js";
import { DashboardView, type VisitorCounting } from "./view.js";
import type { GoalRates } from "./goals.js";
import type { GoalConversions } from "../component/validators.js";

/** Chart width for phones in the static report (a 360 px screen minus padding). */
const NARROW_CHART_WIDTH = 320;

export interface DashboardReportData {
  /** Heading and document title; default "Analytics report". */
  title?: string;
  /** The [from, to) range the numbers are for (ms since epoch). */
  range: { from: number; to: number; interval?: Interval };
  /** IANA timezone for labels; default "UTC". */
  timeZone?: string;
  /** Number/date locale; default "en-US". */
  locale?: string;
  /** `getOverview` result (with `previous` to show changes). */
  overview: Overview;
  /** `getTimeseries` rows. */
  timeseries: TimeseriesRow[];
  /** Top lists by dimension; missing dimensions render as empty tables. */
  topLists: Partial<Record<TopDimension, TopRow[]>>;
  /** `getRealtime` result; the "visitors now" figure is left out without it. */
  realtime?: Realtime;
  /** A breakdown to include; the panel is left out without it. */
  propertyBreakdown?: {
    eventName: string;
    propertyKey: string;
    rows: PropertyBreakdownRow[];
  };
  /** When the numbers were read (ms); shown in the footer. */
  generatedAt?: number;
  /** How the site counts visitors (`getSite`'s `visitorIdentity`, `visitorIdentitySince`); shown under the title. */
  counting?: VisitorCounting;
  /** Chart width in px; default 720 on wide screens and 320 on phones (both are rendered, CSS picks one). */
  chartWidth?: number | { wide: number; narrow: number };
  /**
   * The Goals panel (README, "Goals"): `getGoalConversions` of the range and
   * of the one before; with `selectedGoalId` and its `rates` (conversion rate
   * by key from `getGoalBreakdown`), the sources, campaigns and entry-pages
   * tables show that goal's rate.
   */
  goals?: {
    conversions: GoalConversions;
    previous?: GoalConversions;
    selectedGoalId?: string;
    rates?: GoalRates;
  };
}

/** Renders a complete `<!DOCTYPE html>` document of the dashboard for `data`. */
export function renderDashboardHtml(data: DashboardReportData): string {
  const title = data.title ?? "Analytics report";
  const timeZone = data.timeZone ?? "UTC";
  const locale = data.locale ?? DEFAULT_LOCALE;
  const interval = data.range.interval ?? intervalForRange(data.range);
  // Every table gets rows (possibly none) so nothing renders as "loading".
  const topLists = Object.fromEntries(
    TOP_TABLES.map(({ dimension }) => [
      dimension,
      data.topLists[dimension] ?? [],
    ]),
  );
  const footer =
    data.generatedAt === undefined ? undefined : (
      <p className="ca-hint">
        Generated{" "}
        {new Intl.DateTimeFormat(locale, {
          dateStyle: "medium",
          timeStyle: "short",
          timeZone,
        }).format(data.generatedAt)}{" "}
        ({timeZone})
      </p>
    );
  const body = renderToStaticMarkup(
    <DashboardView
      title={title}
      range={{ from: data.range.from, to: data.range.to, interval }}
      timeZone={timeZone}
      locale={locale}
      overview={data.overview}
      timeseries={data.timeseries}
      topLists={topLists}
      realtime={data.realtime}
      showRealtime={data.realtime !== undefined}
      eventName={data.propertyBreakdown?.eventName}
      propertyKey={data.propertyBreakdown?.propertyKey}
      propertyBreakdown={data.propertyBreakdown?.rows}
      showPropertyBreakdown={data.propertyBreakdown !== undefined}
      chartWidth={
        data.chartWidth ?? {
          wide: DEFAULT_CHART_WIDTH,
          narrow: NARROW_CHART_WIDTH,
        }
      }
      footer={footer}
      counting={data.counting}
      goals={data.goals?.conversions}
      previousGoals={data.goals?.previous}
      selectedGoalId={data.goals?.selectedGoalId}
      goalRates={data.goals?.rates}
    />,
  );
  const head = renderToStaticMarkup(
    <head>
      <meta charSet="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{title}</title>
      <style
        dangerouslySetInnerHTML={{
          __html: `${DASHBOARD_CSS}\nbody { margin: 0; }\nbody > .${ROOT_CLASS} { min-height: 100vh; }`,
        }}
      />
    </head>,
  );
  return `<!DOCTYPE html>\n<html lang="${escapeAttribute(locale)}">${head}<body>${body}</body></html>\n`;
}

function escapeAttribute(value: string): string {
  return value.replace(
    /[&"<>]/g,
    (character) => `&#${character.charCodeAt(0)};`,
  );
}
