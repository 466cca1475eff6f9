// @vitest-environment happy-dom
import {
  cleanup,
  fireEvent,
  render,
  screen,
  within,
} from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DashboardView, type DashboardViewProps } from "./view.js";
import { STYLE_ELEMENT_ID } from "./styles.js";
import { niceTicks, pickLabelIndices } from "./chart.js";
import {
  HOUR,
  emptyOverview,
  overviewFixture,
  realtimeFixture,
  timeseriesFixture,
  topListsFixture,
} from "./testing/fixtures.js";

afterEach(cleanup);

const from = Date.parse("2024-05-03T00:00:00Z");
const baseProps: DashboardViewProps = {
  range: { from, to: from + 6 * HOUR, interval: "hour" },
  timeZone: "UTC",
};
const dataProps: DashboardViewProps = {
  ...baseProps,
  overview: overviewFixture,
  timeseries: timeseriesFixture(from),
  topLists: topListsFixture,
  realtime: realtimeFixture,
};

function rootOf(container: HTMLElement): HTMLElement {
  return container.firstElementChild as HTMLElement;
}

describe("DashboardView states", () => {
  it("shows skeletons while nothing has loaded", () => {
    const { container } = render(<DashboardView {...baseProps} />);
    expect(rootOf(container).dataset.state).toBe("loading");
    expect(container.querySelectorAll(".ca-kpis .ca-skeleton")).toHaveLength(6);
    expect(
      screen
        .getByRole("table", { name: "Top pages" })
        .getAttribute("aria-busy"),
    ).toBe("true");
    expect(container.querySelector("svg")).toBeNull();
  });

  it("forces skeletons with the loading flag even when data is present", () => {
    const { container } = render(<DashboardView {...dataProps} loading />);
    expect(rootOf(container).dataset.state).toBe("loading");
    expect(screen.queryByText("1,234")).toBeNull();
  });

  it("tells the user how to send the first event when the range is empty", () => {
    const { container } = render(
      <DashboardView
        {...baseProps}
        overview={emptyOverview}
        setup={{
          endpoint: "https://x.convex.site/analytics/ingest",
          writeKey: "wk_1",
        }}
      />,
    );
    expect(rootOf(container).dataset.state).toBe("empty");
    expect(
      screen.getByRole("heading", { name: /no events in this range yet/i }),
    ).toBeTruthy();
    const snippets = container.querySelectorAll("pre code");
    expect(snippets[0].textContent).toContain("createAnalytics");
    expect(snippets[0].textContent).toContain('writeKey: "wk_1"');
    expect(snippets[1].textContent).toContain(
      'data-endpoint="https://x.convex.site/analytics/ingest"',
    );
    expect(screen.queryByRole("table", { name: "Top pages" })).toBeNull();
  });

  it("is not empty when only the previous period had events", () => {
    const overview = {
      ...emptyOverview,
      previous: { ...emptyOverview.previous!, events: 3 },
    };
    const { container } = render(
      <DashboardView {...baseProps} overview={overview} />,
    );
    expect(rootOf(container).dataset.state).toBe("data");
  });

  it("shows the error message and offers a retry", () => {
    const onRetry = vi.fn();
    const { container } = render(
      <DashboardView
        {...dataProps}
        error={new Error("Not authorized to read site s1")}
        onRetry={onRetry}
      />,
    );
    expect(rootOf(container).dataset.state).toBe("error");
    expect(screen.getByRole("alert").textContent).toContain(
      "Not authorized to read site s1",
    );
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(onRetry).toHaveBeenCalledOnce();
  });
});

