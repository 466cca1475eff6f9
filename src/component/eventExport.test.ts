import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  decodeExportCursor,
  encodeExportCursor,
  EXPORT_SETTLE_MS,
} from "./eventExport.js";
import {
  createTestSite,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";

const T0 = Date.UTC(2026, 8, 1, 9);
const SECOND = 1_000;
let t: TestInstance;
let siteId: string;
let batches = 0;

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
  t = setupComponent();
  siteId = await createTestSite(t);
  batches = 0;
});
afterEach(() => vi.useRealTimers());

/** Ingests one batch of `n` pageviews at the current clock; returns their paths. */
async function ingest(n: number): Promise<string[]> {
  const b = batches++;
  const paths = Array.from({ length: n }, (_, k) => `/b${b}/e${k}`);
  await t.mutation(api.ingest.ingestBatch, {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: `v${b % 5}`,
    sessionId: `s${b}`,
    events: paths.map((path) => ({ type: "pageview" as const, path })),
  });
  return paths;
}

type ExportResult = {
  page: { path?: string; _creationTime: number }[];
  isDone: boolean;
  continueCursor: string;
};

/** Reads pages from `cursor` until `isDone`; returns the paths and the final cursor. */
async function exportAll(
  cursor: string | null,
  numItems = 3,
  extra: { from?: number; to?: number } = {},
) {
  const paths: string[] = [];
  for (let i = 0; i < 1_000; i++) {
    const result: ExportResult = await t.query(api.analytics.exportEvents, {
      siteId,
      cursor,
      numItems,
      ...extra,
    });
    paths.push(...result.page.map((e) => e.path!));
    cursor = result.continueCursor;
    if (result.isDone) return { paths, cursor };
  }
  throw new Error("export never finished");
}

const settle = () => vi.advanceTimersByTime(EXPORT_SETTLE_MS + SECOND);

describe("exportEvents resumes", () => {
  test("the cursor of a finished export returns exactly the events that arrived since", async () => {
    const first = [...(await ingest(4)), ...(await ingest(3))];
    settle();
    const run1 = await exportAll(null);
    expect(run1.paths).toEqual(first);

    // Nothing new: the same cursor comes back with nothing, and stays usable.
    const idle = await t.query(api.analytics.exportEvents, {
      siteId,
      cursor: run1.cursor,
      numItems: 3,
    });
    expect(idle).toMatchObject({
      page: [],
      isDone: true,
      continueCursor: run1.cursor,
    });

    const second = [...(await ingest(2)), ...(await ingest(5))];
    settle();
    const run2 = await exportAll(run1.cursor);
    expect(run2.paths).toEqual(second);
    expect((await exportAll(run2.cursor)).paths).toEqual([]);
  });

  test("an empty first export still resumes from the beginning", async () => {
    const empty = await exportAll(null);
    expect(empty.paths).toEqual([]);
    const later = await ingest(3);
    settle();
    expect((await exportAll(empty.cursor)).paths).toEqual(later);
  });

  test("rounds of ingest and export at varying delays lose and repeat nothing, and hand out only settled events", async () => {
    const sent: string[] = [];
    const exported: string[] = [];
    let cursor: string | null = null;
    let withheld = 0;
    for (let round = 0; round < 12; round++) {
      sent.push(...(await ingest(1 + (round % 4))));
      vi.advanceTimersByTime(((round * 7) % 5) * 2 * SECOND); // 0-8 s: sometimes inside the window, sometimes past it
      const run = await exportAll(cursor, 2);
      const settledBefore = Date.now() - EXPORT_SETTLE_MS;
      const fresh = await t.run(async (ctx) =>
        (await ctx.db.query("events").collect()).filter(
          (e) => e._creationTime >= settledBefore,
        ),
      );
      for (const event of fresh) expect(run.paths).not.toContain(event.path);
      withheld += fresh.length > 0 ? 1 : 0;
      exported.push(...run.paths);
      cursor = run.cursor;
    }
    expect(withheld).toBeGreaterThan(0); // the window held events back in some rounds
    settle();
    exported.push(...(await exportAll(cursor, 2)).paths);
    expect(exported).toEqual(sent);
  });

  test("an event inside the settle window is not exported; once settled it is, once", async () => {
    const [path] = await ingest(1);
    vi.advanceTimersByTime(EXPORT_SETTLE_MS - SECOND);
    const early = await exportAll(null);
    expect(early.paths).toEqual([]);
    vi.advanceTimersByTime(2 * SECOND);
    const late = await exportAll(early.cursor);
    expect(late.paths).toEqual([path]);
    expect((await exportAll(late.cursor)).paths).toEqual([]);
  });

  test("from/to bound arrival times; a finished bounded export resumes inside the bounds", async () => {
    const early = await ingest(2);
    vi.advanceTimersByTime(60 * SECOND);
    const from = Date.now();
    const inside = await ingest(3);
    vi.advanceTimersByTime(60 * SECOND);
    const to = Date.now();
    await ingest(2);
    settle();
    const bounded = await exportAll(null, 2, { from, to });
    expect(bounded.paths).toEqual(inside);
    expect((await exportAll(bounded.cursor, 2, { from, to })).paths).toEqual(
      [],
    );
    expect((await exportAll(null, 50, { to: from })).paths).toEqual(early);
  });

  test("cursors: earlier page cursors are read, garbage is refused clearly", async () => {
    const paths = await ingest(4);
    settle();
    const events = await t.run(async (ctx) => ctx.db.query("events").collect());
    // A cursor of the earlier paginator format, [siteId, _creationTime, _id], after the second event.
    const legacy = JSON.stringify([
      siteId,
      events[1]._creationTime,
      events[1]._id,
    ]);
    expect((await exportAll(legacy)).paths).toEqual(paths.slice(2));
    await expect(
      t.query(api.analytics.exportEvents, {
        siteId,
        cursor: "[]",
        numItems: 5,
      }),
    ).rejects.toThrow(/unrecognized cursor/);
    await expect(
      t.query(api.analytics.exportEvents, {
        siteId,
        cursor: "not json",
        numItems: 5,
      }),
    ).rejects.toThrow(/unrecognized cursor/);
  });
});

