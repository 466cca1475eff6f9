// @vitest-environment happy-dom
import {
  act,
  cleanup,
  fireEvent,
  render,
  screen,
} from "@testing-library/react";
import { makeFunctionReference, type FunctionReference } from "convex/server";
import type { Infer } from "convex/values";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type {
  vOverview,
  vRealtime,
  vTimeseriesRow,
  vTopRow,
} from "../component/validators.js";
import { useQueries, useQuery } from "convex/react";
import {
  addToSketch,
  emptySketch,
  encodeSketch,
  hashVisitor,
} from "../component/lib/sketch.js";
import {
  answerQueriesByName,
  queriesThrough,
  TOP_LIST_QUERIES,
  type QueryCall,
} from "./testing/queries.js";
import { Dashboard, AnalyticsDashboard } from "./dashboard.js";
import type { AnalyticsDashboardApi } from "./api.js";
import {
  HOUR,
  fakeAnalyticsApi,
  overviewFixture,
  realtimeFixture,
  timeseriesFixture,
  topListsFixture,
} from "./testing/fixtures.js";

vi.mock("convex/react", () => ({ useQuery: vi.fn(), useQueries: vi.fn() }));
const useQueryMock = vi.mocked(useQuery);
// The dashboard subscribes with useQueries (a failed query is a value, not a throw).
vi.mocked(useQueries).mockImplementation(queriesThrough(useQueryMock));

let calls: QueryCall[] = [];
/** What each query answers; a function may throw to simulate a failed query. */
let answers: Record<string, (args: Record<string, unknown>) => unknown>;

function dataAnswers(): typeof answers {
  const lists = Object.fromEntries(
    Object.entries(TOP_LIST_QUERIES).map(([name, dimension]) => [
      name,
      () => topListsFixture[dimension],
    ]),
  );
  return {
    getOverview: () => overviewFixture,
    getTimeseries: (args) => timeseriesFixture(args.from as number, 6),
    getRealtime: () => realtimeFixture,
    getEventPropertyBreakdown: () => [{ value: "pro", count: 3, visitors: 2 }],
    ...lists,
  };
}

const NOW = Date.parse("2024-05-03T15:42:10Z");

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(NOW);
  calls = [];
  answers = dataAnswers();
  answerQueriesByName(useQueryMock, calls, (name, args) =>
    answers[name]?.(args),
  );
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

const api = fakeAnalyticsApi();
const liveReportRef = makeFunctionReference<"query">(
  "analytics:getLiveReport",
) as NonNullable<AnalyticsDashboardApi["getLiveReport"]>;
const lastArgs = (name: string) =>
  [...calls].reverse().find((call) => call.name === name)?.args;
const isHourAligned = (ms: unknown) =>
  typeof ms === "number" && ms % HOUR === 0;

