/**
 * Top lists: one table component, driven by {@link TOP_TABLES}, plus the
 * event-property breakdown panel. Real `<table>` markup with a caption and
 * `<th scope>` so screen readers can announce each row by its key.
 */
import {
  useEffect,
  useId,
  useState,
  type FormEvent,
  type ReactNode,
} from "react";
import type {
  PropertyBreakdownRow,
  TopDimension,
  TopRow,
} from "../component/validators.js";
import {
  DASHBOARD_CARDS,
  DIMENSIONS,
  TOP_DIMENSIONS,
  type DashboardCard,
} from "../component/lib/dimensions.js";
import { formatNumber, formatPercent } from "./format.js";
import { PanelError } from "./states.js";

/** Which figure of a top row the third column shows. */
export type TopTableMetric = "count" | "sessions";

export interface TopTableConfig {
  dimension: TopDimension;
  /** Caption of the table. */
  title: string;
  /** Header of the key column. */
  keyLabel: string;
  /** Header and source of the figure column. */
  metricLabel: string;
  metric: TopTableMetric;
  /** Optional display text for a key (e.g. country code -> name). */
  formatKey?: (key: string, locale?: string) => string;
}

/** Country codes to names where the runtime knows them: "DE" -> "Germany". */
export function countryName(code: string, locale = "en-US"): string {
  try {
    const names = new Intl.DisplayNames([locale], { type: "region" });
    const name = names.of(code.toUpperCase());
    return name && name !== code.toUpperCase() ? name : code;
  } catch {
    return code;
  }
}

/**
 * The top tables, in display order, from the component's dimension registry.
 * Session-level dimensions show sessions (their `count` is events inside
 * those sessions, which reads oddly next to a referrer); pages show
 * pageviews; entry/exit pages show sessions.
 */
export const TOP_TABLES: readonly TopTableConfig[] = TOP_DIMENSIONS.map(
  (dimension) => {
    const spec = DIMENSIONS[dimension];
    return {
      dimension,
      title: spec.title,
      keyLabel: spec.keyLabel,
      metricLabel: spec.metricLabel,
      metric: spec.scope === "session" ? "sessions" : "count",
      ...(dimension === "country" ? { formatKey: countryName } : {}),
    };
  },
);

/** The dashboard's cards: each shows one of its dimensions at a time, as tabs. */
export const TOP_CARDS: readonly {
  card: DashboardCard;
  tables: readonly TopTableConfig[];
}[] = DASHBOARD_CARDS.map((card) => ({
  card,
  tables: TOP_TABLES.filter((t) => DIMENSIONS[t.dimension].card === card),
}));

/** The tab each card shows first. */
export function defaultCardTabs(): Record<DashboardCard, TopDimension> {
  return Object.fromEntries(
    TOP_CARDS.map(({ card, tables }) => [card, tables[0].dimension]),
  ) as Record<DashboardCard, TopDimension>;
}

/**
 * A figure of a row the component could not prove exact (README, "Limits and
 * bad input"): "≈" before it, and how far off it may be on hover.
 */
function approx(
  row: Pick<TopRow, "approximate" | "maxError">,
  text: string,
): ReactNode {
  if (!row.approximate) return text;
  const note = `Approximate: may be low by up to ${row.maxError ?? 0} events' worth`;
  return (
    <span className="ca-approx" title={note}>
      <span aria-hidden="true">≈</span>
      <span className="ca-sr-only">{note}. </span>
      {text}
    </span>
  );
}

function metricOf(row: TopRow, metric: TopTableMetric): number {
  // Older component versions may omit `sessions`; fall back to the event count.
  return metric === "sessions" ? (row.sessions ?? row.count) : row.count;
}

/**
 * Rows in the order of the first figure column, visitors (as Plausible users
 * expect), then the table's own figure, then the key: the component returns
 * top lists by `count` (README, "Metric definitions"), which for session-level
 * tables is events, a figure these tables do not show.
 */
