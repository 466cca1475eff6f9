/**
 * Number, duration and date formatting for the dashboard. Pure functions so
 * the view, the static report and the tests all agree on what a figure looks
 * like. The locale defaults to "en-US" so output is the same on every machine
 * (a server rendering a report has no "browser locale" to follow).
 */

export const DEFAULT_LOCALE = "en-US";

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Whole numbers with grouping: 1234 -> "1,234". */
export function formatNumber(
  value: number,
  locale: string = DEFAULT_LOCALE,
): string {
  if (!Number.isFinite(value)) return "–";
  return new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }).format(
    value,
  );
}

/** A number with up to `digits` decimals: 2.345 -> "2.35". */
export function formatDecimal(
  value: number,
  digits = 2,
  locale: string = DEFAULT_LOCALE,
): string {
  if (!Number.isFinite(value)) return "–";
  return new Intl.NumberFormat(locale, {
    maximumFractionDigits: digits,
  }).format(value);
}

/** A 0..1 ratio as a percentage with at most one decimal: 0.425 -> "42.5%". */
export function formatPercent(
  ratio: number,
  locale: string = DEFAULT_LOCALE,
): string {
  if (!Number.isFinite(ratio)) return "–";
  return new Intl.NumberFormat(locale, {
    style: "percent",
    maximumFractionDigits: 1,
  }).format(ratio);
}

/** Short axis numbers: 950 -> "950", 12_300 -> "12.3K". */
export function formatCompact(
  value: number,
  locale: string = DEFAULT_LOCALE,
): string {
  if (!Number.isFinite(value)) return "–";
  return new Intl.NumberFormat(locale, {
    notation: "compact",
    maximumFractionDigits: 1,
  }).format(value);
}

/**
 * Durations the way analytics tools show them: 65_000 -> "1m 05s",
 * 3_725_000 -> "1h 02m 05s", 4_000 -> "4s". Rounded to whole seconds.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  const totalSeconds = Math.round(ms / SECOND);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (hours > 0) return `${hours}h ${pad(minutes)}m ${pad(seconds)}s`;
  if (minutes > 0) return `${minutes}m ${pad(seconds)}s`;
  return `${seconds}s`;
}

export type ChangeDirection = "up" | "down" | "flat";

export interface FormattedChange {
  /** Visible text, e.g. "+12.5%", "−3 pp", "new", "0%". */
  text: string;
  direction: ChangeDirection;
  /** Whether the change is good news for this metric (bounce going up is not). */
  sentiment: "positive" | "negative" | "neutral";
  /** A sentence for screen readers, e.g. "up 12.5% from the previous period". */
  description: string;
}

/**
 * Relative change of a count against the previous period. A previous value of
 * zero has no meaningful percentage, so a rise from zero reads "new".
 */
export function formatChange(
  current: number,
  previous: number,
  options: { higherIsBetter?: boolean; locale?: string } = {},
): FormattedChange {
  const { higherIsBetter = true, locale = DEFAULT_LOCALE } = options;
  if (previous === 0) {
    if (current === 0) return flatChange(locale);
    return {
      text: "new",
      direction: "up",
      sentiment: higherIsBetter ? "positive" : "negative",
      description: "new since the previous period",
    };
  }
  const ratio = (current - previous) / previous;
  return describeChange(
    ratio,
    formatPercent(Math.abs(ratio), locale),
    higherIsBetter,
  );
}

/**
 * Change of a rate (bounce rate) in percentage points, because "bounce rate
 * +50%" from 10% to 15% misleads; "+5 pp" does not.
 */
export function formatPointChange(
  currentRatio: number,
  previousRatio: number,
  options: { higherIsBetter?: boolean; locale?: string } = {},
): FormattedChange {
  const { higherIsBetter = true, locale = DEFAULT_LOCALE } = options;
  const points = (currentRatio - previousRatio) * 100;
  const magnitude = `${formatDecimal(Math.abs(points), 1, locale)} pp`;
  return describeChange(points / 100, magnitude, higherIsBetter);
}

