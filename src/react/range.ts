/**
 * Date-range helpers for the dashboard. Every range the dashboard queries is
 * aligned to whole UTC hours: the component then answers from hourly/daily
 * rollups only (no raw-event edges), and the query arguments stay identical
 * between renders so Convex can cache and share the subscription.
 */
import type { Interval } from "../component/validators.js";
import { zoneOffsetMs } from "../component/lib/time.js";

export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
export const MINUTE_MS = 60 * 1000;

/** Ranges up to this length are charted by hour, longer ones by day. */
export const HOURLY_INTERVAL_MAX_MS = 48 * HOUR_MS;

export type RangePreset =
  "today" | "24h" | "7d" | "30d" | "90d" | "12mo" | "custom";

/** The presets in the order the picker offers them, with their labels. */
export const RANGE_PRESETS: ReadonlyArray<{
  value: RangePreset;
  label: string;
}> = [
  { value: "today", label: "Today" },
  { value: "24h", label: "Last 24 hours" },
  { value: "7d", label: "Last 7 days" },
  { value: "30d", label: "Last 30 days" },
  { value: "90d", label: "Last 90 days" },
  { value: "12mo", label: "Last 12 months" },
  { value: "custom", label: "Custom range" },
];

/**
 * Multi-day presets cover whole local days, today included (as Plausible's
 * do): their days come from the component's day units and coarse blocks,
 * with no partial first day read hour by hour.
 */
const PRESET_DAYS: Record<
  Exclude<RangePreset, "today" | "24h" | "custom">,
  number
> = {
  "7d": 7,
  "30d": 30,
  "90d": 90,
  "12mo": 365,
};

/** A half-open [from, to) range in ms since the epoch. */
export interface TimeRange {
  from: number;
  to: number;
}

/** A range ready to query: hour-aligned, with the chart interval that suits it. */
export interface DashboardRange extends TimeRange {
  preset: RangePreset;
  interval: Interval;
}

/** Custom range as the date inputs give it: inclusive calendar days "YYYY-MM-DD". */
export interface CustomDates {
  fromDate: string;
  toDate: string;
}

/** Start of the UTC hour containing `ms`. */
export function floorToHour(ms: number): number {
  return Math.floor(ms / HOUR_MS) * HOUR_MS;
}

/** `ms` if already on an hour, else the start of the next UTC hour. */
export function ceilToHour(ms: number): number {
  return Math.ceil(ms / HOUR_MS) * HOUR_MS;
}

/** Start of the next step after `now` (for hours: the next whole hour, never `now` itself). */
export function nextBoundary(now: number, stepMs: number): number {
  return Math.floor(now / stepMs) * stepMs + stepMs;
}

/**
 * Widens an arbitrary range to whole hours (from down, to up), never empty,
 * so the component reads rollups only.
 */
export function roundRange(range: TimeRange): TimeRange {
  const from = floorToHour(range.from);
  const to = Math.max(ceilToHour(range.to), from + HOUR_MS);
  return { from, to };
}

/** "hour" for ranges up to 48 h, "day" beyond. */
export function intervalForRange(range: TimeRange): Interval {
  return range.to - range.from <= HOURLY_INTERVAL_MAX_MS ? "hour" : "day";
}

/** The browser's IANA timezone, or "UTC" where Intl cannot tell. */
export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

// Creating a DateTimeFormat is costly; the day-start search calls it often.
const dateKeyFormats = new Map<string, Intl.DateTimeFormat>();

