/**
 * The app-level drill-downs with `paginationOpts` (README, "Report
 * functions"), driven the way convex-helpers' `usePaginatedQuery` drives
 * them: the first page asks for `{ cursor: null, numItems }`; `loadMore`
 * pins the last page at its `continueCursor` (`endCursor`) and asks for the
 * next; a page whose result carries a `splitCursor` is replaced by two.
 * Every shown page is re-run after new traffic, as a reactive subscription
 * would be. `usePaginatedQuery.test.tsx` in `src/react` runs the hook itself.
 */
import type { PaginationResult } from "convex/server";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "../convex/_generated/api";
import {
  ADMIN,
  ORIGIN,
  WRITE_KEY,
  drain,
  setupExampleApp,
  type ExampleApp,
} from "./setup";

const MIN = 60_000;
const NAMES = [
  "listRawEvents",
  "listPageviews",
  "listSessions",
  "listVisitors",
  "exportEvents",
] as const;
type Name = (typeof NAMES)[number];
type Opts = {
  numItems: number;
  cursor: string | null;
  endCursor?: string | null;
};
type Row = { _id: string };

let t: ExampleApp;
let siteId: string;
let visits = 0;

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 10, 2, 8, 0));
  t = setupExampleApp();
  ({ siteId } = await t
    .withIdentity(ADMIN)
    .mutation(api.analytics.provisionSite, {
      slug: "shop",
      name: "Shop",
      allowedOrigins: [ORIGIN],
    }));
  visits = 0;
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

/** One visit of a new visitor (two pageviews and a track event), then aggregation. */
async function visit() {
  const n = visits++;
  vi.setSystemTime(Date.now() + 2 * MIN);
  const res = await t.fetch("/analytics/ingest", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin: ORIGIN,
      "x-analytics-write-key": WRITE_KEY,
    },
    body: JSON.stringify({
      visitorId: `v-${n}`,
      sessionId: `s-${n}`,
      events: [
        { type: "pageview", path: `/p/${n}`, occurredAt: Date.now() - 2_000 },
        { type: "track", name: "click", occurredAt: Date.now() - 1_000 },
        { type: "pageview", path: `/q/${n}` },
      ],
    }),
  });
  expect(res.status).toBe(202);
}

async function visitsThenAggregate(count: number) {
  for (let i = 0; i < count; i++) await visit();
  vi.setSystemTime(Date.now() + MIN);
  await drain(t);
}

function page(
  name: Name,
  paginationOpts: Opts,
): Promise<PaginationResult<Row>> {
  return t
    .withIdentity(ADMIN)
    .query(api.analytics[name], { siteId, paginationOpts }) as Promise<
    PaginationResult<Row>
  >;
}

/** Every row of a drill-down, in its order, read in one go for comparison. */
async function everything(name: Name): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (;;) {
    const result = await page(name, { cursor, numItems: 200 });
    ids.push(...result.page.map((row) => row._id));
    if (result.isDone) return ids;
    cursor = result.continueCursor;
  }
}

/** What convex-helpers' `usePaginatedQuery` keeps: a list of page requests, each re-run on every update. */
class PagedView {
  pages: Opts[];
  results: PaginationResult<Row>[] = [];
  splits = 0;
  constructor(
    readonly name: Name,
    readonly initialNumItems: number,
  ) {
    this.pages = [{ cursor: null, numItems: initialNumItems }];
  }
  /** Re-runs every page (a reactive update), splitting grown pages as the hook does. */
  async update(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      this.results = await Promise.all(
        this.pages.map((opts) => page(this.name, opts)),
      );
      const index = this.results.findIndex(
        (r) =>
          r.splitCursor &&
          (r.pageStatus === "SplitRecommended" ||
            r.pageStatus === "SplitRequired" ||
            r.page.length > this.initialNumItems),
      );
      if (index < 0) return;
      const opts = this.pages[index];
      const { splitCursor, continueCursor } = this.results[index];
      this.pages.splice(
        index,
        1,
        { ...opts, endCursor: splitCursor },
        { ...opts, cursor: splitCursor!, endCursor: continueCursor },
      );
      this.splits++;
    }
    throw new Error("pages kept splitting");
  }
  async loadMore(numItems: number): Promise<void> {
    const last = this.results.at(-1)!;
    expect(last.isDone).toBe(false);
    this.pages[this.pages.length - 1] = {
      ...this.pages.at(-1)!,
      endCursor: last.continueCursor,
    };
    this.pages.push({ cursor: last.continueCursor, numItems });
    await this.update();
  }
  get ids(): string[] {
    return this.results.flatMap((r) => r.page.map((row) => row._id));
  }
  get isDone(): boolean {
    return this.results.at(-1)!.isDone;
  }
}

