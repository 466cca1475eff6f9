import { expect, test } from "vitest";
import { bucketSpans, planExactRange } from "./rangePlan.js";
import { prng } from "../testing/traffic.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;
const ZONES = ["UTC", "America/New_York", "Asia/Kolkata", "Europe/Berlin"];

/** Brute force: is each minute of the range covered exactly once, by the right kind of piece? */
function checkPlan(from: number, to: number, zone: string) {
  const plan = planExactRange(from, to, zone);
  const covered = new Map<number, number>();
  const mark = (start: number, end: number) => {
    for (let m = Math.ceil(start / MINUTE) * MINUTE; m < end; m += MINUTE)
      covered.set(m, (covered.get(m) ?? 0) + 1);
  };
  for (const [i, d] of plan.days.entries()) {
    const end = plan.days[i + 1] ?? dayEnd(d, zone);
    // A day piece must be a whole local day inside the range.
    expect(
      new Intl.DateTimeFormat("en-GB", {
        timeZone: zone,
        hour: "2-digit",
        minute: "2-digit",
        hourCycle: "h23",
      }).format(d),
    ).toMatch(/^0[01]:00$|^00:00$/);
    expect(d).toBeGreaterThanOrEqual(from);
    expect(end).toBeLessThanOrEqual(to);
    mark(d, end);
  }
  for (const h of plan.hours) {
    expect(h % HOUR).toBe(0);
    mark(h, h + HOUR);
  }
  for (const span of plan.raw) {
    expect(span.end - span.start).toBeLessThan(HOUR);
    mark(span.start, span.end);
  }
  for (let m = Math.ceil(from / MINUTE) * MINUTE; m < to; m += MINUTE)
    expect(covered.get(m), `${zone} ${m}`).toBe(1);
  expect([...covered.keys()].every((m) => m >= from && m < to)).toBe(true);
  return plan;
}

function dayEnd(dayStart: number, zone: string): number {
  // Independent: scan forward minute by minute until the local date changes.
  const key = (t: number) =>
    new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(t);
  let t = dayStart + 22 * HOUR;
  while (key(t) === key(dayStart)) t += MINUTE;
  return t;
}

test("random ranges are split exactly, for several zones", () => {
  const r = prng(42);
  for (let i = 0; i < 400; i++) {
    const zone = ZONES[i % ZONES.length];
    const aligned = r.chance(0.5);
    const from =
      Date.UTC(2026, 2, 1) +
      (aligned ? r.int(0, 60 * 24) * HOUR : r.int(0, 60 * 24 * 60) * MINUTE);
    const to =
      from +
      (aligned ? r.int(1, 9 * 24) * HOUR : r.int(1, 9 * 24 * 60) * MINUTE);
    const plan = checkPlan(from, to, zone);
    if (
      aligned &&
      (zone === "UTC" ||
        zone === "America/New_York" ||
        zone === "Europe/Berlin")
    )
      expect(plan.raw).toEqual([]);
  }
});

test("hour-aligned ranges in a half-hour zone need only half-hour raw edges", () => {
  const from = Date.UTC(2026, 5, 1, 0);
  const plan = planExactRange(from, from + 3 * 24 * HOUR, "Asia/Kolkata");
  expect(plan.days.length).toBe(2);
  expect(plan.raw.map((s) => (s.end - s.start) / MINUTE)).toEqual([30, 30]);
});

test("bucket spans cover the range, clipped at both ends", () => {
  const from = Date.UTC(2026, 2, 7, 10, 15);
  const to = Date.UTC(2026, 2, 10, 3);
  const days = bucketSpans(from, to, "day", "America/New_York");
  expect(days[0].start).toBe(from);
  expect(days[days.length - 1].end).toBe(to);
  for (let i = 1; i < days.length; i++)
    expect(days[i].start).toBe(days[i - 1].end);
  expect(days.map((d) => (d.end - d.start) / HOUR)).toEqual([
    (Date.UTC(2026, 2, 8, 5) - from) / HOUR,
    23, // spring forward
    23, // clipped: the range ends an hour before this local day does
  ]);
  expect(bucketSpans(from, to, "hour", "UTC").length).toBe(
    Math.ceil((to - Date.UTC(2026, 2, 7, 10)) / HOUR),
  );
});
