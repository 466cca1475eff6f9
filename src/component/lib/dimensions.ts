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

// ------------------------------------------------------------ properties

/**
 * Event properties are rolled up like any other event-scope dimension, but
 * an event gives several keys (one per property it carries), so these
 * dimensions have `keysOf` instead of `keyOf` and no top-list query of their
 * own: `getEventPropertyBreakdown` ranks the `property` keys of one event
 * name and property key, `getEventPropertyKeys` the `propertyKey` keys of
 * one event name (README, "How it works").
 *
 * Why two fixed dimensions rather than one per event name and key: block
 * building, retention, rebuilds and site deletion walk a fixed list of
 * dimensions through index ranges (UNIT_DIMENSIONS in compaction.ts); names
 * made at run time would need every bucket's names discovered first. The
 * price is that a unit's kept keys (200 per hour or block, 500 per day) are
 * shared by every event's properties: a breakdown stays exact while a
 * bucket's (event, key, value) triples fit there, which the per-hour value
 * cap below makes the ordinary case (a site with a dozen property keys of
 * low cardinality has a few dozen triples); past it a breakdown is flagged
 * approximate with its largest error, like any top list.
 *
 * Their live entries share the `keyed` row with every top-list dimension
 * (lib/rollupDelta.ts): a row group of their own would add a row write per
 * touched bucket to every aggregation run (ingest cost, README "Cost and
 * scale"); the cap bounds what they add to the live rows other queries read.
 */
export type PropertyValue = string | number | boolean | null;
export type PropertyEvent = KeyedEvent & {
  properties?: Record<string, PropertyValue>;
};

export type PropertyDimensionSpec = {
  scope: "event";
  /** Every key the event gives (several for one event). */
  keysOf: (event: PropertyEvent) => string[];
};

/**
 * Distinct values a property key of one event name keeps per bucket (a UTC
 * hour; a local day in zones whose days do not start on the hour): the
 * smallest values in string order; the rest of the bucket's events of that
 * key are folded into its "(other)" entry. Sort order, not arrival, decides,
 * so the result does not depend on the order events arrive in or on the
 * shard that aggregated them.
 */
export const PROPERTY_VALUE_CAP = 50;

/** The `property` key of one value: JSON keeps any name, key or value unambiguous. */
export function propertyValueKey(
  eventName: string,
  key: string,
  value: string,
): string {
  return JSON.stringify([eventName, key, value]);
}

/** The `property` key holding the events of values beyond the cap. */
export function propertyOtherKey(eventName: string, key: string): string {
  return JSON.stringify([eventName, key, null]);
}

/** Every `property` key of one event name and property key starts with this. */
export function propertyPrefix(eventName: string, key: string): string {
  return JSON.stringify([eventName, key]).slice(0, -1) + ",";
}

/** The `propertyKey` key of one property key of one event name. */
export function propertyKeyKey(eventName: string, key: string): string {
  return JSON.stringify([eventName, key]);
}

/** Every `propertyKey` key of one event name starts with this. */
export function propertyKeyPrefix(eventName: string): string {
  return JSON.stringify([eventName]).slice(0, -1) + ",";
}

/** Splits a `property` key: its group (event name and key) and its value, null for "(other)". */
export function parsePropertyKey(encoded: string): {
  group: string;
  value: string | null;
} {
  const [eventName, key, value] = JSON.parse(encoded) as [
    string,
    string,
    string | null,
  ];
  return { group: propertyKeyKey(eventName, key), value };
}

export const PROPERTY_DIMENSIONS = {
  property: {
    scope: "event",
    keysOf: (e) =>
      Object.entries(e.properties ?? {}).map(([key, value]) =>
        propertyValueKey(e.name, key, String(value)),
      ),
  },
  propertyKey: {
    scope: "event",
    keysOf: (e) =>
      Object.keys(e.properties ?? {}).map((key) => propertyKeyKey(e.name, key)),
  },
} as const satisfies Record<string, PropertyDimensionSpec>;

export type PropertyDimension = keyof typeof PROPERTY_DIMENSIONS;
export const PROPERTY_DIMENSION_NAMES = Object.keys(
  PROPERTY_DIMENSIONS,
) as PropertyDimension[];

export function isPropertyDimension(d: string): d is PropertyDimension {
  return (PROPERTY_DIMENSION_NAMES as readonly string[]).includes(d);
}
