/**
 * The one registry of top-list dimensions (README, "Metric definitions").
 * Everything else derives from it: the rollup entries the aggregation
 * writes, the compact units, the session fields, the raw-edge reads, the
 * top-list queries and their validators, the `exposeAnalyticsApi` wrappers,
 * the dashboard's tables and the differential tests' list. Adding a
 * dimension is an entry here plus the query's export line (Convex needs
 * every function as a named export of its module).
 */
import { referrerHost } from "./validation.js";

/** The facts of an event a dimension's key is taken from. */
export type KeyedEvent = {
  type: "pageview" | "track" | "identify";
  name: string;
  path?: string;
  referrer?: string;
  context?: Partial<Record<ContextField, string>>;
};

type ContextField =
  | "source"
  | "utmSource"
  | "utmMedium"
  | "utmCampaign"
  | "utmTerm"
  | "utmContent"
  | "device"
  | "browser"
  | "os"
  | "country"
  | "language"
  | "screen"
  | "hostname";

/**
 * How a dimension's rows are counted:
 * - `event`: each event with a key counts under it (`count` = its events);
 * - `session`: the key of the session's earliest event; the session's events
 *   in the range count under it, and the session in its start bucket;
 * - `entry` / `exit`: the session's first / last pageview path, one count per
 *   session started in the range.
 */
export type DimensionScope = "event" | "session" | "entry" | "exit";

/** Dashboard cards, in display order. */
export const DASHBOARD_CARDS = [
  "pages",
  "sources",
  "locations",
  "devices",
  "events",
] as const;
export type DashboardCard = (typeof DASHBOARD_CARDS)[number];

export type DimensionSpec = {
  query: `getTop${string}`;
  scope: DimensionScope;
  /** The key an event gives (for `session`: the key it gives a session it starts). */
  keyOf?: (event: KeyedEvent) => string | undefined;
  /**
   * The dashboard card that shows it, as one tab among the card's dimensions:
   * a full load then queries one top list per card, not one per dimension.
   */
  card: DashboardCard;
  /** Dashboard table: its title, the key column's label, and which figure it ranks by. */
  title: string;
  keyLabel: string;
  metricLabel: string;
};

const fromContext = (field: ContextField) => (e: KeyedEvent) =>
  e.context?.[field] || undefined;

