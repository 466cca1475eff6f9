// @vitest-environment happy-dom
/**
 * The drill-down panel's wiring, end to end below the browser: the real
 * `usePaginatedQuery` from convex-helpers/react and the real `useQuery`
 * from convex/react, talking through a Convex client stand-in to the example
 * app on convex-test (its `exposeAnalyticsApi` wrappers and the component).
 * The stand-in answers `watchQuery` from convex-test and re-runs every
 * watched query on `refresh()`, as a deployment pushes new results.
 */
import {
  act,
  cleanup,
  fireEvent,
  render,
  screen,
  waitFor,
  within,
} from "@testing-library/react";
import { ConvexProvider, type ConvexReactClient } from "convex/react";
import { getFunctionName, type FunctionReference } from "convex/server";
import { convexToJson, type Value } from "convex/values";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api } from "../../example/convex/_generated/api.js";
import {
  ADMIN,
  WRITE_KEY,
  drain,
  setupExampleApp,
  type ExampleApp,
} from "../../example/test/setup.js";
import { Dashboard } from "./dashboard.js";
import { DrillDown } from "./drilldown.js";

const HOUR = 3_600_000;

type Watched = {
  query: FunctionReference<"query">;
  args: Record<string, Value>;
  result?: { value: unknown } | { error: Error };
  listeners: Set<() => void>;
};

/** Just enough of `ConvexReactClient` for `useQuery`/`useQueries`, backed by convex-test. */
class ConvexTestClient {
  readonly calls: { name: string; args: Record<string, Value> }[] = [];
  readonly logger = { log() {}, warn() {}, error() {}, logVerbose() {} };
  private readonly watched = new Map<string, Watched>();
  constructor(private readonly t: ExampleApp) {}

  watchQuery(query: FunctionReference<"query">, args: Record<string, Value>) {
    const key = `${getFunctionName(query)}:${JSON.stringify(convexToJson(args))}`;
    let entry = this.watched.get(key);
    if (entry === undefined) {
      entry = { query, args, listeners: new Set() };
      this.watched.set(key, entry);
      void this.run(entry);
    }
    const watched = entry;
    return {
      onUpdate: (listener: () => void) => {
        watched.listeners.add(listener);
        return () => watched.listeners.delete(listener);
      },
      localQueryResult: () => {
        if (watched.result && "error" in watched.result)
          throw watched.result.error;
        return watched.result?.value;
      },
      journal: () => undefined,
    };
  }

  /** Re-runs every watched query and notifies its subscribers (new data pushed). */
  async refresh(): Promise<void> {
    await Promise.all(
      [...this.watched.values()].map((entry) => this.run(entry)),
    );
  }

  private async run(entry: Watched): Promise<void> {
    this.calls.push({ name: getFunctionName(entry.query), args: entry.args });
    try {
      entry.result = {
        value: await this.t
          .withIdentity(ADMIN)
          .query(entry.query, entry.args as never),
      };
    } catch (error) {
      entry.result = { error: error as Error };
    }
    act(() => entry.listeners.forEach((listener) => listener()));
  }
}

let t: ExampleApp;
let client: ConvexTestClient;
let siteId: string;
let visits = 0;

beforeEach(async () => {
  // Fake timers that still move with the clock: convex-test's scheduled
  // functions can be drained, and the testing library's waits still fire.
  vi.useFakeTimers({
    shouldAdvanceTime: true,
    toFake: [
      "setTimeout",
      "clearTimeout",
      "setInterval",
      "clearInterval",
      "Date",
    ],
  });
  vi.setSystemTime(Date.UTC(2026, 10, 2, 9, 30));
  t = setupExampleApp();
  client = new ConvexTestClient(t);
  // No allowedOrigins: happy-dom's fetch drops the (browser-forbidden) origin header.
  ({ siteId } = await t
    .withIdentity(ADMIN)
    .mutation(api.analytics.provisionSite, { slug: "shop", name: "Shop" }));
  visits = 0;
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

/** Visits of new visitors through the ingest route: a pageview, a track event, a pageview each. */
async function visit(count: number) {
  for (let i = 0; i < count; i++) {
    const n = visits++;
    vi.setSystemTime(Date.now() + 60_000);
    const res = await t.fetch("/analytics/ingest", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-analytics-write-key": WRITE_KEY,
      },
      body: JSON.stringify({
        visitorId: `visitor-${n}`,
        sessionId: `session-${n}`,
        events: [
          { type: "pageview", path: `/a/${n}`, occurredAt: Date.now() - 2_000 },
          { type: "track", name: `click-${n}`, occurredAt: Date.now() - 1_000 },
          { type: "pageview", path: `/b/${n}` },
        ],
      }),
    });
    expect(res.status).toBe(202);
  }
  vi.setSystemTime(Date.now() + 60_000);
  await drain(t);
}

function renderInProvider(ui: React.ReactNode) {
  return render(
    <ConvexProvider client={client as unknown as ConvexReactClient}>
      {ui}
    </ConvexProvider>,
  );
}

const range = () => {
  const to = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
  return { from: to - 24 * HOUR, to };
};

/** The ids of the rows shown, top to bottom. */
const shownIds = () =>
  [
    ...document.querySelectorAll("[data-panel=drilldown] tbody tr[data-id]"),
  ].map((row) => row.getAttribute("data-id"));

/** Every raw event id, newest first, read straight from the app's query. */
async function allEventIds(): Promise<string[]> {
  const page = await t.withIdentity(ADMIN).query(api.analytics.listRawEvents, {
    siteId,
    paginationOpts: { cursor: null, numItems: 200 },
  });
  return page.page.map((event) => event._id);
}