describe("DashboardView with data", () => {
  it("formats the KPI figures and their change against the previous period", () => {
    const { container } = render(<DashboardView {...dataProps} />);
    expect(rootOf(container).dataset.state).toBe("data");
    const card = (metric: string) =>
      container.querySelector(`[data-metric="${metric}"]`)!;
    expect(card("visitors").querySelector(".ca-kpi-value")!.textContent).toBe(
      "1,234",
    );
    expect(card("visitors").querySelector(".ca-change")!.textContent).toContain(
      "+23.4%",
    );
    expect(
      card("sessions")
        .querySelector(".ca-change")!
        .getAttribute("data-sentiment"),
    ).toBe("positive");
    expect(card("bounceRate").querySelector(".ca-kpi-value")!.textContent).toBe(
      "42.5%",
    );
    // Bounce fell from 50% to 42.5%: good news, in percentage points.
    expect(
      card("bounceRate").querySelector(".ca-change")!.textContent,
    ).toContain("−7.5 pp");
    expect(
      card("bounceRate")
        .querySelector(".ca-change")!
        .getAttribute("data-sentiment"),
    ).toBe("positive");
    expect(
      card("averageSessionDurationMs").querySelector(".ca-kpi-value")!
        .textContent,
    ).toBe("1m 05s");
    expect(
      card("viewsPerSession").querySelector(".ca-kpi-value")!.textContent,
    ).toBe("2.73");
    expect(
      card("viewsPerSession")
        .querySelector(".ca-change")!
        .getAttribute("data-sentiment"),
    ).toBe("negative");
  });

  it("renders every top list as a real table with scoped headers", () => {
    render(<DashboardView {...dataProps} />);
    const pages = screen.getByRole("table", { name: "Top pages" });
    const headers = within(pages)
      .getAllByRole("columnheader")
      .map((th) => th.textContent);
    expect(headers).toEqual(["Page", "Visitors", "Pageviews"]);
    const rowHeader = within(pages).getByRole("rowheader", {
      name: "/pricing",
    });
    expect(rowHeader.getAttribute("scope")).toBe("row");
    expect(rowHeader.closest("tr")!.textContent).toContain("1,100");
    for (const name of [
      "Entry pages",
      "Exit pages",
      "Sources",
      "Referrers",
      "UTM mediums",
      "UTM campaigns",
      "Events",
      "Devices",
      "Browsers",
      "Operating systems",
      "Countries",
    ]) {
      expect(screen.getByRole("table", { name })).toBeTruthy();
    }
    // Session-level dimensions count sessions; countries get their names.
    const countries = screen.getByRole("table", { name: "Countries" });
    expect(
      within(countries)
        .getByRole("rowheader", { name: "Germany" })
        .closest("tr")!.textContent,
    ).toContain("450");
  });

  it("says so when one list has no rows", () => {
    render(
      <DashboardView
        {...dataProps}
        topLists={{ ...topListsFixture, campaign: [] }}
      />,
    );
    const campaigns = screen.getByRole("table", { name: "UTM campaigns" });
    expect(campaigns.textContent).toContain("No data for this range");
  });

  it("marks the figures of a list the component could not prove exact with ≈ and how far off they may be", () => {
    const page = [
      {
        key: "/",
        count: 2_000,
        pageviewCount: 2_000,
        visitors: 900,
        approximate: true,
        maxError: 12,
      },
      { key: "/about", count: 100, pageviewCount: 100, visitors: 80 },
    ];
    render(
      <DashboardView {...dataProps} topLists={{ ...topListsFixture, page }} />,
    );
    const table = screen.getByRole("table", { name: "Top pages" });
    const first = within(table)
      .getByRole("rowheader", { name: "/" })
      .closest("tr")!;
    expect(first.textContent).toContain("≈");
    expect(first.querySelector(".ca-approx")!.getAttribute("title")).toBe(
      "Approximate: may be low by up to 12 events' worth",
    );
    expect(
      within(table).getByRole("rowheader", { name: "/about" }).closest("tr")!
        .textContent,
    ).not.toContain("≈");
  });

  it("shows the realtime figure", () => {
    const { container } = render(<DashboardView {...dataProps} />);
    expect(
      container.querySelector('[data-panel="realtime"]')!.textContent,
    ).toBe("7 visitors now");
  });

  it("says what a truncated realtime figure leaves out", () => {
    const { container } = render(
      <DashboardView
        {...dataProps}
        timeZone="Europe/Berlin"
        realtime={{
          ...realtimeFixture,
          truncated: true,
          leftOut: {
            pendingArrivedBefore: Date.parse("2024-05-03T12:03:12Z"),
          },
        }}
      />,
    );
    const panel = container.querySelector<HTMLElement>(
      '[data-panel="realtime"]',
    )!;
    expect(panel.dataset.truncated).toBe("true");
    // 12:03:12 UTC is 14:03:12 in Berlin (CEST).
    expect(panel.textContent).toBe(
      "7 visitors now Incomplete: events that arrived before 14:03:12 and await aggregation are not counted.",
    );
    expect(within(panel).getByRole("note")).toBeTruthy();
  });

  it("injects the stylesheet once, scoped under the root class, and takes a className", () => {
    const { container } = render(
      <>
        <DashboardView {...dataProps} className="my-theme" />
        <DashboardView {...dataProps} />
      </>,
    );
    expect(document.querySelectorAll(`#${STYLE_ELEMENT_ID}`)).toHaveLength(1);
    expect(document.getElementById(STYLE_ELEMENT_ID)!.textContent).toContain(
      ".ca-dashboard {",
    );
    expect(rootOf(container).className).toBe("ca-dashboard my-theme");
  });
});

