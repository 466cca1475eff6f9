import { describe, expect, test } from "vitest";
import {
  floorToLocalDay,
  localDateKey,
  nextLocalDay,
  zoneOffsetMs,
  isValidTimeZone,
} from "./time.js";
import { prng } from "../testing/traffic.js";

const ZONES = [
  "UTC",
  "America/New_York",
  "Europe/Berlin",
  "Asia/Kolkata",
  "Australia/Adelaide",
  "America/St_Johns",
  "Pacific/Chatham",
  "America/Santiago",
];
const YEAR_START = Date.UTC(2026, 0, 1);

/** Independent of the code under test: the local wall clock as Intl prints it. */
function wall(t: number, zone: string) {
  return new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    dateStyle: "short",
    timeStyle: "medium",
    hourCycle: "h23",
  }).format(t);
}

describe("floorToLocalDay", () => {
  test.each(ZONES)(
    "%s: 2,000 random instants land on the first instant of their local date",
    (zone) => {
      const r = prng(zone.length * 7919);
      for (let i = 0; i < 2_000; i++) {
        const t = YEAR_START + Math.floor(r.next() * 365 * 86_400_000);
        const start = floorToLocalDay(t, zone);
        expect(start).toBeLessThanOrEqual(t);
        expect(t - start).toBeLessThan(25 * 3_600_000);
        expect(localDateKey(start, zone)).toBe(localDateKey(t, zone));
        expect(
          localDateKey(start - 1, zone),
          `${zone} ${wall(t, zone)}`,
        ).not.toBe(localDateKey(t, zone));
      }
    },
  );

  test("known day starts: DST switch days and half-hour zones", () => {
    // New York springs forward on 2026-03-08 at 02:00: that day lasts 23 hours.
    const march8 = floorToLocalDay(
      Date.UTC(2026, 2, 8, 12),
      "America/New_York",
    );
    expect(march8).toBe(Date.UTC(2026, 2, 8, 5));
    expect(nextLocalDay(march8, "America/New_York") - march8).toBe(
      23 * 3_600_000,
    );
    // Berlin falls back on 2026-10-25: 25 hours.
    const oct25 = floorToLocalDay(Date.UTC(2026, 9, 25, 12), "Europe/Berlin");
    expect(oct25).toBe(Date.UTC(2026, 9, 24, 22));
    expect(nextLocalDay(oct25, "Europe/Berlin") - oct25).toBe(25 * 3_600_000);
    // Kolkata is UTC+5:30 all year: days start at 18:30 UTC.
    expect(floorToLocalDay(Date.UTC(2026, 5, 1, 20), "Asia/Kolkata")).toBe(
      Date.UTC(2026, 5, 1, 18, 30),
    );
    // Santiago skips midnight on 2026-09-06: the day starts at 01:00 local (04:00 UTC).
    const skipped = floorToLocalDay(
      Date.UTC(2026, 8, 6, 15),
      "America/Santiago",
    );
    expect(wall(skipped, "America/Santiago")).toBe("06/09/2026, 01:00:00");
  });

  test("offsets and zone names", () => {
    expect(zoneOffsetMs(Date.UTC(2026, 0, 1), "Asia/Kolkata")).toBe(
      5.5 * 3_600_000,
    );
    expect(isValidTimeZone("Europe/Berlin")).toBe(true);
    expect(isValidTimeZone("Mars/Olympus")).toBe(false);
    expect(isValidTimeZone("")).toBe(false);
  });
});
