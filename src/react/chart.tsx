/**
 * Visitors/pageviews over time as plain SVG: lines, axis labels, and a hover
 * (or keyboard) readout. The SVG is drawn at the container's measured width
 * so text keeps its real size on a phone instead of being scaled down.
 */
import {
  useEffect,
  useRef,
  useState,
  type KeyboardEvent,
  type PointerEvent,
} from "react";
import type { Interval, TimeseriesRow } from "../component/validators.js";
import {
  formatBucketLabel,
  formatBucketTitle,
  formatCompact,
  formatNumber,
} from "./format.js";

const CHART_HEIGHT = 220;
const MARGIN = { top: 10, right: 14, bottom: 26, left: 44 };
/** Width used before measuring (and in the static report). */
export const DEFAULT_CHART_WIDTH = 720;
/** Roughly how much room one x-axis label needs. */
const X_LABEL_SPACING_PX = 68;

export interface TimeseriesChartProps {
  rows: TimeseriesRow[];
  interval: Interval;
  timeZone: string;
  locale?: string;
  /** Fixed width in px; when omitted the chart follows its container. */
  width?: number;
}

/**
 * "Nice" y-axis ticks from 0 covering `max`: steps of 1, 2 or 5 × 10ⁿ, whole
 * numbers only since every charted series is a count.
 */
export function niceTicks(max: number, targetCount = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const rawStep = max / targetCount;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const residual = rawStep / magnitude;
  const factor = residual > 5 ? 10 : residual > 2 ? 5 : residual > 1 ? 2 : 1;
  const step = Math.max(1, factor * magnitude);
  const ticks: number[] = [];
  for (let tick = 0; tick < max + step; tick += step) {
    ticks.push(tick);
    if (tick >= max) break;
  }
  return ticks;
}

/** Indices of the buckets that get an x-axis label, evenly spaced, at most `maxLabels`. */
export function pickLabelIndices(count: number, maxLabels: number): number[] {
  if (count <= 0) return [];
  const every = Math.max(1, Math.ceil(count / Math.max(1, maxLabels)));
  const indices: number[] = [];
  for (let index = 0; index < count; index += every) indices.push(index);
  return indices;
}