describe("<Dashboard> data layer", () => {
  it("asks every report query for the same hour-aligned range", () => {
    render(<Dashboard api={api} siteId="site_1" timezone="UTC" />);
    const nextHour = Date.parse("2024-05-03T16:00:00Z");
    // The last 7 days: whole days from the midnight six days before today.
    const weekStart = Date.parse("2024-04-27T00:00:00Z");
    expect(lastArgs("getOverview")).toEqual({
      siteId: "site_1",
      from: weekStart,
      to: nextHour,
      compare: true,
    });
    expect(lastArgs("getTimeseries")).toEqual({
      siteId: "site_1",
      from: weekStart,
      to: nextHour,
      interval: "day",
    });
    // One top list per card: the tab each card opens with. The other tabs wait until chosen.
    const open = [
      "getTopPages",
      "getTopSources",
      "getTopCountries",
      "getTopDevices",
      "getTopEvents",
    ];
    for (const name of Object.keys(TOP_LIST_QUERIES)) {
      if (open.includes(name))
        expect(lastArgs(name), name).toEqual({
          siteId: "site_1",
          from: weekStart,
          to: nextHour,
        });
      else expect(lastArgs(name) ?? "skip", name).toBe("skip");
    }
    fireEvent.click(screen.getByRole("button", { name: "Referrers" }));
    expect(lastArgs("getTopReferrers")).toEqual({
      siteId: "site_1",
      from: weekStart,
      to: nextHour,
    });
    expect(
      screen
        .getByRole("button", { name: "Referrers" })
        .getAttribute("aria-pressed"),
    ).toBe("true");
    // Realtime gets the minute, not the millisecond, so it is cached for a minute.
    expect(lastArgs("getRealtime")).toEqual({
      siteId: "site_1",
      now: Date.parse("2024-05-03T15:42:00Z"),
    });
    // Not subscribed at all until an event and a key are picked.
    expect(lastArgs("getEventPropertyBreakdown")).toBeUndefined();
    expect(
      document.querySelector('[data-metric="visitors"] .ca-kpi-value')!
        .textContent,
    ).toBe("1,234");
  });

  it("switches range with hour-aligned arguments and the matching interval", () => {
    render(<Dashboard api={api} siteId="site_1" timezone="America/New_York" />);
    const select = screen.getByLabelText("Date range");

    fireEvent.change(select, { target: { value: "24h" } });
    expect(lastArgs("getTimeseries")).toMatchObject({
      from: Date.parse("2024-05-02T16:00:00Z"),
      to: Date.parse("2024-05-03T16:00:00Z"),
      interval: "hour",
    });

    fireEvent.change(select, { target: { value: "today" } });
    // Midnight in New York (UTC−4) to the next whole hour.
    expect(lastArgs("getOverview")).toMatchObject({
      from: Date.parse("2024-05-03T04:00:00Z"),
      to: Date.parse("2024-05-03T16:00:00Z"),
    });

    fireEvent.change(select, { target: { value: "90d" } });
    const args = lastArgs("getTopPages") as { from: number; to: number };
    // New York midnight 89 days before May 3, in winter time (UTC−5).
    expect(args).toMatchObject({
      from: Date.parse("2024-02-04T05:00:00Z"),
      to: Date.parse("2024-05-03T16:00:00Z"),
    });
    expect(lastArgs("getTimeseries")).toMatchObject({ interval: "day" });

    for (const call of calls) {
      if (call.args !== "skip" && "from" in call.args) {
        expect(
          isHourAligned(call.args.from) && isHourAligned(call.args.to),
        ).toBe(true);
      }
    }
  });

  it("applies a custom date range once both dates are valid", () => {
    render(<Dashboard api={api} siteId="site_1" timezone="UTC" />);
    fireEvent.change(screen.getByLabelText("Date range"), {
      target: { value: "custom" },
    });
    fireEvent.change(screen.getByLabelText("From"), {
      target: { value: "2024-04-01" },
    });
    fireEvent.change(screen.getByLabelText("To (inclusive)"), {
      target: { value: "2024-04-02" },
    });
    expect(lastArgs("getTimeseries")).toEqual({
      siteId: "site_1",
      from: Date.parse("2024-04-01T00:00:00Z"),
      to: Date.parse("2024-04-03T00:00:00Z"),
      interval: "hour",
    });
    // A "to" before "from" is not sent.
    fireEvent.change(screen.getByLabelText("To (inclusive)"), {
      target: { value: "2024-03-01" },
    });
    expect(lastArgs("getTimeseries")).toMatchObject({
      to: Date.parse("2024-04-03T00:00:00Z"),
    });
  });

  it("keeps arguments stable within the hour and moves the window when the hour passes", () => {
    render(
      <Dashboard api={api} siteId="site_1" timezone="UTC" initialRange="24h" />,
    );
    const before = lastArgs("getOverview");
    act(() => {
      vi.advanceTimersByTime(60_000); // minute tick: realtime moves, the range does not
    });
    expect(lastArgs("getOverview")).toEqual(before);
    expect(lastArgs("getRealtime")).toMatchObject({
      now: Date.parse("2024-05-03T15:43:00Z"),
    });

    act(() => {
      vi.advanceTimersByTime(
        Date.parse("2024-05-03T15:59:59.999Z") - Date.now(),
      );
    });
    expect(lastArgs("getOverview")).toEqual(before);
    act(() => {
      vi.advanceTimersByTime(5);
    });
    expect(lastArgs("getOverview")).toMatchObject({
      from: Date.parse("2024-05-02T17:00:00Z"),
      to: Date.parse("2024-05-03T17:00:00Z"),
    });
  });

  it("keeps the previous figures on screen while a new range loads, but not another site's", () => {
    const { container, rerender } = render(
      <Dashboard api={api} siteId="site_1" timezone="UTC" initialRange="24h" />,
    );
    const root = () => container.firstElementChild as HTMLElement;
    const visitors = () =>
      document.querySelector('[data-metric="visitors"] .ca-kpi-value')
        ?.textContent;
    answers = {}; // nothing for new arguments has arrived yet
    act(() => {
      vi.advanceTimersByTime(Date.parse("2024-05-03T16:00:01Z") - Date.now());
    });
    expect(visitors()).toBe("1,234");
    expect(root().dataset.refreshing).toBe("true");
    expect(root().getAttribute("aria-busy")).toBe("true");

    rerender(
      <Dashboard api={api} siteId="site_2" timezone="UTC" initialRange="24h" />,
    );
    expect(visitors()).toBe(""); // a skeleton, not site_1's number
    expect(root().dataset.state).toBe("loading");
  });

  it("queries the property breakdown for the picked event and key", () => {
    render(<Dashboard api={api} siteId="site_1" timezone="UTC" />);
    fireEvent.click(
      screen.getByRole("button", { name: "Break down signup by a property" }),
    );
    fireEvent.change(screen.getByLabelText("Property key"), {
      target: { value: "plan" },
    });
    fireEvent.click(screen.getByRole("button", { name: "Show values" }));
    expect(lastArgs("getEventPropertyBreakdown")).toMatchObject({
      siteId: "site_1",
      eventName: "signup",
      propertyKey: "plan",
    });
    expect(
      screen.getByRole("table", { name: "signup by plan" }).textContent,
    ).toContain("pro");
    // The typed key is offered again later.
    expect(
      document.querySelector("datalist option")?.getAttribute("value"),
    ).toBe("plan");
  });

  it("offers the event's property keys (from getEventPropertyKeys) in a picker", () => {
    const keyedApi = {
      ...api,
      getEventPropertyKeys: makeFunctionReference<"query">(
        "analytics:getEventPropertyKeys",
      ),
    } as unknown as AnalyticsDashboardApi;
    answers.getEventPropertyKeys = (args) =>
      args.eventName === "signup"
        ? [
            { key: "plan", count: 40, visitors: 30 },
            { key: "source", count: 12, visitors: 9 },
          ]
        : [];
    answers.getEventPropertyBreakdown = () => [
      { value: "pro", count: 30, visitors: 20 },
      { value: "(other)", count: 7, visitors: 5, other: true },
      { value: "free", count: 10, visitors: 8, approximate: true, maxError: 3 },
    ];
    render(<Dashboard api={keyedApi} siteId="site_1" timezone="UTC" />);
    // Nothing is listed before an event is chosen.
    expect(lastArgs("getEventPropertyKeys")).toBeUndefined();
    fireEvent.click(
      screen.getByRole("button", { name: "Break down signup by a property" }),
    );
    const keysArgs = lastArgs("getEventPropertyKeys") as Record<
      string,
      unknown
    >;
    expect(keysArgs).toMatchObject({ siteId: "site_1", eventName: "signup" });
    expect(isHourAligned(keysArgs.from) && isHourAligned(keysArgs.to)).toBe(
      true,
    );
    const picker = screen.getByLabelText("Property key") as HTMLSelectElement;
    expect(picker.tagName).toBe("SELECT");
    expect([...picker.options].map((o) => o.textContent)).toEqual([
      "Choose a key…",
      "plan",
      "source",
    ]);
    // A picked key applies at once: no text box, no submit button.
    expect(screen.queryByRole("button", { name: "Show values" })).toBeNull();
    expect(lastArgs("getEventPropertyBreakdown")).toBeUndefined();
    fireEvent.change(picker, { target: { value: "plan" } });
    expect(lastArgs("getEventPropertyBreakdown")).toMatchObject({
      siteId: "site_1",
      eventName: "signup",
      propertyKey: "plan",
    });
    const table = screen.getByRole("table", { name: "signup by plan" });
    const rows = [...table.querySelectorAll("tbody tr")].map(
      (tr) => tr.querySelector("th")!.textContent,
    );
    // "(other)" comes last; the approximate row carries its marker.
    expect(rows).toEqual(["pro", "free", "(other)"]);
    expect(table.querySelector("tbody tr:nth-child(2)")!.textContent).toContain(
      "≈",
    );
  });

  it("shows skeletons while the queries load", () => {
    answers = {};
    const { container } = render(
      <Dashboard api={api} siteId="site_1" timezone="UTC" />,
    );
    expect((container.firstElementChild as HTMLElement).dataset.state).toBe(
      "loading",
    );
  });

  it("shows a failed query in its own panel, with a retry, while the other panels keep working", () => {
    answers.getTopCountries = () => {
      throw new Error("[CONVEX Q(analytics:getTopCountries)] Unauthorized");
    };
    const { container } = render(
      <Dashboard api={api} siteId="site_1" timezone="UTC" />,
    );
    const countries = () =>
      container.querySelector('[data-dimension="country"]') as HTMLElement;
    expect((container.firstElementChild as HTMLElement).dataset.state).toBe(
      "data",
    );
    expect(countries().dataset.state).toBe("error");
    expect(screen.getAllByRole("alert")).toHaveLength(1);
    expect(screen.getByRole("alert").textContent).toContain("Unauthorized");
    // Everything else renders its data.
    expect(
      document.querySelector('[data-metric="visitors"] .ca-kpi-value')!
        .textContent,
    ).toBe("1,234");
    expect(screen.getByRole("table", { name: "Top pages" })).toBeTruthy();
    expect(
      container
        .querySelector('[data-dimension="page"]')!
        .getAttribute("data-state"),
    ).toBe("data");
    expect(screen.getByLabelText("Date range")).toBeTruthy();

    answers = dataAnswers();
    const asked = calls.filter(
      (call) => call.name === "getTopCountries",
    ).length;
    fireEvent.click(
      screen.getByRole("button", { name: "Try loading Countries again" }),
    );
    // The retry subscribed again (a client then asks the server afresh).
    expect(
      calls.filter((call) => call.name === "getTopCountries").length,
    ).toBeGreaterThan(asked);
    expect(countries().dataset.state).toBe("data");
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("keeps the KPI cards' failure in the KPI panel", () => {
    answers.getOverview = () => {
      throw new Error("Scanned too many documents");
    };
    const { container } = render(
      <Dashboard api={api} siteId="site_1" timezone="UTC" />,
    );
    expect(
      container
        .querySelector('[data-panel="kpis"]')!
        .getAttribute("data-state"),
    ).toBe("error");
    expect(screen.getByRole("alert").textContent).toContain(
      "Scanned too many documents",
    );
    expect(screen.getByRole("table", { name: "Countries" })).toBeTruthy();
    expect(
      container
        .querySelector('[data-panel="realtime"]')!
        .getAttribute("data-state"),
    ).toBe("data");
  });

  it("clears an error when the range changes", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    answers.getOverview = (args) => {
      if ((args.to as number) - (args.from as number) > 30 * 24 * HOUR)
        throw new Error("Range too long");
      return overviewFixture;
    };
    const { container } = render(
      <Dashboard api={api} siteId="site_1" timezone="UTC" initialRange="90d" />,
    );
    expect(screen.getByRole("alert").textContent).toContain("Range too long");
    fireEvent.change(screen.getByLabelText("Date range"), {
      target: { value: "7d" },
    });
    expect((container.firstElementChild as HTMLElement).dataset.state).toBe(
      "data",
    );
    expect(screen.queryByRole("alert")).toBeNull();
    expect(
      document.querySelector('[data-metric="visitors"] .ca-kpi-value')!
        .textContent,
    ).toBe("1,234");
  });

  it("with getLiveReport: tables stop where compaction settled, key figures merge the settled and live parts' visitors", () => {
    const nextHour = Date.parse("2024-05-03T16:00:00Z");
    const since = Date.parse("2024-05-03T14:00:00Z");
    const today = Date.parse("2024-05-03T00:00:00Z");
    const partsOf = (visitors: string[], events: number, sessions: number) => {
      let sketch = emptySketch();
      for (const id of visitors)
        sketch = addToSketch(sketch, hashVisitor(id), 1);
      return {
        events,
        pageviews: events - 1,
        sessions,
        bounces: 1,
        durationMs: 60_000 * sessions,
        visitors: encodeSketch(sketch),
      };
    };
    answers.getLiveReport = () => ({
      since,
      parts: partsOf(["ann", "bob"], 4, 2),
      timeseriesFrom: today,
      timeseries: timeseriesFixture(today, 1),
    });
    answers.getOverview = (args) =>
      args.parts
        ? { ...overviewFixture, parts: partsOf(["bob", "cy", "dee"], 10, 5) }
        : overviewFixture;
    render(
      <Dashboard
        api={{ ...api, getLiveReport: liveReportRef }}
        siteId="site_1"
        timezone="UTC"
      />,
    );
    const weekStart = Date.parse("2024-04-27T00:00:00Z");
    expect(lastArgs("getLiveReport")).toEqual({
      siteId: "site_1",
      from: weekStart,
      to: nextHour,
      interval: "day",
    });
    const overviewArgs = calls
      .filter((c) => c.name === "getOverview" && c.args !== "skip")
      .map((c) => c.args);
    expect(overviewArgs).toContainEqual({
      siteId: "site_1",
      from: weekStart,
      to: since,
      parts: true,
    });
    // The previous period has the whole range's length.
    expect(overviewArgs).toContainEqual({
      siteId: "site_1",
      from: weekStart - (nextHour - weekStart),
      to: weekStart,
    });
    expect(lastArgs("getTimeseries")).toEqual({
      siteId: "site_1",
      from: weekStart,
      to: today,
      interval: "day",
    });
    expect(lastArgs("getTopPages")).toMatchObject({
      from: weekStart,
      to: since,
    });
    // ann, bob, cy, dee: bob is in both parts and counts once.
    const kpi = (metric: string) =>
      document.querySelector(`[data-metric=${metric}] .ca-kpi-value`)
        ?.textContent;
    expect(kpi("visitors")).toBe("4");
    expect(kpi("pageviews")).toBe("12");
    expect(
      document.querySelector("[data-settled-through]")?.textContent,
    ).toContain("2:00");
  });

  it("is also exported as AnalyticsDashboard", () => {
    expect(AnalyticsDashboard).toBe(Dashboard);
  });
});

// Compile-time check: an app's `api.analytics`, as codegen types it from the
// component's validators, fits the `api` prop.
type RangeArgs = { siteId: string; from: number; to: number };
type Query<Args extends Record<string, unknown>, Result> = FunctionReference<
  "query",
  "public",
  Args,
  Result
>;
type TopQuery = Query<RangeArgs & { limit?: number }, Infer<typeof vTopRow>[]>;
const appApi = {
  getOverview: makeFunctionReference<
    "query",
    RangeArgs & { compare?: boolean },
    Infer<typeof vOverview>
  >("a:o"),
  getTimeseries: makeFunctionReference<
    "query",
    RangeArgs & { interval: "hour" | "day" },
    Infer<typeof vTimeseriesRow>[]
  >("a:t"),
  getTopPages: makeFunctionReference("a:p") as TopQuery,
  getTopEntryPages: makeFunctionReference("a:p") as TopQuery,
  getTopExitPages: makeFunctionReference("a:p") as TopQuery,
  getTopReferrers: makeFunctionReference("a:p") as TopQuery,
  getTopSources: makeFunctionReference("a:p") as TopQuery,
  getTopMediums: makeFunctionReference("a:p") as TopQuery,
  getTopCampaigns: makeFunctionReference("a:p") as TopQuery,
  getTopEvents: makeFunctionReference("a:p") as TopQuery,
  getTopDevices: makeFunctionReference("a:p") as TopQuery,
  getTopBrowsers: makeFunctionReference("a:p") as TopQuery,
  getTopOs: makeFunctionReference("a:p") as TopQuery,
  getTopCountries: makeFunctionReference("a:p") as TopQuery,
  getTopHostnames: makeFunctionReference("a:p") as TopQuery,
  getTopTerms: makeFunctionReference("a:p") as TopQuery,
  getTopContents: makeFunctionReference("a:p") as TopQuery,
  getTopLanguages: makeFunctionReference("a:p") as TopQuery,
  getTopScreens: makeFunctionReference("a:p") as TopQuery,
  getEventPropertyBreakdown: makeFunctionReference<
    "query",
    RangeArgs & { eventName: string; propertyKey: string; limit?: number },
    { value: string; count: number; visitors: number }[]
  >("a:b"),
  getRealtime: makeFunctionReference<
    "query",
    { siteId: string; now?: number },
    Infer<typeof vRealtime>
  >("a:r"),
  // Apps expose more functions than the dashboard needs; extra members are fine.
  listSessions: makeFunctionReference<"query">("a:l"),
};
const fits: AnalyticsDashboardApi = appApi;
void fits;