describe.each(NAMES)("%s through paginationOpts", (name) => {
  test("returns a PaginationResult a paginated hook consumes, pages bounded by numItems", async () => {
    await visitsThenAggregate(4);
    const first = await page(name, { cursor: null, numItems: 3 });
    expect(first.page).toHaveLength(3);
    expect(first.isDone).toBe(false);
    expect(typeof first.continueCursor).toBe("string");
    // The built-in hook also sends `id`; it is accepted and ignored.
    const withId = await page(name, {
      cursor: null,
      numItems: 3,
      id: 7,
    } as Opts);
    expect(withId.page.map((r) => r._id)).toEqual(first.page.map((r) => r._id));
  });

  test("pages stay stable while new events arrive: nothing skipped or repeated, old rows keep their order", async () => {
    await visitsThenAggregate(7);
    const view = new PagedView(name, 4);
    await view.update();
    await view.loadMore(4);
    const shown = view.ids;
    expect(new Set(shown).size).toBe(shown.length);

    // Traffic keeps coming while the user looks at two pages.
    await visitsThenAggregate(3);
    await view.update();
    const after = view.ids;
    expect(new Set(after).size).toBe(after.length);
    // Every row shown before is still shown, in the same relative order.
    expect(after.filter((id) => shown.includes(id))).toEqual(shown);
    // Newest-first lists grow at the top (the pinned first page grew and was
    // split); exportEvents, in arrival order, keeps its pinned pages as they were.
    if (name === "exportEvents")
      expect(after.slice(0, shown.length)).toEqual(shown);
    else {
      expect(after.slice(after.length - shown.length)).toEqual(shown);
      expect(view.splits).toBeGreaterThan(0);
    }

    // Loading on to the end lists every row exactly once, in the same order as a fresh read.
    while (!view.isDone) await view.loadMore(4);
    expect(view.ids).toEqual(await everything(name));
  });
});

test("a pinned page that grew reports where to split it, and its two halves equal it", async () => {
  await visitsThenAggregate(3);
  const first = await page("listRawEvents", { cursor: null, numItems: 4 });
  // 12 new events land above the first page's pinned end.
  await visitsThenAggregate(4);
  const pinned = await page("listRawEvents", {
    cursor: null,
    numItems: 4,
    endCursor: first.continueCursor,
  });
  expect(pinned.page).toHaveLength(16);
  expect(pinned.continueCursor).toBe(first.continueCursor);
  expect(pinned.pageStatus).toBe("SplitRecommended");
  expect(pinned.splitCursor).toEqual(expect.any(String));
  const head = await page("listRawEvents", {
    cursor: null,
    numItems: 4,
    endCursor: pinned.splitCursor,
  });
  const tail = await page("listRawEvents", {
    cursor: pinned.splitCursor!,
    numItems: 4,
    endCursor: pinned.continueCursor,
  });
  expect([...head.page, ...tail.page].map((r) => r._id)).toEqual(
    pinned.page.map((r) => r._id),
  );
});

test("without endCursor (what the built-in usePaginatedQuery sends) a new event would push a row out of the gap between pages", async () => {
  // This is why the drill-downs are paged with convex-helpers' hook: the
  // built-in one relies on the `.paginate()` journal to keep page ends fixed,
  // which the component's paginator pages do not have.
  await visitsThenAggregate(2);
  const first = await page("listRawEvents", { cursor: null, numItems: 4 });
  const second = await page("listRawEvents", {
    cursor: first.continueCursor,
    numItems: 4,
  });
  await visitsThenAggregate(1);
  const firstAgain = await page("listRawEvents", { cursor: null, numItems: 4 });
  const shownUnpinned = [...firstAgain.page, ...second.page].map((r) => r._id);
  const lost = first.page
    .map((r) => r._id)
    .filter((id) => !shownUnpinned.includes(id));
  expect(lost).toHaveLength(3);
  // Pinned, nothing is lost.
  const pinned = await page("listRawEvents", {
    cursor: null,
    numItems: 4,
    endCursor: first.continueCursor,
  });
  expect(pinned.page.map((r) => r._id).slice(3)).toEqual(
    first.page.map((r) => r._id),
  );
});