test("cursor encoding round-trips", () => {
  const position = { after: 1_725_181_200_000.5, id: "k57abc" };
  expect(decodeExportCursor(encodeExportCursor(position), 0)).toEqual(position);
  expect(decodeExportCursor(null, 42)).toEqual({ after: 42, id: null });
});

// ------------------------------------------------------- commit order, ties

type FakeEvent = {
  _id: string;
  _creationTime: number;
  siteId: string;
  path: string;
};

/**
 * A database whose contents the test controls, to model what convex-test
 * cannot: an ingest that commits after a later-created event was already
 * visible (its `_creationTime` is its mutation's start), and two events at
 * one instant. Only what exportPage uses is implemented.
 */
function fakeCtx(visible: FakeEvent[]) {
  const site = { _id: "site1", _creationTime: 0 };
  type Range = { lower: number; upper: number };
  const range: Range = { lower: -Infinity, upper: Infinity };
  const builder = {
    eq: () => builder,
    gte: (_f: string, value: number) => ((range.lower = value), builder),
    lt: (_f: string, value: number) => ((range.upper = value), builder),
  };
  const db = {
    normalizeId: (_table: string, id: string) => id,
    get: async (_table: "sites", id: string) => (id === site._id ? site : null),
    query: () => ({
      withIndex: (_index: string, apply: (q: typeof builder) => unknown) => {
        apply(builder);
        const rows = visible
          .filter(
            (e) =>
              e._creationTime >= range.lower && e._creationTime < range.upper,
          )
          .sort(
            (a, b) =>
              a._creationTime - b._creationTime || (a._id < b._id ? -1 : 1),
          );
        return (async function* () {
          yield* rows;
        })();
      },
    }),
  };
  return { db } as never;
}

describe("exportPage against commit order", () => {
  const ev = (id: string, at: number): FakeEvent => ({
    _id: id,
    _creationTime: at,
    siteId: "site1",
    path: `/${id}`,
  });
  const paths = (result: { page: unknown[] }) =>
    result.page.map((e) => (e as FakeEvent).path);

  test("an event that commits after a later-created one is still exported, once", async () => {
    const { exportPage } = await import("./eventExport.js");
    const db: FakeEvent[] = [ev("b", T0 + 2 * SECOND)]; // "a" (created at T0) is still committing
    vi.setSystemTime(T0 + 3 * SECOND);
    const first = await exportPage(fakeCtx(db), {
      siteId: "site1",
      cursor: null,
      numItems: 10,
    });
    expect(paths(first)).toEqual([]); // "b" is too young: handing it out would move the cursor past "a"
    db.push(ev("a", T0)); // the slow ingest commits
    vi.setSystemTime(T0 + 2 * SECOND + EXPORT_SETTLE_MS + 1);
    const second = await exportPage(fakeCtx(db), {
      siteId: "site1",
      cursor: first.continueCursor,
      numItems: 10,
    });
    expect(paths(second)).toEqual(["/a", "/b"]);
    const third = await exportPage(fakeCtx(db), {
      siteId: "site1",
      cursor: second.continueCursor,
      numItems: 10,
    });
    expect(paths(third)).toEqual([]);
  });

  test("events at the same instant are split across pages without loss or repeats", async () => {
    const { exportPage } = await import("./eventExport.js");
    const db = ["a", "b", "c", "d", "e"].map((id) => ev(id, T0));
    db.push(ev("f", T0 + 1));
    vi.setSystemTime(T0 + EXPORT_SETTLE_MS + SECOND);
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const result = await exportPage(fakeCtx(db), {
        siteId: "site1",
        cursor,
        numItems: 2,
      });
      seen.push(...paths(result));
      cursor = result.continueCursor;
      if (result.isDone) break;
    }
    expect(seen).toEqual(["/a", "/b", "/c", "/d", "/e", "/f"]);
  });
});
