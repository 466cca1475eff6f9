// @vitest-environment happy-dom
import {
  cleanup,
  fireEvent,
  render,
  screen,
  within,
} from "@testing-library/react";
import { makeFunctionReference } from "convex/server";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { useQueries, useQuery } from "convex/react";
import {
  answerQueriesByName,
  queriesThrough,
  TOP_LIST_QUERIES,
  type QueryCall,
} from "./testing/queries.js";
import { Dashboard } from "./dashboard.js";
import type { AnalyticsDashboardApi } from "./api.js";
import {
  fakeAnalyticsApi,
  overviewFixture,
  realtimeFixture,
  timeseriesFixture,
  topListsFixture,
} from "./testing/fixtures.js";
import type { GoalConversions } from "../component/validators.js";

vi.mock("convex/react", () => ({ useQuery: vi.fn(), useQueries: vi.fn() }));
const useQueryMock = vi.mocked(useQuery);
vi.mocked(useQueries).mockImplementation(queriesThrough(useQueryMock));

let calls: QueryCall[] = [];

const NOW = Date.parse("2024-05-03T15:42:10Z");
const WEEK_START = Date.parse("2024-04-27T00:00:00Z");
const NEXT_HOUR = Date.parse("2024-05-03T16:00:00Z");

const goal = (goalId: string, name: string) => ({
  goalId,
  siteId: "site_1",
  name,
  kind: "event" as const,
  eventName: name,
  createdAt: 0,
  updatedAt: 0,
});
function conversions(
  visitors: number,
  rows: [string, string, number, number][],
  backfilling = false,
): GoalConversions {
  return {
    visitors,
    backfilling,
    goals: rows.map(([id, name, uniques, total]) => ({
      goal: goal(id, name),
      visitors: uniques,
      conversions: total,
      conversionRate: uniques / visitors,
    })),
  };
}

