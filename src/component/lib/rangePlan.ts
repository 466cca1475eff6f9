import {
  HOUR_MS,
  ceilToUtcHour,
  floorToUtcHour,
  floorToLocalDay,
  nextLocalDay,
} from "./time.js";

/** A half-open interval of milliseconds. */
export type Span = { start: number; end: number };

/**
 * How an exact range `[from, to)` is answered: whole local days from daily
 * rollups, whole UTC hours from hourly rollups, and only the leftover
 * partial hours from raw events. The three parts are disjoint and cover the
 * range exactly.
 */
export type RangePlan = {
  /** Start of each whole local day, ascending (contiguous). */
  days: number[];
  /** Start of each whole UTC hour, ascending. */
  hours: number[];
  /** Pieces shorter than an hour that only raw events can answer. */
  raw: Span[];
};

/** Whole UTC hours of `span` plus its partial-hour edges. */
function planHours(span: Span, plan: RangePlan): void {
  if (span.end <= span.start) return;
  const firstHour = ceilToUtcHour(span.start);
  const endHour = floorToUtcHour(span.end);
  if (firstHour > endHour) {
    plan.raw.push(span); // inside a single hour
    return;
  }
  if (span.start < firstHour)
    plan.raw.push({ start: span.start, end: firstHour });
  for (let h = firstHour; h < endHour; h += HOUR_MS) plan.hours.push(h);
  if (endHour < span.end) plan.raw.push({ start: endHour, end: span.end });
}

/** Splits `[from, to)` into the cheapest exact mix of rollups and raw events. */
export function planExactRange(
  from: number,
  to: number,
  timeZone: string,
): RangePlan {
  const plan: RangePlan = { days: [], hours: [], raw: [] };
  if (!(to > from)) return plan;
  let day = floorToLocalDay(from, timeZone);
  if (day < from) day = nextLocalDay(day, timeZone);
  let next = nextLocalDay(day, timeZone);
  if (next > to) {
    planHours({ start: from, end: to }, plan);
    return plan;
  }
  const firstDay = day;
  while (next <= to) {
    plan.days.push(day);
    day = next;
    next = nextLocalDay(day, timeZone);
  }
  planHours({ start: from, end: firstDay }, plan);
  planHours({ start: day, end: to }, plan);
  plan.hours.sort((a, b) => a - b);
  plan.raw.sort((a, b) => a.start - b.start);
  return plan;
}

/** Consecutive runs of bucket starts, so each run is one index range. */
export function contiguousRuns(
  starts: number[],
  step: (s: number) => number,
): Span[] {
  const runs: Span[] = [];
  for (const s of starts) {
    const last = runs[runs.length - 1];
    if (last && last.end === s) last.end = step(s);
    else runs.push({ start: s, end: step(s) });
  }
  return runs;
}

/** Bucket starts of `interval` overlapping `[from, to)`, each clipped to the range. */
export function bucketSpans(
  from: number,
  to: number,
  interval: "hour" | "day",
  timeZone: string,
): Span[] {
  const spans: Span[] = [];
  if (!(to > from)) return spans;
  const floor =
    interval === "hour"
      ? floorToUtcHour
      : (t: number) => floorToLocalDay(t, timeZone);
  const next =
    interval === "hour"
      ? (t: number) => t + HOUR_MS
      : (t: number) => nextLocalDay(t, timeZone);
  for (let b = floor(from); b < to; b = next(b)) {
    spans.push({ start: Math.max(b, from), end: Math.min(next(b), to) });
  }
  return spans;
}
