/** Time bucketing: UTC hours, and calendar days in an IANA time zone. */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function floorToUtcHour(t: number): number {
  return Math.floor(t / HOUR_MS) * HOUR_MS;
}

export function ceilToUtcHour(t: number): number {
  return Math.ceil(t / HOUR_MS) * HOUR_MS;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  if (
    typeof timeZone !== "string" ||
    timeZone.length === 0 ||
    timeZone.length > 64
  ) {
    return false;
  }
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of instant `t` in `timeZone`. */
function wallClock(t: number, timeZone: string) {
  const parts = formatterFor(timeZone).formatToParts(new Date(t));
  const field = (type: string) =>
    Number(parts.find((p) => p.type === type)!.value);
  return {
    year: field("year"),
    month: field("month"),
    day: field("day"),
    hour: field("hour"),
    minute: field("minute"),
    second: field("second"),
  };
}

/** Milliseconds to add to UTC to get wall-clock time in `timeZone` at `t`. */
export function zoneOffsetMs(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  const wallAsUtc = Date.UTC(
    w.year,
    w.month - 1,
    w.day,
    w.hour,
    w.minute,
    w.second,
  );
  return wallAsUtc - Math.floor(t / 1000) * 1000;
}

/** A sortable number naming the local calendar date of `t` (yyyymmdd). */
export function localDateKey(t: number, timeZone: string): number {
  const w = wallClock(t, timeZone);
  return w.year * 10_000 + w.month * 100 + w.day;
}

const dayStartCache = new Map<string, number>();

/**
 * The first instant of the local calendar day that contains `t`.
 *
 * Usually local midnight; on days whose midnight is skipped by a DST jump it
 * is the first instant that exists. The offset guess is verified, and a
 * binary search takes over when the guess lands on the wrong side.
 */
export function floorToLocalDay(t: number, timeZone: string): number {
  if (timeZone === "UTC") return Math.floor(t / DAY_MS) * DAY_MS;
  const dateKey = localDateKey(t, timeZone);
  const cacheKey = `${timeZone}|${dateKey}`;
  const cached = dayStartCache.get(cacheKey);
  if (cached !== undefined && cached <= t) return cached;

  const midnightAsUtc = Date.UTC(
    Math.floor(dateKey / 10_000),
    (Math.floor(dateKey / 100) % 100) - 1,
    dateKey % 100,
  );
  let guess = midnightAsUtc - zoneOffsetMs(t, timeZone);
  guess = midnightAsUtc - zoneOffsetMs(guess, timeZone);
  const isStart = (s: number) =>
    s <= t &&
    localDateKey(s, timeZone) === dateKey &&
    localDateKey(s - 1, timeZone) !== dateKey;
  let start = guess;
  if (!isStart(guess)) {
    // The day began at a DST transition: search (t - 2 days, t] for it.
    let lo = t - 2 * DAY_MS; // before the day
    let hi = t; // inside the day
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (localDateKey(mid, timeZone) === dateKey) hi = mid;
      else lo = mid;
    }
    start = hi;
  }
  if (dayStartCache.size > 20_000) dayStartCache.clear();
  dayStartCache.set(cacheKey, start);
  return start;
}

/** The start of the local day after the one starting at `dayStart`. */
export function nextLocalDay(dayStart: number, timeZone: string): number {
  if (timeZone === "UTC") return dayStart + DAY_MS;
  // Local days last 23 to 25 hours; 26 h later is always inside the next day.
  return floorToLocalDay(dayStart + 26 * HOUR_MS, timeZone);
}

/** The start of the local day containing `t`'s first instant at or after `t`. */
export function ceilToLocalDay(t: number, timeZone: string): number {
  const start = floorToLocalDay(t, timeZone);
  return start === t ? t : nextLocalDay(start, timeZone);
}