export function sortByVisitors<Row extends { visitors: number }>(
  rows: readonly Row[],
  figure: (row: Row) => number,
  key: (row: Row) => string,
): Row[] {
  return [...rows].sort(
    (a, b) =>
      (b.visitors ?? 0) - (a.visitors ?? 0) ||
      figure(b) - figure(a) ||
      (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0),
  );
}

const SKELETON_ROWS = 5;

export interface TopTableProps {
  config: TopTableConfig;
  /** Undefined while loading. */
  rows: TopRow[] | undefined;
  locale?: string;
  /** When set, each key becomes a button (used to pick an event to break down). */
  onSelectKey?: (key: string) => void;
  selectedKey?: string;
  /** Accessible label of the key buttons, e.g. "Break down pageview by a property". */
  selectLabel?: (key: string) => string;
  /** The table's query failed: shown in place of the rows, with `onRetry`. */
  error?: unknown;
  onRetry?: () => void;
  /** A picked goal's conversion rate per key (README, "Goals"): adds a column. */
  conversionRates?: Record<string, number>;
  /** That column's heading, e.g. the goal's name; default "Conv. rate". */
  conversionLabel?: string;
}

/**
 * One top list as a table, sorted by visitors; loading rows are skeletons,
 * an empty list says so, a failed query shows its error and a retry.
 */
