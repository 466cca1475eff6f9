// @vitest-environment happy-dom
/** The dashboard and the static report say which visitor counting the site uses (README, "Privacy and consent"). */
import { cleanup, render } from "@testing-library/react";
import {
  getFunctionName,
  makeFunctionReference,
  type FunctionReference,
} from "convex/server";
import { useQueries, useQuery } from "convex/react";
import { queriesThrough } from "./testing/queries.js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Dashboard } from "./dashboard.js";
import { renderDashboardHtml } from "./report.js";
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

const from = Date.parse("2024-05-01T00:00:00Z");
const report = {
  range: { from, to: from + 7 * 24 * HOUR },
  overview: overviewFixture,
  timeseries: timeseriesFixture(from, 7, 24 * HOUR),
  topLists: topListsFixture,
};

function countingNote(html: string) {
  return new DOMParser()
    .parseFromString(html, "text/html")
    .querySelector("[data-counting]");
}

describe("static report", () => {
  it("says cookieless counting means one visitor per browser and day", () => {
    const note = countingNote(
      renderDashboardHtml({
        ...report,
        counting: { visitorIdentity: "cookieless" },
      }),
    );
    expect(note?.getAttribute("data-counting")).toBe("cookieless");
    expect(note?.textContent).toMatch(
      /without cookies.*another day counts again/,
    );
  });

  it("marks the day the counting changed when it lies in the range, and 'since' otherwise", () => {
    const switched = {
      visitorIdentity: "cookieless" as const,
      visitorIdentitySince: from + 2 * 24 * HOUR + 5 * HOUR,
    };
    expect(
      countingNote(renderDashboardHtml({ ...report, counting: switched }))
        ?.textContent,
    ).toMatch(
      /Counting changed on May 3, 2024: visitor numbers before and after are not comparable/,
    );
    const earlier = {
      visitorIdentity: "device" as const,
      visitorIdentitySince: from - 30 * 24 * HOUR,
    };
    const note = countingNote(
      renderDashboardHtml({ ...report, counting: earlier }),
    );
    expect(note?.getAttribute("data-counting")).toBe("device");
    expect(note?.textContent).toMatch(
      /random id kept in the browser\. Since Apr 1, 2024\./,
    );
  });

  it("leaves the note out when the counting is not given", () => {
    expect(countingNote(renderDashboardHtml(report))).toBeNull();
  });
});

describe("<Dashboard>", () => {
  let calls: { name: string; args: unknown }[] = [];
  beforeEach(() => {
    calls = [];
    useQueryMock.mockImplementation(((
      ref: FunctionReference<"query">,
      args: Record<string, unknown> | "skip",
    ) => {
      const name = getFunctionName(ref).split(":")[1];
      calls.push({ name, args });
      if (args === "skip") return undefined;
      if (name === "getSite") return { visitorIdentity: "cookieless" };
      if (name === "getOverview") return overviewFixture;
      if (name === "getTimeseries")
        return timeseriesFixture(args.from as number, 6);
      if (name === "getRealtime") return realtimeFixture;
      return [];
    }) as typeof useQuery);
  });
  afterEach(() => {
    cleanup();
    vi.restoreAllMocks();
  });

  it("asks getSite when the app passes it, and shows the counting", () => {
    const api = {
      ...fakeAnalyticsApi(),
      getSite: makeFunctionReference<"query", { siteId: string }, null>(
        "analytics:getSite",
      ),
    };
    const { container } = render(
      <Dashboard api={api} siteId="site1" timezone="UTC" />,
    );
    expect(calls).toContainEqual({
      name: "getSite",
      args: { siteId: "site1" },
    });
    expect(
      container.querySelector("[data-counting]")?.getAttribute("data-counting"),
    ).toBe("cookieless");
  });

  it("without getSite it asks for nothing more and shows no note", () => {
    const { container } = render(
      <Dashboard api={fakeAnalyticsApi()} siteId="site1" timezone="UTC" />,
    );
    expect(
      calls
        .filter((call) => call.name === "getSite")
        .every((call) => call.args === "skip"),
    ).toBe(true);
    expect(container.querySelector("[data-counting]")).toBeNull();
  });
});