describe("timeseries chart", () => {
  it("draws both series with hour labels and reads values on hover", () => {
    const { container } = render(
      <DashboardView {...dataProps} chartWidth={600} />,
    );
    const svg = container.querySelector("svg")!;
    expect(svg.querySelector(".ca-series-visitors")!.getAttribute("d")).toMatch(
      /^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){5}$/,
    );
    expect(svg.querySelector(".ca-series-pageviews")).toBeTruthy();
    const labels = Array.from(svg.querySelectorAll("text")).map(
      (text) => text.textContent,
    );
    expect(labels).toContain("00:00");
    expect(labels).toContain("150"); // top y tick covers the max of 150 pageviews
    svg.getBoundingClientRect = () => ({
      left: 0,
      top: 0,
      width: 600,
      height: 220,
      right: 600,
      bottom: 220,
      x: 0,
      y: 0,
      toJSON() {},
    });
    fireEvent.pointerMove(svg, { clientX: 590, clientY: 50 });
    const tooltip = container.querySelector(".ca-tooltip")!;
    expect(tooltip.textContent).toContain("Visitors: 60");
    expect(tooltip.textContent).toContain("Pageviews: 150");
    fireEvent.pointerLeave(svg);
    expect(container.querySelector(".ca-tooltip")).toBeNull();
  });

  it("can be read with the keyboard", () => {
    const { container } = render(
      <DashboardView {...dataProps} chartWidth={600} />,
    );
    const svg = container.querySelector("svg")!;
    fireEvent.focus(svg);
    expect(container.querySelector(".ca-tooltip")!.textContent).toContain(
      "Visitors: 60",
    );
    fireEvent.keyDown(svg, { key: "Home" });
    expect(container.querySelector(".ca-tooltip")!.textContent).toContain(
      "Visitors: 10",
    );
    fireEvent.keyDown(svg, { key: "ArrowRight" });
    expect(container.querySelector(".ca-tooltip")!.textContent).toContain(
      "Visitors: 20",
    );
  });

  it("labels day buckets with dates in the given timezone", () => {
    const dayStart = Date.parse("2024-05-01T04:00:00Z"); // midnight in New York
    const { container } = render(
      <DashboardView
        {...dataProps}
        range={{
          from: dayStart,
          to: dayStart + 7 * 24 * HOUR,
          interval: "day",
        }}
        timeZone="America/New_York"
        timeseries={timeseriesFixture(dayStart, 7, 24 * HOUR)}
        chartWidth={800}
      />,
    );
    const labels = Array.from(container.querySelectorAll("svg text")).map(
      (text) => text.textContent,
    );
    expect(labels).toContain("May 1");
    expect(labels).toContain("May 7");
  });

  it("picks round y ticks and spaces x labels", () => {
    expect(niceTicks(150)).toEqual([0, 50, 100, 150]);
    expect(niceTicks(7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(pickLabelIndices(24, 6)).toEqual([0, 4, 8, 12, 16, 20]);
    expect(pickLabelIndices(3, 10)).toEqual([0, 1, 2]);
  });
});

describe("property breakdown panel", () => {
  it("offers the events from the events table and applies the key on submit", () => {
    const onEventNameChange = vi.fn();
    const onPropertyKeyChange = vi.fn();
    render(
      <DashboardView
        {...dataProps}
        onEventNameChange={onEventNameChange}
        onPropertyKeyChange={onPropertyKeyChange}
      />,
    );
    const select = screen.getByLabelText("Event") as HTMLSelectElement;
    expect(Array.from(select.options).map((option) => option.value)).toEqual([
      "",
      "pageview",
      "signup",
    ]);
    fireEvent.change(select, { target: { value: "signup" } });
    expect(onEventNameChange).toHaveBeenCalledWith("signup");
    const key = screen.getByLabelText("Property key");
    fireEvent.change(key, { target: { value: "pla" } });
    expect(onPropertyKeyChange).not.toHaveBeenCalled();
    fireEvent.change(key, { target: { value: " plan " } });
    fireEvent.click(screen.getByRole("button", { name: "Show values" }));
    expect(onPropertyKeyChange).toHaveBeenCalledWith("plan");
    // Event rows double as buttons that pick the event.
    fireEvent.click(
      screen.getByRole("button", { name: "Break down pageview by a property" }),
    );
    expect(onEventNameChange).toHaveBeenLastCalledWith("pageview");
  });

  it("shows the values of the selected event property", () => {
    render(
      <DashboardView
        {...dataProps}
        eventName="signup"
        propertyKey="plan"
        propertyBreakdown={[
          { value: "pro", count: 80, visitors: 79 },
          { value: "free", count: 40, visitors: 39 },
        ]}
      />,
    );
    const table = screen.getByRole("table", { name: "signup by plan" });
    expect(
      within(table).getByRole("rowheader", { name: "pro" }).closest("tr")!
        .textContent,
    ).toBe("pro7980");
  });
});

describe("DashboardView per-panel states", () => {
  const keysOf = (name: string) =>
    within(screen.getByRole("table", { name }))
      .getAllByRole("rowheader")
      .map((th) => th.textContent);

  it("sorts each table by its first figure, visitors, not by the events it does not show", () => {
    // As the component orders a session-level list: by events (count).
    const sources = [
      {
        key: "newsletter",
        count: 900,
        pageviewCount: 700,
        visitors: 120,
        sessions: 150,
      },
      {
        key: "google",
        count: 500,
        pageviewCount: 450,
        visitors: 300,
        sessions: 340,
      },
      {
        key: "hn",
        count: 400,
        pageviewCount: 380,
        visitors: 300,
        sessions: 310,
      },
      {
        key: "bing",
        count: 400,
        pageviewCount: 380,
        visitors: 300,
        sessions: 310,
      },
      // A row of a newer component version with a flag this view does not know.
      {
        key: "github",
        count: 50,
        pageviewCount: 40,
        visitors: 45,
        sessions: 46,
        approximate: true,
      },
    ];
    render(
      <DashboardView
        {...dataProps}
        topLists={{ ...topListsFixture, source: sources }}
      />,
    );
    // Visitors first; equal visitors by the shown figure (sessions), then by key.
    expect(keysOf("Sources")).toEqual([
      "google",
      "bing",
      "hn",
      "newsletter",
      "github",
    ]);
  });

  it("sorts the property breakdown by visitors too", () => {
    render(
      <DashboardView
        {...dataProps}
        eventName="signup"
        propertyKey="plan"
        propertyBreakdown={[
          { value: "free", count: 40, visitors: 10 },
          { value: "pro", count: 12, visitors: 11 },
        ]}
      />,
    );
    expect(keysOf("signup by plan")).toEqual(["pro", "free"]);
  });

  it("shows one panel's error with its own retry while the others render their data", () => {
    const onRetryPanel = vi.fn();
    const { container } = render(
      <DashboardView
        {...dataProps}
        panelErrors={{ referrer: new Error("Scanned too many documents") }}
        onRetryPanel={onRetryPanel}
      />,
    );
    expect(rootOf(container).dataset.state).toBe("data");
    const referrers = container.querySelector(
      '[data-dimension="referrer"]',
    ) as HTMLElement;
    expect(referrers.dataset.state).toBe("error");
    expect(within(referrers).getByRole("alert").textContent).toContain(
      "Scanned too many documents",
    );
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    expect(screen.queryByRole("table", { name: "Referrers" })).toBeNull();
    expect(screen.getByRole("table", { name: "Top pages" })).toBeTruthy();
    expect(
      container.querySelector('[data-metric="visitors"] .ca-kpi-value')!
        .textContent,
    ).toBe("1,234");
    fireEvent.click(
      screen.getByRole("button", { name: "Try loading Referrers again" }),
    );
    expect(onRetryPanel).toHaveBeenCalledExactlyOnceWith("referrer");
  });

  it("gives the KPIs, chart, realtime figure and breakdown their own error states", () => {
    const onRetryPanel = vi.fn();
    const { container } = render(
      <DashboardView
        {...dataProps}
        eventName="signup"
        propertyKey="plan"
        panelErrors={{
          kpis: new Error("k"),
          chart: new Error("c"),
          realtime: new Error("r"),
          breakdown: new Error("b"),
        }}
        onRetryPanel={onRetryPanel}
      />,
    );
    for (const panel of ["kpis", "chart", "realtime", "property-breakdown"]) {
      expect(
        container
          .querySelector(`[data-panel="${panel}"]`)!
          .getAttribute("data-state"),
      ).toBe("error");
    }
    expect(screen.getAllByRole("alert")).toHaveLength(4);
    // The tables are untouched.
    expect(screen.getByRole("table", { name: "Countries" })).toBeTruthy();
    for (const [label, panel] of [
      ["Key figures", "kpis"],
      ["The chart", "chart"],
      ["Visitors now", "realtime"],
      ["The breakdown", "breakdown"],
    ]) {
      fireEvent.click(
        screen.getByRole("button", { name: `Try loading ${label} again` }),
      );
      expect(onRetryPanel).toHaveBeenLastCalledWith(panel);
    }
  });

  it("keeps a panel that fails to render inside that panel", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    // A row the table cannot render: only the pages table fails.
    const broken = [null] as unknown as typeof topListsFixture.page;
    const { container } = render(
      <DashboardView
        {...dataProps}
        topLists={{ ...topListsFixture, page: broken }}
        chartWidth={600}
      />,
    );
    expect(screen.getByRole("alert").textContent).toContain(
      "Top pages could not be loaded",
    );
    expect(screen.getByRole("table", { name: "Countries" })).toBeTruthy();
    expect(
      container.querySelector('[data-metric="visitors"] .ca-kpi-value')!
        .textContent,
    ).toBe("1,234");
    vi.restoreAllMocks();
  });
});
