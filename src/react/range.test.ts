import { describe, expect, it } from "vitest";
import {
  DAY_MS,
  HOUR_MS,
  computeRange,
  customDatesToRange,
  intervalForRange,
  nextBoundary,
  roundRange,
  startOfZonedDate,
  startOfZonedDay,
  zonedDateKey,
} from "./range.js";

const at = (iso: string) => Date.parse(iso);

describe("roundRange", () => {
  it("widens to whole UTC hours", () => {
    expect(
      roundRange({
        from: at("2024-05-03T10:17:00Z"),
        to: at("2024-05-03T12:01:00Z"),
      }),
    ).toEqual({
      from: at("2024-05-03T10:00:00Z"),
      to: at("2024-05-03T13:00:00Z"),
    });
  });

  it("keeps aligned ranges as they are and never returns an empty range", () => {
    const aligned = {
      from: at("2024-05-03T10:00:00Z"),
      to: at("2024-05-03T12:00:00Z"),
    };
    expect(roundRange(aligned)).toEqual(aligned);
    const instant = at("2024-05-03T10:00:00Z");
    expect(roundRange({ from: instant, to: instant })).toEqual({
      from: instant,
      to: instant + HOUR_MS,
    });
  });
});

describe("nextBoundary", () => {
  it("is strictly after now, even exactly on the hour", () => {
    expect(nextBoundary(at("2024-05-03T10:00:00Z"), HOUR_MS)).toBe(
      at("2024-05-03T11:00:00Z"),
    );
    expect(nextBoundary(at("2024-05-03T10:59:59.999Z"), HOUR_MS)).toBe(
      at("2024-05-03T11:00:00Z"),
    );
  });
});

describe("intervalForRange", () => {
  it("uses hours up to 48 h and days beyond", () => {
    expect(intervalForRange({ from: 0, to: 48 * HOUR_MS })).toBe("hour");
    expect(intervalForRange({ from: 0, to: 49 * HOUR_MS })).toBe("day");
  });
});

describe("startOfZonedDay", () => {
  it("finds local midnight in UTC and in whole-hour zones", () => {
    const now = at("2024-05-03T15:42:00Z");
    expect(startOfZonedDay(now, "UTC")).toBe(at("2024-05-03T00:00:00Z"));
    // New York is UTC−4 in May: local midnight is 04:00 UTC.
    expect(startOfZonedDay(now, "America/New_York")).toBe(
      at("2024-05-03T04:00:00Z"),
    );
    // Tokyo (UTC+9): 15:42 UTC is already May 4 there.
    expect(startOfZonedDay(now, "Asia/Tokyo")).toBe(at("2024-05-03T15:00:00Z"));
  });

  it("rounds a half-hour zone's midnight down to the whole hour", () => {
    // Kolkata is UTC+5:30: May 3 begins at 18:30 UTC on May 2.
    expect(startOfZonedDay(at("2024-05-03T01:00:00Z"), "Asia/Kolkata")).toBe(
      at("2024-05-02T18:00:00Z"),
    );
    // Right after midnight the range is still non-empty.
    const justAfterMidnight = at("2024-05-02T18:40:00Z");
    const range = computeRange("today", justAfterMidnight, {
      timeZone: "Asia/Kolkata",
    });
    expect(range.to - range.from).toBe(HOUR_MS);
  });

  it("handles days made shorter and longer by DST", () => {
    // Europe/Berlin springs forward on 2024-03-31 (02:00 -> 03:00): midnight is still 23:00 UTC.
    expect(startOfZonedDay(at("2024-03-31T20:00:00Z"), "Europe/Berlin")).toBe(
      at("2024-03-30T23:00:00Z"),
    );
    // The next day begins at 22:00 UTC (UTC+2).
    expect(startOfZonedDay(at("2024-04-01T08:00:00Z"), "Europe/Berlin")).toBe(
      at("2024-03-31T22:00:00Z"),
    );
    // Autumn: 2024-10-27 is 25 h long in Berlin and starts at 22:00 UTC the day before.
    expect(startOfZonedDay(at("2024-10-27T22:30:00Z"), "Europe/Berlin")).toBe(
      at("2024-10-26T22:00:00Z"),
    );
  });

  it("handles zones where DST skips midnight itself", () => {
    // America/Santiago sprang forward at 24:00 on 2024-09-07: Sept 8 began at 01:00 local = 04:00 UTC.
    expect(zonedDateKey(at("2024-09-08T04:00:00Z"), "America/Santiago")).toBe(
      "2024-09-08",
    );
    expect(
      startOfZonedDay(at("2024-09-08T12:00:00Z"), "America/Santiago"),
    ).toBe(at("2024-09-08T04:00:00Z"));
  });
});