/** Follows the element's width with a ResizeObserver where one exists. */
function useMeasuredWidth(fixedWidth: number | undefined) {
  const ref = useRef<HTMLDivElement>(null);
  const [measured, setMeasured] = useState<number | undefined>(undefined);
  useEffect(() => {
    const element = ref.current;
    if (
      fixedWidth !== undefined ||
      !element ||
      typeof ResizeObserver === "undefined"
    )
      return;
    const observer = new ResizeObserver((entries) => {
      const width = Math.round(entries[0]?.contentRect.width ?? 0);
      if (width > 0) setMeasured(width);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [fixedWidth]);
  return { ref, width: fixedWidth ?? measured ?? DEFAULT_CHART_WIDTH };
}

interface ChartGeometry {
  width: number;
  x: (index: number) => number;
  y: (value: number) => number;
  ticks: number[];
  plotBottom: number;
}

function buildGeometry(rows: TimeseriesRow[], width: number): ChartGeometry {
  const max = Math.max(
    0,
    ...rows.map((row) => Math.max(row.visitors, row.pageviews)),
  );
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1];
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotBottom = CHART_HEIGHT - MARGIN.bottom;
  const plotHeight = plotBottom - MARGIN.top;
  // A single bucket sits in the middle rather than on the y-axis.
  const x = (index: number) =>
    rows.length <= 1
      ? MARGIN.left + plotWidth / 2
      : MARGIN.left + (index / (rows.length - 1)) * plotWidth;
  const y = (value: number) => plotBottom - (value / top) * plotHeight;
  return { width, x, y, ticks, plotBottom };
}

function linePath(
  rows: TimeseriesRow[],
  geometry: ChartGeometry,
  pick: (row: TimeseriesRow) => number,
): string {
  return rows
    .map(
      (row, index) =>
        `${index === 0 ? "M" : "L"}${geometry.x(index).toFixed(1)},${geometry.y(pick(row)).toFixed(1)}`,
    )
    .join("");
}

function areaPath(
  rows: TimeseriesRow[],
  geometry: ChartGeometry,
  pick: (row: TimeseriesRow) => number,
): string {
  if (rows.length === 0) return "";
  const last = geometry.x(rows.length - 1).toFixed(1);
  const first = geometry.x(0).toFixed(1);
  return `${linePath(rows, geometry, pick)}L${last},${geometry.plotBottom}L${first},${geometry.plotBottom}Z`;
}

/** The timeseries chart; `rows` must be non-empty (the caller shows loading/empty states). */
export function TimeseriesChart({
  rows,
  interval,
  timeZone,
  locale,
  width: fixedWidth,
}: TimeseriesChartProps) {
  const { ref, width } = useMeasuredWidth(fixedWidth);
  const [active, setActive] = useState<number | null>(null);
  const geometry = buildGeometry(rows, width);
  const labelIndices = pickLabelIndices(
    rows.length,
    Math.floor((width - MARGIN.left) / X_LABEL_SPACING_PX),
  );
  const unit = interval === "hour" ? "hour" : "day";
  const activeRow = active === null ? undefined : rows[active];

  const onPointerMove = (event: PointerEvent<SVGSVGElement>) =>
    setActive(
      bucketAtPointer(
        event.clientX,
        event.currentTarget.getBoundingClientRect(),
        width,
        rows.length,
      ),
    );
  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const next = keyboardIndex(event.key, active, rows.length);
    if (next === undefined) return;
    event.preventDefault();
    setActive(next);
  };

  return (
    <div className="ca-chart" ref={ref}>
      <div className="ca-legend" aria-hidden="true">
        <span>
          <span
            className="ca-swatch"
            style={{ background: "var(--ca-accent)" }}
          />
          Visitors
        </span>
        <span>
          <span
            className="ca-swatch"
            style={{ background: "var(--ca-accent-2)" }}
          />
          Pageviews
        </span>
      </div>
      <svg
        viewBox={`0 0 ${width} ${CHART_HEIGHT}`}
        role="img"
        aria-label={`Visitors and pageviews per ${unit}. Use the left and right arrow keys to read each ${unit}.`}
        tabIndex={0}
        onPointerMove={onPointerMove}
        onPointerLeave={() => setActive(null)}
        onFocus={() => setActive((current) => current ?? rows.length - 1)}
        onBlur={() => setActive(null)}
        onKeyDown={onKeyDown}
      >
        <YAxis geometry={geometry} locale={locale} />
        <g aria-hidden="true">
          {labelIndices.map((index) => (
            <text
              key={index}
              x={geometry.x(index)}
              y={CHART_HEIGHT - 8}
              textAnchor="middle"
            >
              {formatBucketLabel(
                rows[index].bucketStart,
                interval,
                timeZone,
                locale,
              )}
            </text>
          ))}
        </g>
        <path
          className="ca-area-visitors"
          d={areaPath(rows, geometry, (row) => row.visitors)}
        />
        <path
          className="ca-series-visitors"
          d={linePath(rows, geometry, (row) => row.visitors)}
        />
        <path
          className="ca-series-pageviews"
          d={linePath(rows, geometry, (row) => row.pageviews)}
        />
        {activeRow && active !== null && (
          <HoverMarks
            row={activeRow}
            x={geometry.x(active)}
            geometry={geometry}
          />
        )}
      </svg>
      {activeRow && active !== null && (
        <ChartTooltip
          row={activeRow}
          leftPercent={(geometry.x(active) / width) * 100}
          title={formatBucketTitle(
            activeRow.bucketStart,
            interval,
            timeZone,
            locale,
          )}
          locale={locale}
        />
      )}
      <ChartDataTable
        rows={rows}
        interval={interval}
        timeZone={timeZone}
        locale={locale}
      />
    </div>
  );
}

/** The chart's numbers as a visually hidden table, for screen readers. */
function ChartDataTable({
  rows,
  interval,
  timeZone,
  locale,
}: Omit<TimeseriesChartProps, "width">) {
  return (
    <table className="ca-sr-only">
      <caption>Visitors and pageviews per {interval}</caption>
      <thead>
        <tr>
          <th scope="col">{interval === "hour" ? "Hour" : "Day"}</th>
          <th scope="col">Visitors</th>
          <th scope="col">Pageviews</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.bucketStart}>
            <th scope="row">
              {formatBucketTitle(row.bucketStart, interval, timeZone, locale)}
            </th>
            <td>{formatNumber(row.visitors, locale)}</td>
            <td>{formatNumber(row.pageviews, locale)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The bucket nearest to a pointer at `clientX`, given the SVG's on-screen box (it may be scaled). */
function bucketAtPointer(
  clientX: number,
  box: { left: number; width: number },
  width: number,
  count: number,
): number {
  if (box.width === 0 || count <= 1) return 0;
  const svgX = ((clientX - box.left) / box.width) * width;
  const fraction = (svgX - MARGIN.left) / (width - MARGIN.left - MARGIN.right);
  return Math.min(count - 1, Math.max(0, Math.round(fraction * (count - 1))));
}

/** Arrow keys step through buckets; Home/End jump to the ends. */
function keyboardIndex(
  key: string,
  active: number | null,
  count: number,
): number | undefined {
  const current = active ?? count - 1;
  if (key === "ArrowLeft") return Math.max(0, current - 1);
  if (key === "ArrowRight") return Math.min(count - 1, current + 1);
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  return undefined;
}

function YAxis({
  geometry,
  locale,
}: {
  geometry: ChartGeometry;
  locale?: string;
}) {
  return (
    <g aria-hidden="true">
      {geometry.ticks.map((tick) => (
        <g key={tick}>
          <line
            className="ca-gridline"
            x1={MARGIN.left}
            x2={geometry.width - MARGIN.right}
            y1={geometry.y(tick)}
            y2={geometry.y(tick)}
          />
          <text x={MARGIN.left - 6} y={geometry.y(tick) + 4} textAnchor="end">
            {formatCompact(tick, locale)}
          </text>
        </g>
      ))}
    </g>
  );
}

function HoverMarks({
  row,
  x,
  geometry,
}: {
  row: TimeseriesRow;
  x: number;
  geometry: ChartGeometry;
}) {
  return (
    <g aria-hidden="true">
      <line
        className="ca-hover-line"
        x1={x}
        x2={x}
        y1={MARGIN.top}
        y2={geometry.plotBottom}
      />
      <circle
        className="ca-dot-visitors"
        cx={x}
        cy={geometry.y(row.visitors)}
        r={4}
      />
      <circle
        className="ca-dot-pageviews"
        cx={x}
        cy={geometry.y(row.pageviews)}
        r={4}
      />
    </g>
  );
}

function ChartTooltip(props: {
  row: TimeseriesRow;
  leftPercent: number;
  title: string;
  locale?: string;
}) {
  const { row, leftPercent, title, locale } = props;
  // Keep the box inside the chart: anchor it left of the point on the right half.
  const style =
    leftPercent > 50
      ? { right: `${100 - leftPercent}%` }
      : { left: `${leftPercent}%` };
  return (
    <div className="ca-tooltip" style={style} role="status" aria-live="polite">
      <strong>{title}</strong>
      <div>Visitors: {formatNumber(row.visitors, locale)}</div>
      <div>Pageviews: {formatNumber(row.pageviews, locale)}</div>
    </div>
  );
}