function answer(name: string, args: Record<string, unknown>): unknown {
  if (name in TOP_LIST_QUERIES) return topListsFixture[TOP_LIST_QUERIES[name]];
  if (name === "getOverview") return overviewFixture;
  if (name === "getTimeseries")
    return timeseriesFixture(args.from as number, 6);
  if (name === "getRealtime") return realtimeFixture;
  if (name === "getGoalConversions")
    // The current week: 1,000 visitors; the week before: 800.
    return args.from === WEEK_START
      ? conversions(1000, [
          ["g1", "Signup", 50, 70],
          ["g2", "Pricing", 200, 260],
        ])
      : conversions(800, [
          ["g1", "Signup", 32, 40],
          ["g2", "Pricing", 200, 210],
        ]);
  if (name === "getGoalBreakdown") {
    const keys: Record<string, string> = {
      source: "hn",
      campaign: "launch-week",
      entryPage: "/",
    };
    const key = keys[args.dimension as string];
    return {
      goal: goal(args.goalId as string, "Signup"),
      backfilling: false,
      rows: [
        {
          key,
          visitors: 300,
          converters: 30,
          conversions: 31,
          conversionRate: 0.1,
        },
      ],
    };
  }
  return undefined;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
  vi.setSystemTime(NOW);
  calls = [];
  answerQueriesByName(useQueryMock, calls, answer);
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function apiWithGoals(): AnalyticsDashboardApi {
  return {
    ...fakeAnalyticsApi(),
    getGoalConversions: makeFunctionReference<"query">(
      "analytics:getGoalConversions",
    ),
    getGoalBreakdown: makeFunctionReference<"query">(
      "analytics:getGoalBreakdown",
    ),
  } as unknown as AnalyticsDashboardApi;
}
const argsOf = (name: string) =>
  calls.filter((c) => c.name === name && c.args !== "skip").map((c) => c.args);

describe("Goals panel", () => {
  it("shows uniques, total, conversion rate and its change from the previous period", () => {
    render(<Dashboard api={apiWithGoals()} siteId="site_1" timezone="UTC" />);
    const week = NEXT_HOUR - WEEK_START;
    expect(argsOf("getGoalConversions")).toContainEqual({
      siteId: "site_1",
      from: WEEK_START,
      to: NEXT_HOUR,
    });
    expect(argsOf("getGoalConversions")).toContainEqual({
      siteId: "site_1",
      from: WEEK_START - week,
      to: WEEK_START,
    });
    const panel = document.querySelector('[data-panel="goals"]') as HTMLElement;
    const signup = panel.querySelector('[data-goal="g1"]') as HTMLElement;
    const cells = [...signup.querySelectorAll("td")].map(
      (td) => td.textContent,
    );
    // 50 of 1,000 visitors = 5%; the week before 32 of 800 = 4%: +1 pp.
    expect(cells).toEqual(["50", "70", "5%", "+1 pp"]);
    const pricing = panel.querySelector('[data-goal="g2"]') as HTMLElement;
    // 20% now, 25% before.
    expect(
      [...pricing.querySelectorAll("td")].map((td) => td.textContent),
    ).toEqual(["200", "260", "20%", "−5 pp"]);
    // No breakdown until a goal is picked, and no rate column.
    expect(argsOf("getGoalBreakdown")).toEqual([]);
    // No top table shows a rate column.
    expect(
      document.querySelector('[data-dimension] [data-metric="conversionRate"]'),
    ).toBeNull();
  });

  it("picking a goal adds its conversion rate to the sources, campaigns and entry-pages tables", () => {
    render(<Dashboard api={apiWithGoals()} siteId="site_1" timezone="UTC" />);
    fireEvent.click(
      screen.getByRole("button", { name: "Show conversion rates of Signup" }),
    );
    const range = { siteId: "site_1", from: WEEK_START, to: NEXT_HOUR };
    // Rates only for the rows a table shows, and only for tables on screen.
    const askedFor = (dimension: "source" | "campaign" | "entryPage") => ({
      ...range,
      goalId: "g1",
      dimension,
      keys: topListsFixture[dimension].map((row) => row.key),
    });
    expect(argsOf("getGoalBreakdown")).toContainEqual(askedFor("source"));
    expect(
      argsOf("getGoalBreakdown").filter(
        (args) => (args as { dimension: string }).dimension !== "source",
      ),
    ).toEqual([]);
    const sources = document.querySelector(
      '[data-dimension="source"]',
    ) as HTMLElement;
    expect(within(sources).getByText("Signup rate")).toBeTruthy();
    expect(
      sources.querySelector('[data-metric="conversionRate"]')!.textContent,
    ).toBe("10%");
    // Pages (not a goal table) shows no rate.
    const pages = document.querySelector(
      '[data-dimension="page"]',
    ) as HTMLElement;
    expect(within(pages).queryByText("Signup rate")).toBeNull();
    // Campaigns and entry pages are tabs of their cards: open them.
    fireEvent.click(screen.getByRole("button", { name: "UTM campaigns" }));
    fireEvent.click(screen.getByRole("button", { name: "Entry pages" }));
    expect(argsOf("getGoalBreakdown")).toContainEqual(askedFor("campaign"));
    expect(argsOf("getGoalBreakdown")).toContainEqual(askedFor("entryPage"));
    for (const dimension of ["campaign", "entryPage"]) {
      const table = document.querySelector(
        `[data-dimension="${dimension}"]`,
      ) as HTMLElement;
      expect(
        table.querySelector('[data-metric="conversionRate"]')!.textContent,
        dimension,
      ).toBe("10%");
    }
    // Picking it again clears the choice.
    fireEvent.click(
      screen.getByRole("button", { name: "Show conversion rates of Signup" }),
    );
    expect(screen.queryByText("Signup rate")).toBeNull();
  });

  it("is left out when the app does not expose the goal queries", () => {
    render(
      <Dashboard api={fakeAnalyticsApi()} siteId="site_1" timezone="UTC" />,
    );
    expect(document.querySelector('[data-panel="goals"]')).toBeNull();
    expect(argsOf("getGoalConversions")).toEqual([]);
  });
});