/** The calendar date of `ms` in `timeZone`, as "YYYY-MM-DD". */
export function zonedDateKey(ms: number, timeZone: string): string {
  let format = dateKeyFormats.get(timeZone);
  if (!format) {
    // en-CA formats dates as YYYY-MM-DD.
    format = new Intl.DateTimeFormat("en-CA", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
    });
    dateKeyFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(ms);
  const part = (type: string) =>
    parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/**
 * Start of the local day containing `ms` in `timeZone`, rounded down to a
 * whole UTC hour. Walking back hour by hour (instead of offset arithmetic)
 * stays correct across DST changes, including days that start at 01:00
 * because midnight was skipped. In half-hour zones (e.g. Asia/Kolkata) local
 * midnight falls inside a UTC hour: that hour is included, so "today" never
 * becomes empty right after midnight.
 */
export function startOfZonedDay(ms: number, timeZone: string): number {
  const today = zonedDateKey(ms, timeZone);
  let hour = floorToHour(ms);
  // At most ~27 steps: a day is at most 25 h long plus offset slack.
  for (
    let step = 0;
    step < 30 && zonedDateKey(hour - HOUR_MS, timeZone) === today;
    step++
  ) {
    hour -= HOUR_MS;
  }
  // `hour` is the first whole hour on `today`; did the day begin inside the hour before?
  const dayBeganExactlyOnHour = zonedDateKey(hour - 1, timeZone) !== today;
  return dayBeganExactlyOnHour ? hour : hour - HOUR_MS;
}

/** Start (hour-aligned) of the calendar day "YYYY-MM-DD" in `timeZone`. */
export function startOfZonedDate(date: string, timeZone: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`Expected a date as YYYY-MM-DD, got "${date}"`);
  const [year, month, day] = [
    Number(match[1]),
    Number(match[2]),
    Number(match[3]),
  ];
  // Noon UTC of that date is on the same local date in every zone within
  // ±11 h; shift by the zone's offset so that UTC+12..+14 / −12 work too.
  const noonUtc = Date.UTC(year, month - 1, day, 12);
  const localNoon = noonUtc - zoneOffsetMs(noonUtc, timeZone);
  return startOfZonedDay(localNoon, timeZone);
}

/** Offset of `timeZone` from UTC at an instant: the component's own (cached) implementation. */
export { zoneOffsetMs };

/** Adds whole calendar days to "YYYY-MM-DD" (pure date arithmetic, no zone). */
export function addDaysToDate(date: string, days: number): string {
  const [year, month, day] = date.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day + days))
    .toISOString()
    .slice(0, 10);
}

/** Inclusive calendar days -> an hour-aligned [from, to) in `timeZone`. */
export function customDatesToRange(
  dates: CustomDates,
  timeZone: string,
): TimeRange {
  const from = startOfZonedDate(dates.fromDate, timeZone);
  const to = startOfZonedDate(addDaysToDate(dates.toDate, 1), timeZone);
  return roundRange({ from, to: Math.max(to, from + HOUR_MS) });
}

/**
 * The range a preset stands for at time `now`. Every preset ends at the
 * next whole hour, so the current partial hour is included and the
 * arguments only change when the clock passes an hour; "last N days" starts
 * at the local midnight N - 1 days before today.
 */
export function computeRange(
  preset: RangePreset,
  now: number,
  options: { timeZone: string; custom?: CustomDates },
): DashboardRange {
  const to = nextBoundary(now, HOUR_MS);
  let range: TimeRange;
  if (preset === "today") {
    range = { from: startOfZonedDay(now, options.timeZone), to };
  } else if (preset === "custom") {
    const custom = options.custom ?? defaultCustomDates(now, options.timeZone);
    range = customDatesToRange(custom, options.timeZone);
  } else if (preset === "24h") {
    range = { from: to - DAY_MS, to };
  } else {
    const today = zonedDateKey(now, options.timeZone);
    range = {
      from: startOfZonedDate(
        addDaysToDate(today, 1 - PRESET_DAYS[preset]),
        options.timeZone,
      ),
      to,
    };
  }
  return { preset, ...range, interval: intervalForRange(range) };
}

/** The last 7 local days up to today: what "custom" starts from before the user picks. */
export function defaultCustomDates(now: number, timeZone: string): CustomDates {
  const toDate = zonedDateKey(now, timeZone);
  return { fromDate: addDaysToDate(toDate, -6), toDate };
}

/** True when `value` is one of the preset names. */
export function isRangePreset(value: string): value is RangePreset {
  return RANGE_PRESETS.some((preset) => preset.value === value);
}