describe("startOfZonedDate / customDatesToRange", () => {
  it("maps inclusive local dates to a half-open hour-aligned range", () => {
    expect(startOfZonedDate("2024-05-03", "Pacific/Kiritimati")).toBe(
      at("2024-05-02T10:00:00Z"),
    );
    expect(startOfZonedDate("2024-05-03", "Pacific/Pago_Pago")).toBe(
      at("2024-05-03T11:00:00Z"),
    );
    expect(
      customDatesToRange(
        { fromDate: "2024-05-01", toDate: "2024-05-03" },
        "America/New_York",
      ),
    ).toEqual({
      from: at("2024-05-01T04:00:00Z"),
      to: at("2024-05-04T04:00:00Z"),
    });
  });

  it("rejects malformed dates", () => {
    expect(() => startOfZonedDate("05/03/2024", "UTC")).toThrow(/YYYY-MM-DD/);
  });
});

describe("computeRange", () => {
  const now = at("2024-05-03T15:42:10Z");

  it("ends the last 24 hours at the next whole hour", () => {
    const end = at("2024-05-03T16:00:00Z");
    expect(computeRange("24h", now, { timeZone: "UTC" })).toEqual({
      preset: "24h",
      from: end - DAY_MS,
      to: end,
      interval: "hour",
    });
  });

  it("covers whole local days, today included, for the multi-day presets", () => {
    const end = at("2024-05-03T16:00:00Z");
    expect(computeRange("7d", now, { timeZone: "UTC" })).toMatchObject({
      from: at("2024-04-27T00:00:00Z"),
      to: end,
      interval: "day",
    });
    expect(computeRange("30d", now, { timeZone: "UTC" })).toMatchObject({
      from: at("2024-04-04T00:00:00Z"),
      to: end,
    });
    expect(computeRange("90d", now, { timeZone: "UTC" })).toMatchObject({
      from: at("2024-02-04T00:00:00Z"),
      to: end,
    });
    expect(computeRange("12mo", now, { timeZone: "UTC" })).toMatchObject({
      from: at("2023-05-05T00:00:00Z"),
      to: end,
    });
    // Local midnights: New York is UTC-4 in spring (and the range crosses the March DST change).
    expect(
      computeRange("90d", now, { timeZone: "America/New_York" }),
    ).toMatchObject({ from: at("2024-02-04T05:00:00Z"), to: end });
  });

  it("starts today at local midnight and uses hourly buckets", () => {
    expect(
      computeRange("today", now, { timeZone: "America/New_York" }),
    ).toEqual({
      preset: "today",
      from: at("2024-05-03T04:00:00Z"),
      to: at("2024-05-03T16:00:00Z"),
      interval: "hour",
    });
  });

  it("gives identical arguments for every instant inside one hour", () => {
    const a = computeRange("7d", at("2024-05-03T15:00:00Z"), {
      timeZone: "UTC",
    });
    const b = computeRange("7d", at("2024-05-03T15:59:59.999Z"), {
      timeZone: "UTC",
    });
    expect(b).toEqual(a);
    const c = computeRange("7d", at("2024-05-03T16:00:00Z"), {
      timeZone: "UTC",
    });
    expect(c.to - a.to).toBe(HOUR_MS);
  });

  it("uses the custom dates when given, and a week up to today otherwise", () => {
    expect(
      computeRange("custom", now, {
        timeZone: "UTC",
        custom: { fromDate: "2024-04-01", toDate: "2024-04-01" },
      }),
    ).toEqual({
      preset: "custom",
      from: at("2024-04-01T00:00:00Z"),
      to: at("2024-04-02T00:00:00Z"),
      interval: "hour",
    });
    expect(computeRange("custom", now, { timeZone: "UTC" })).toMatchObject({
      from: at("2024-04-27T00:00:00Z"),
      to: at("2024-05-04T00:00:00Z"),
      interval: "day",
    });
  });
});