export function TopTable({
  config,
  rows: given,
  locale,
  onSelectKey,
  selectedKey,
  selectLabel,
  error,
  onRetry,
  conversionRates,
  conversionLabel,
}: TopTableProps) {
  const columns = conversionRates ? 4 : 3;
  const rows =
    given &&
    sortByVisitors(
      given,
      (row) => metricOf(row, config.metric),
      (row) => row.key,
    );
  const max = Math.max(
    1,
    ...(rows ?? []).map((row) => metricOf(row, config.metric)),
  );
  const state =
    error !== undefined
      ? "error"
      : rows === undefined
        ? "loading"
        : rows.length === 0
          ? "empty"
          : "data";
  if (error !== undefined) {
    return (
      <div
        className="ca-card"
        data-dimension={config.dimension}
        data-state={state}
      >
        <h3 className="ca-card-title">{config.title}</h3>
        <PanelError error={error} what={config.title} onRetry={onRetry} />
      </div>
    );
  }
  return (
    <div
      className="ca-card"
      data-dimension={config.dimension}
      data-state={state}
    >
      <table aria-busy={rows === undefined}>
        <caption>{config.title}</caption>
        <thead>
          <tr>
            <th scope="col">{config.keyLabel}</th>
            <th scope="col" className="ca-num">
              Visitors
            </th>
            <th scope="col" className="ca-num">
              {config.metricLabel}
            </th>
            {conversionRates && (
              <th
                scope="col"
                className="ca-num"
                title="Conversion rate: converting visitors / visitors"
              >
                {conversionLabel ?? "Conv. rate"}
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {rows === undefined ? (
            <SkeletonRows columns={columns} />
          ) : rows.length === 0 ? (
            <EmptyRow columns={columns}>No data for this range</EmptyRow>
          ) : (
            rows.map((row) => {
              const label = config.formatKey
                ? config.formatKey(row.key, locale)
                : row.key;
              const value = metricOf(row, config.metric);
              const selected = selectedKey === row.key;
              return (
                <tr key={row.key} data-selected={selected || undefined}>
                  <th scope="row" className="ca-key" title={row.key}>
                    <span
                      className="ca-bar"
                      style={{ width: `${(value / max) * 100}%` }}
                      aria-hidden="true"
                    />
                    {onSelectKey ? (
                      <button
                        type="button"
                        className="ca-link-button ca-key-text"
                        aria-pressed={selected}
                        aria-label={selectLabel?.(row.key)}
                        onClick={() => onSelectKey(row.key)}
                      >
                        {label}
                      </button>
                    ) : (
                      <span className="ca-key-text">{label}</span>
                    )}
                  </th>
                  <td className="ca-num">
                    {approx(row, formatNumber(row.visitors, locale))}
                  </td>
                  <td className="ca-num">
                    {approx(row, formatNumber(value, locale))}
                  </td>
                  {conversionRates && (
                    <td className="ca-num" data-metric="conversionRate">
                      {formatPercent(conversionRates[row.key] ?? 0, locale)}
                    </td>
                  )}
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}

function SkeletonRows({ columns }: { columns: number }) {
  return (
    <>
      {Array.from({ length: SKELETON_ROWS }, (_, rowIndex) => (
        <tr key={rowIndex} aria-hidden="true">
          {Array.from({ length: columns }, (_, columnIndex) => (
            <td key={columnIndex}>
              <span className="ca-skeleton" />
            </td>
          ))}
        </tr>
      ))}
    </>
  );
}

function EmptyRow({
  columns,
  children,
}: {
  columns: number;
  children: ReactNode;
}) {
  return (
    <tr>
      <td colSpan={columns} className="ca-empty-row">
        {children}
      </td>
    </tr>
  );
}

export interface PropertyBreakdownProps {
  /** Event names to offer (from the events top list); undefined while loading. */
  eventNames: string[] | undefined;
  eventName?: string;
  propertyKey?: string;
  /** Undefined while loading or while nothing is selected. */
  rows: PropertyBreakdownRow[] | undefined;
  /** The breakdown query failed: shown in place of the values, with `onRetry`. */
  error?: unknown;
  onRetry?: () => void;
  /** Property keys offered in the key field's suggestion list. */
  propertyKeySuggestions?: string[];
  /**
   * The chosen event's property keys, from rollups: when given, the key is
   * picked from them instead of typed (null while they load).
   */
  propertyKeys?: string[] | null;
  onEventNameChange?: (eventName: string) => void;
  onPropertyKeyChange?: (propertyKey: string) => void;
  locale?: string;
}

/**
 * Breaks one event down by one property's values. The key is applied on
 * submit rather than per keystroke, so typing does not start a query per letter.
 */
export function PropertyBreakdown(props: PropertyBreakdownProps) {
  const { eventName, propertyKey, rows, locale } = props;
  const interactive = Boolean(
    props.onEventNameChange || props.onPropertyKeyChange,
  );
  const selected = Boolean(eventName && propertyKey);
  const headingId = useId();
  return (
    <section
      className="ca-card"
      aria-labelledby={headingId}
      data-panel="property-breakdown"
      data-state={selected && props.error !== undefined ? "error" : undefined}
    >
      <h3 className="ca-card-title" id={headingId}>
        Event properties
      </h3>
      {interactive && <BreakdownForm {...props} />}
      {!selected ? (
        <p className="ca-hint">
          Pick an event and a property key to see how its values are
          distributed.
        </p>
      ) : props.error !== undefined ? (
        <PanelError
          error={props.error}
          what="The breakdown"
          onRetry={props.onRetry}
        />
      ) : (
        <BreakdownTable
          eventName={eventName!}
          propertyKey={propertyKey!}
          rows={rows}
          locale={locale}
        />
      )}
    </section>
  );
}

function BreakdownForm(props: PropertyBreakdownProps) {
  const {
    eventNames,
    eventName,
    propertyKey,
    onEventNameChange,
    onPropertyKeyChange,
  } = props;
  const [draftKey, setDraftKey] = useState(propertyKey ?? "");
  // Follow the committed key when it changes from outside (e.g. a reset).
  useEffect(() => setDraftKey(propertyKey ?? ""), [propertyKey]);
  const eventFieldId = useId();
  const keyFieldId = useId();
  const listId = useId();
  const names = withSelected(eventNames ?? [], eventName);
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    onPropertyKeyChange?.(draftKey.trim());
  };
  return (
    <form className="ca-breakdown-form" onSubmit={onSubmit}>
      <label className="ca-field" htmlFor={eventFieldId}>
        Event
        <select
          id={eventFieldId}
          value={eventName ?? ""}
          onChange={(e) => onEventNameChange?.(e.target.value)}
        >
          <option value="">Choose an event…</option>
          {names.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      </label>
      {props.propertyKeys !== undefined ? (
        <PropertyKeyPicker {...props} fieldId={keyFieldId} />
      ) : (
        <>
          <label className="ca-field" htmlFor={keyFieldId}>
            Property key
            <input
              id={keyFieldId}
              list={listId}
              value={draftKey}
              placeholder="e.g. plan"
              autoComplete="off"
              onChange={(e) => setDraftKey(e.target.value)}
            />
          </label>
          <datalist id={listId}>
            {(props.propertyKeySuggestions ?? []).map((key) => (
              <option key={key} value={key} />
            ))}
          </datalist>
        </>
      )}
      {props.propertyKeys === undefined && (
        <button type="submit">Show values</button>
      )}
    </form>
  );
}

/** The keys the chosen event carries (README, "Report functions"), applied as soon as one is picked. */
function PropertyKeyPicker(
  props: PropertyBreakdownProps & { fieldId: string },
) {
  const { eventName, propertyKey, propertyKeys, fieldId } = props;
  const keys = withSelected(propertyKeys ?? [], propertyKey);
  const placeholder = !eventName
    ? "Choose an event first"
    : propertyKeys === null
      ? "Loading keys…"
      : keys.length === 0
        ? "No properties in this range"
        : "Choose a key…";
  return (
    <label className="ca-field" htmlFor={fieldId}>
      Property key
      <select
        id={fieldId}
        value={propertyKey ?? ""}
        disabled={!eventName || keys.length === 0}
        onChange={(e) => props.onPropertyKeyChange?.(e.target.value)}
      >
        <option value="">{placeholder}</option>
        {keys.map((key) => (
          <option key={key} value={key}>
            {key}
          </option>
        ))}
      </select>
    </label>
  );
}

// Keep the current choice selectable even if it fell out of the top events.
function withSelected(names: string[], selected: string | undefined): string[] {
  return selected && !names.includes(selected) ? [selected, ...names] : names;
}

function BreakdownTable(props: {
  eventName: string;
  propertyKey: string;
  rows: PropertyBreakdownRow[] | undefined;
  locale?: string;
}) {
  const { eventName, propertyKey, locale } = props;
  // "(other)" (values past the per-hour cap) stays last, whatever its size.
  const rows = props.rows && [
    ...sortByVisitors(
      props.rows.filter((row) => !row.other),
      (row) => row.count,
      (row) => row.value,
    ),
    ...props.rows.filter((row) => row.other),
  ];
  const max = Math.max(1, ...(rows ?? []).map((row) => row.count));
  return (
    <table aria-busy={rows === undefined}>
      <caption>
        <code>{eventName}</code> by <code>{propertyKey}</code>
      </caption>
      <thead>
        <tr>
          <th scope="col">Value</th>
          <th scope="col" className="ca-num">
            Visitors
          </th>
          <th scope="col" className="ca-num">
            Events
          </th>
        </tr>
      </thead>
      <tbody>
        {rows === undefined ? (
          <SkeletonRows columns={3} />
        ) : rows.length === 0 ? (
          <EmptyRow columns={3}>
            No values of this property in this range
          </EmptyRow>
        ) : (
          rows.map((row) => (
            <tr
              key={row.other ? "\u0000other" : row.value}
              data-other={row.other ? "" : undefined}
            >
              <th
                scope="row"
                className="ca-key"
                title={
                  row.other
                    ? "Values beyond the first 50 of an hour, folded together"
                    : row.value
                }
              >
                <span
                  className="ca-bar"
                  style={{ width: `${(row.count / max) * 100}%` }}
                  aria-hidden="true"
                />
                <span className="ca-key-text">
                  {row.other ? <em>{row.value}</em> : row.value}
                </span>
              </th>
              <td className="ca-num">
                {approx(row, formatNumber(row.visitors, locale))}
              </td>
              <td className="ca-num">
                {approx(row, formatNumber(row.count, locale))}
              </td>
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
