// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import { renderDashboardHtml } from "./report.js";
import { DASHBOARD_CSS } from "./styles.js";
import {
  HOUR,
  overviewFixture,
  realtimeFixture,
  timeseriesFixture,
  topListsFixture,
} from "./testing/fixtures.js";

const from = Date.parse("2024-05-01T00:00:00Z");
const base = {
  range: { from, to: from + 7 * 24 * HOUR },
  overview: overviewFixture,
  timeseries: timeseriesFixture(from, 7, 24 * HOUR),
  topLists: topListsFixture,
};

function parse(html: string): Document {
  return new DOMParser().parseFromString(html, "text/html");
}

describe("renderDashboardHtml", () => {
  it("produces a complete standalone document with the styles inlined", () => {
    const html = renderDashboardHtml({ ...base, title: "Weekly <report>" });
    expect(html.startsWith('<!DOCTYPE html>\n<html lang="en-US"><head>')).toBe(
      true,
    );
    expect(html).toContain(DASHBOARD_CSS.trim().slice(0, 60));
    expect(html).not.toContain("<script");
    const doc = parse(html);
    expect(doc.title).toBe("Weekly <report>");
    expect(doc.querySelector("meta[name=viewport]")).toBeTruthy();
    expect(doc.querySelector(".ca-dashboard")!.getAttribute("data-state")).toBe(
      "data",
    );
  });

  it("renders the given numbers: KPIs, chart with day labels, every table", () => {
    const doc = parse(renderDashboardHtml(base));
    expect(
      doc.querySelector('[data-metric="visitors"] .ca-kpi-value')!.textContent,
    ).toBe("1,234");
    expect(
      doc.querySelector(
        '[data-metric="averageSessionDurationMs"] .ca-kpi-value',
      )!.textContent,
    ).toBe("1m 05s");
    const axisLabels = Array.from(doc.querySelectorAll("svg text")).map(
      (text) => text.textContent,
    );
    expect(axisLabels).toContain("May 1");
    // A wide and a narrow chart; the stylesheet shows one by screen width (no script to measure).
    expect(
      doc.querySelector(".ca-chart-wide svg")!.getAttribute("viewBox"),
    ).toBe("0 0 720 220");
    expect(
      doc.querySelector(".ca-chart-narrow svg")!.getAttribute("viewBox"),
    ).toBe("0 0 320 220");
    expect(doc.querySelectorAll("table caption").length).toBeGreaterThanOrEqual(
      12,
    );
    expect(
      doc.querySelector('[data-dimension="page"] tbody')!.textContent,
    ).toContain("/pricing");
  });

  it("renders nothing as loading: missing lists are empty, optional panels are left out", () => {
    const doc = parse(
      renderDashboardHtml({
        ...base,
        topLists: { page: topListsFixture.page },
      }),
    );
    expect(doc.querySelectorAll(".ca-skeleton")).toHaveLength(0);
    expect(
      doc.querySelector('[data-dimension="country"]')!.textContent,
    ).toContain("No data for this range");
    expect(doc.querySelector('[data-panel="realtime"]')).toBeNull();
    expect(doc.querySelector('[data-panel="property-breakdown"]')).toBeNull();
    expect(doc.querySelector("select, input, button")).toBeNull();
  });

  it("includes realtime, a breakdown and the generation time when given", () => {
    const doc = parse(
      renderDashboardHtml({
        ...base,
        realtime: realtimeFixture,
        propertyBreakdown: {
          eventName: "signup",
          propertyKey: "plan",
          rows: [{ value: "pro", count: 80, visitors: 79 }],
        },
        generatedAt: Date.parse("2024-05-08T09:30:00Z"),
        timeZone: "Europe/Berlin",
      }),
    );
    expect(doc.querySelector('[data-panel="realtime"]')!.textContent).toBe(
      "7 visitors now",
    );
    expect(
      doc.querySelector('[data-panel="property-breakdown"] caption')!
        .textContent,
    ).toBe("signup by plan");
    expect(doc.body.textContent).toContain(
      "Generated May 8, 2024, 11:30 AM (Europe/Berlin)",
    );
  });

  it("shows the empty state for a range without events", () => {
    const zero = {
      events: 0,
      pageviews: 0,
      sessions: 0,
      visitors: 0,
      bounceRate: 0,
      averageSessionDurationMs: 0,
      viewsPerSession: 0,
    };
    const doc = parse(
      renderDashboardHtml({
        ...base,
        overview: zero,
        timeseries: [],
        topLists: {},
      }),
    );
    expect(doc.querySelector(".ca-dashboard")!.getAttribute("data-state")).toBe(
      "empty",
    );
    expect(doc.body.textContent).toContain("createAnalytics");
  });
});