describe("<DrillDown> over convex-helpers' usePaginatedQuery", () => {
  it("asks the app's list query with paginationOpts, shows more on demand, and keeps rows stable while events arrive", async () => {
    await visit(3); // 9 events
    const { from, to } = range();
    renderInProvider(
      <DrillDown
        api={api.analytics}
        siteId={siteId}
        range={{ from, to }}
        timeZone="UTC"
        pageSize={4}
      />,
    );

    // Sessions come first; switch to all events.
    await waitFor(() =>
      expect(
        screen.getByRole("heading", { name: "Latest sessions" }),
      ).toBeTruthy(),
    );
    await waitFor(() => expect(shownIds()).toHaveLength(3));
    fireEvent.change(screen.getByLabelText("Show"), {
      target: { value: "listRawEvents" },
    });
    await waitFor(() => expect(shownIds()).toHaveLength(4));
    const first = client.calls.find(
      (call) => call.name === "analytics:listRawEvents",
    );
    expect(first?.args).toEqual({
      siteId,
      from,
      to,
      paginationOpts: { numItems: 4, cursor: null },
    });
    const all = await allEventIds();
    expect(shownIds()).toEqual(all.slice(0, 4));

    fireEvent.click(screen.getByRole("button", { name: "Show more" }));
    await waitFor(() => expect(shownIds()).toHaveLength(8));
    expect(shownIds()).toEqual(all.slice(0, 8));
    // Loading more pinned the first page at its end.
    const pinned = client.calls.filter(
      (call) =>
        call.name === "analytics:listRawEvents" && call.args.paginationOpts,
    );
    expect(
      pinned.some(
        (call) =>
          (call.args.paginationOpts as { endCursor?: string }).endCursor,
      ),
    ).toBe(true);

    // Six new events arrive; every shown page is pushed again.
    const before = shownIds();
    await visit(2);
    await act(() => client.refresh());
    await waitFor(() => expect(shownIds()).toHaveLength(14));
    const after = shownIds();
    expect(new Set(after).size).toBe(after.length);
    expect(after.slice(6)).toEqual(before); // the old rows, unmoved relative to each other, below the new ones
    expect(after).toEqual((await allEventIds()).slice(0, 14));

    // Show more until everything is listed, exactly once.
    while (screen.queryByRole("button", { name: "Show more" })) {
      fireEvent.click(screen.getByRole("button", { name: "Show more" }));
      await waitFor(() =>
        expect(screen.queryByRole("button", { name: /Loading/ })).toBeNull(),
      );
    }
    await waitFor(() => expect(screen.getByText("All 15 shown")).toBeTruthy());
    expect(shownIds()).toEqual(await allEventIds());
  });

  it("renders each view's columns from the wrapper's rows", async () => {
    await visit(2);
    renderInProvider(
      <DrillDown
        api={api.analytics}
        siteId={siteId}
        range={range()}
        timeZone="UTC"
        pageSize={10}
      />,
    );
    await waitFor(() => expect(shownIds()).toHaveLength(2));
    const panel = document.querySelector<HTMLElement>(
      "[data-panel=drilldown]",
    )!;
    expect(within(panel).getByText("/a/1 → /b/1")).toBeTruthy();
    expect(within(panel).getByText("All 2 shown")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Show"), {
      target: { value: "listPageviews" },
    });
    await waitFor(() => expect(shownIds()).toHaveLength(4));
    expect(within(panel).getByText("/b/1")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Show"), {
      target: { value: "listVisitors" },
    });
    await waitFor(() =>
      expect(within(panel).getAllByText("visitor-…")).toHaveLength(2),
    );
    expect(
      document
        .querySelector("[data-panel=drilldown] table")
        ?.getAttribute("data-view"),
    ).toBe("listVisitors");
  });

  it("offers only the views the app exposes, and a failing list stays inside the panel", async () => {
    const {
      listSessions: _s,
      listPageviews: _p,
      listRawEvents: _r,
      ...reportsOnly
    } = api.analytics;
    const { container } = renderInProvider(
      <DrillDown
        api={{
          ...reportsOnly,
          listVisitors: api.analytics.listRawEvents as never,
        }}
        siteId="not-a-site"
        range={range()}
        timeZone="UTC"
      />,
    );
    expect(
      [...container.querySelectorAll("option")].map(
        (option) => option.textContent,
      ),
    ).toEqual(["Visitors"]);
    await waitFor(() =>
      expect(within(container).getByRole("alert")).toBeTruthy(),
    );
    expect(
      within(container).getByRole("button", { name: "Try again" }),
    ).toBeTruthy();
  });
});

describe("<Dashboard> with the drill-down", () => {
  it("shows the drill-down under the reports when the api has list queries, and not with drillDown={false}", async () => {
    await visit(2);
    const view = renderInProvider(
      <Dashboard
        api={api.analytics}
        siteId={siteId}
        timezone="UTC"
        initialRange="24h"
      />,
    );
    await waitFor(() => expect(shownIds()).toHaveLength(2));
    const list = client.calls.find(
      (call) => call.name === "analytics:listSessions",
    )!;
    // The same hour-aligned range the reports ask for (the live report takes it whole).
    const overview = client.calls.find(
      (call) => call.name === "analytics:getLiveReport",
    )!;
    expect([list.args.from, list.args.to]).toEqual([
      overview.args.from,
      overview.args.to,
    ]);
    view.unmount();
    renderInProvider(
      <Dashboard
        api={api.analytics}
        siteId={siteId}
        timezone="UTC"
        drillDown={false}
      />,
    );
    await waitFor(() =>
      expect(
        document.querySelector("[data-metric=visitors] .ca-kpi-value")
          ?.textContent,
      ).toBe("2"),
    );
    expect(document.querySelector("[data-panel=drilldown]")).toBeNull();
  });
});