/** Top-list dimensions, in the order the dashboard shows them. */
export const DIMENSIONS = {
  page: {
    query: "getTopPages",
    card: "pages",
    scope: "event",
    keyOf: (e) => (e.type === "pageview" ? e.path : undefined),
    title: "Top pages",
    keyLabel: "Page",
    metricLabel: "Pageviews",
  },
  entryPage: {
    query: "getTopEntryPages",
    card: "pages",
    scope: "entry",
    title: "Entry pages",
    keyLabel: "Page",
    metricLabel: "Sessions",
  },
  exitPage: {
    query: "getTopExitPages",
    card: "pages",
    scope: "exit",
    title: "Exit pages",
    keyLabel: "Page",
    metricLabel: "Sessions",
  },
  hostname: {
    query: "getTopHostnames",
    card: "pages",
    scope: "event",
    keyOf: fromContext("hostname"),
    title: "Hostnames",
    keyLabel: "Hostname",
    metricLabel: "Events",
  },
  source: {
    query: "getTopSources",
    card: "sources",
    scope: "session",
    keyOf: (e) =>
      e.context?.utmSource || e.context?.source || referrerHost(e.referrer),
    title: "Sources",
    keyLabel: "Source",
    metricLabel: "Sessions",
  },
  referrer: {
    query: "getTopReferrers",
    card: "sources",
    scope: "session",
    keyOf: (e) => referrerHost(e.referrer),
    title: "Referrers",
    keyLabel: "Referrer",
    metricLabel: "Sessions",
  },
  medium: {
    query: "getTopMediums",
    card: "sources",
    scope: "session",
    keyOf: fromContext("utmMedium"),
    title: "UTM mediums",
    keyLabel: "Medium",
    metricLabel: "Sessions",
  },
  campaign: {
    query: "getTopCampaigns",
    card: "sources",
    scope: "session",
    keyOf: fromContext("utmCampaign"),
    title: "UTM campaigns",
    keyLabel: "Campaign",
    metricLabel: "Sessions",
  },
  term: {
    query: "getTopTerms",
    card: "sources",
    scope: "session",
    keyOf: fromContext("utmTerm"),
    title: "UTM terms",
    keyLabel: "Term",
    metricLabel: "Sessions",
  },
  content: {
    query: "getTopContents",
    card: "sources",
    scope: "session",
    keyOf: fromContext("utmContent"),
    title: "UTM contents",
    keyLabel: "Content",
    metricLabel: "Sessions",
  },
  event: {
    query: "getTopEvents",
    card: "events",
    scope: "event",
    keyOf: (e) => e.name,
    title: "Events",
    keyLabel: "Event",
    metricLabel: "Events",
  },
  device: {
    query: "getTopDevices",
    card: "devices",
    scope: "session",
    keyOf: fromContext("device"),
    title: "Devices",
    keyLabel: "Device",
    metricLabel: "Sessions",
  },
  browser: {
    query: "getTopBrowsers",
    card: "devices",
    scope: "session",
    keyOf: fromContext("browser"),
    title: "Browsers",
    keyLabel: "Browser",
    metricLabel: "Sessions",
  },
  os: {
    query: "getTopOs",
    card: "devices",
    scope: "session",
    keyOf: fromContext("os"),
    title: "Operating systems",
    keyLabel: "OS",
    metricLabel: "Sessions",
  },
  country: {
    query: "getTopCountries",
    card: "locations",
    scope: "session",
    keyOf: fromContext("country"),
    title: "Countries",
    keyLabel: "Country",
    metricLabel: "Sessions",
  },
  language: {
    query: "getTopLanguages",
    card: "locations",
    scope: "session",
    keyOf: fromContext("language"),
    title: "Languages",
    keyLabel: "Language",
    metricLabel: "Sessions",
  },
  screen: {
    query: "getTopScreens",
    card: "devices",
    scope: "session",
    keyOf: fromContext("screen"),
    title: "Screen sizes",
    keyLabel: "Screen",
    metricLabel: "Sessions",
  },
} as const satisfies Record<string, DimensionSpec>;

export type TopDimension = keyof typeof DIMENSIONS;
export type TopQueryName = (typeof DIMENSIONS)[TopDimension]["query"];

export const TOP_DIMENSIONS = Object.keys(DIMENSIONS) as TopDimension[];

type ScopeOf<S extends DimensionScope> = {
  [D in TopDimension]: (typeof DIMENSIONS)[D]["scope"] extends S ? D : never;
}[TopDimension];
export type SessionKeyDimension = ScopeOf<"session">;
export type EventKeyDimension = ScopeOf<"event">;

export const SESSION_KEY_DIMENSIONS = TOP_DIMENSIONS.filter(
  (d) => DIMENSIONS[d].scope === "session",
) as SessionKeyDimension[];
export const EVENT_KEY_DIMENSIONS = TOP_DIMENSIONS.filter(
  (d) => DIMENSIONS[d].scope === "event",
) as EventKeyDimension[];

/** The top-list query serving each dimension. */
export const TOP_QUERY_NAMES = Object.fromEntries(
  TOP_DIMENSIONS.map((d) => [d, DIMENSIONS[d].query]),
) as {
  [D in TopDimension]: (typeof DIMENSIONS)[D]["query"];
};

/** Whether a dimension's rows carry `sessions` (all but the per-event ones). */
export function isSessionLevel(dimension: TopDimension): boolean {
  return DIMENSIONS[dimension].scope !== "event";
}

/** The key `event` gives an event-scope or session-scope dimension. */
export function keyOfEvent(
  dimension: EventKeyDimension | SessionKeyDimension,
  event: KeyedEvent,
): string | undefined {
  return (DIMENSIONS[dimension] as DimensionSpec).keyOf!(event);
}