function flatChange(locale: string): FormattedChange {
  return {
    text: formatPercent(0, locale),
    direction: "flat",
    sentiment: "neutral",
    description: "no change from the previous period",
  };
}

function describeChange(
  signedValue: number,
  magnitude: string,
  higherIsBetter: boolean,
): FormattedChange {
  // Below a thousandth the rounded text would read "0%" next to an arrow.
  if (Math.abs(signedValue) < 0.0005) {
    return {
      text: magnitude,
      direction: "flat",
      sentiment: "neutral",
      description: "no change from the previous period",
    };
  }
  const direction: ChangeDirection = signedValue > 0 ? "up" : "down";
  const good = direction === "up" ? higherIsBetter : !higherIsBetter;
  return {
    text: `${direction === "up" ? "+" : "−"}${magnitude}`,
    direction,
    sentiment: good ? "positive" : "negative",
    description: `${direction} ${magnitude} from the previous period`,
  };
}

/** Label of a time bucket: "14:00" for hours, "May 3" for days, in `timeZone`. */
export function formatBucketLabel(
  bucketStart: number,
  interval: "hour" | "day",
  timeZone: string,
  locale: string = DEFAULT_LOCALE,
): string {
  const options: Intl.DateTimeFormatOptions =
    interval === "hour"
      ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }
      : { month: "short", day: "numeric", timeZone };
  return new Intl.DateTimeFormat(locale, options).format(bucketStart);
}

/** Full label for a tooltip: "May 3, 14:00" (hours) or "Fri, May 3, 2024" (days). */
export function formatBucketTitle(
  bucketStart: number,
  interval: "hour" | "day",
  timeZone: string,
  locale: string = DEFAULT_LOCALE,
): string {
  const options: Intl.DateTimeFormatOptions =
    interval === "hour"
      ? {
          month: "short",
          day: "numeric",
          hour: "2-digit",
          minute: "2-digit",
          hourCycle: "h23",
          timeZone,
        }
      : {
          weekday: "short",
          month: "short",
          day: "numeric",
          year: "numeric",
          timeZone,
        };
  return new Intl.DateTimeFormat(locale, options).format(bucketStart);
}

/** A [from, to) range as text, e.g. "May 3, 2024, 00:00 – May 4, 2024, 15:00" (end exclusive). */
export function formatRangeLabel(
  from: number,
  to: number,
  timeZone: string,
  locale: string = DEFAULT_LOCALE,
): string {
  const format = new Intl.DateTimeFormat(locale, {
    month: "short",
    day: "numeric",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZone,
  });
  return `${format.format(from)} – ${format.format(to)}`;
}

/**
 * What a truncated realtime answer left out (README, "Metric definitions"),
 * as one sentence: "Incomplete: events that arrived before 14:03:12 and
 * await aggregation are not counted." Empty when nothing was left out.
 */
export function formatRealtimeLeftOut(
  leftOut:
    { pendingArrivedBefore?: number; minutesBefore?: number } | undefined,
  timeZone: string,
  locale: string = DEFAULT_LOCALE,
): string {
  if (!leftOut) return "";
  const clock = (t: number, seconds: boolean) =>
    new Intl.DateTimeFormat(locale, {
      hour: "2-digit",
      minute: "2-digit",
      ...(seconds ? { second: "2-digit" } : {}),
      hourCycle: "h23",
      timeZone,
    }).format(t);
  const parts: string[] = [];
  if (leftOut.pendingArrivedBefore !== undefined)
    parts.push(
      `events that arrived before ${clock(leftOut.pendingArrivedBefore, true)} and await aggregation are not counted`,
    );
  if (leftOut.minutesBefore !== undefined)
    parts.push(
      `figures before ${clock(leftOut.minutesBefore, false)} are no longer kept`,
    );
  return parts.length === 0 ? "" : `Incomplete: ${parts.join("; ")}.`;
}

export const TIME = { SECOND, MINUTE, HOUR, DAY: 24 * HOUR } as const;
