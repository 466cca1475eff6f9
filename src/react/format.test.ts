import { describe, expect, it } from "vitest";
import {
  formatBucketLabel,
  formatChange,
  formatCompact,
  formatDuration,
  formatNumber,
  formatPercent,
  formatPointChange,
  formatRealtimeLeftOut,
} from "./format.js";

describe("formatNumber / formatPercent / formatCompact", () => {
  it("groups thousands and rounds to whole numbers", () => {
    expect(formatNumber(1234)).toBe("1,234");
    expect(formatNumber(1234567.6)).toBe("1,234,568");
    expect(formatNumber(0)).toBe("0");
    expect(formatNumber(Number.NaN)).toBe("–");
  });

  it("shows ratios as percentages with at most one decimal", () => {
    expect(formatPercent(0.425)).toBe("42.5%");
    expect(formatPercent(0.5)).toBe("50%");
    expect(formatPercent(0.12345)).toBe("12.3%");
  });

  it("abbreviates large axis values", () => {
    expect(formatCompact(950)).toBe("950");
    expect(formatCompact(12_300)).toBe("12.3K");
  });
});

describe("formatDuration", () => {
  it("pads minutes and seconds", () => {
    expect(formatDuration(65_000)).toBe("1m 05s");
    expect(formatDuration(4_000)).toBe("4s");
    expect(formatDuration(3_725_000)).toBe("1h 02m 05s");
  });

  it("rounds to whole seconds and treats non-positive values as zero", () => {
    expect(formatDuration(59_600)).toBe("1m 00s");
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(-5)).toBe("0s");
  });
});

describe("formatChange", () => {
  it("gives the relative change with a sign and a direction", () => {
    expect(formatChange(150, 100)).toMatchObject({
      text: "+50%",
      direction: "up",
      sentiment: "positive",
    });
    expect(formatChange(75, 100)).toMatchObject({
      text: "−25%",
      direction: "down",
      sentiment: "negative",
    });
    expect(formatChange(100, 100)).toMatchObject({
      direction: "flat",
      sentiment: "neutral",
    });
  });

  it("reads 'new' when the previous period had nothing", () => {
    expect(formatChange(5, 0).text).toBe("new");
    expect(formatChange(0, 0).direction).toBe("flat");
  });

  it("marks a rise as bad news when lower is better", () => {
    expect(formatChange(2, 1, { higherIsBetter: false }).sentiment).toBe(
      "negative",
    );
  });

  it("reports rate changes in percentage points", () => {
    expect(
      formatPointChange(0.15, 0.1, { higherIsBetter: false }),
    ).toMatchObject({
      text: "+5 pp",
      direction: "up",
      sentiment: "negative",
      description: "up 5 pp from the previous period",
    });
  });
});

describe("formatBucketLabel", () => {
  it("labels hours and days in the given timezone", () => {
    const instant = Date.parse("2024-05-03T22:00:00Z");
    expect(formatBucketLabel(instant, "hour", "UTC")).toBe("22:00");
    expect(formatBucketLabel(instant, "hour", "Asia/Tokyo")).toBe("07:00");
    expect(formatBucketLabel(instant, "day", "Asia/Tokyo")).toBe("May 4");
  });
});

describe("formatRealtimeLeftOut", () => {
  const at = Date.parse("2024-05-03T09:41:07Z");
  it("names each bound hit, in the dashboard's time zone", () => {
    expect(formatRealtimeLeftOut(undefined, "UTC")).toBe("");
    expect(formatRealtimeLeftOut({}, "UTC")).toBe("");
    expect(
      formatRealtimeLeftOut(
        { pendingArrivedBefore: at, minutesBefore: at - 67_000 },
        "Asia/Kolkata",
      ),
    ).toBe(
      "Incomplete: events that arrived before 15:11:07 and await aggregation are not counted; figures before 15:10 are no longer kept.",
    );
  });
});
