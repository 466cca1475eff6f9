import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";

const T0 = Date.UTC(2026, 7, 20, 10);
const MIN = 60_000;
let t: TestInstance;
let siteId: string;
let sent = 0;

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
  t = setupComponent();
  siteId = await createTestSite(t);
  sent = 0;
});
afterEach(() => vi.useRealTimers());

/** Sends `n` events of one new session at the current clock, spaced a second apart. */
async function sendSession(
  n: number,
  props: (k: number) => Record<string, string> = () => ({}),
) {
  const s = sent++;
  await t.mutation(api.ingest.ingestBatch, {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: `v${s % 7}`,
    sessionId: `s${s}`,
    events: Array.from({ length: n }, (_, k) => ({
      type: k % 2 ? ("track" as const) : ("pageview" as const),
      ...(k % 2
        ? { name: "choose", properties: props(k) }
        : { path: `/p${k}` }),
      occurredAt: Date.now() - (n - k) * 1000,
    })),
  });
}

const DRILL_DOWNS = [
  "listRawEvents",
  "listPageviews",
  "listSessions",
  "listVisitors",
  "exportEvents",
] as const;

test.each(DRILL_DOWNS)(
  "%s pages through everything once while new events arrive",
  async (name) => {
    for (let i = 0; i < 12; i++) {
      vi.setSystemTime(T0 + i * 2 * 3_600_000);
      await sendSession(5);
    }
    vi.setSystemTime(T0 + 30 * 3_600_000);
    await drain(t);
    const before = await t.run(async (ctx) => ({
      listRawEvents: (await ctx.db.query("events").collect()).map(
        (e) => e._id as string,
      ),
      listPageviews: (await ctx.db.query("events").collect())
        .filter((e) => e.type === "pageview")
        .map((e) => e._id as string),
      listSessions: (await ctx.db.query("sessions").collect()).map(
        (s) => s._id as string,
      ),
      listVisitors: (await ctx.db.query("visitors").collect()).map(
        (v) => v._id as string,
      ),
      exportEvents: (await ctx.db.query("events").collect()).map(
        (e) => e._id as string,
      ),
    }));
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 100; page++) {
      const result: {
        page: { _id: string }[];
        isDone: boolean;
        continueCursor: string;
      } = await t.query(api.analytics[name], { siteId, cursor, numItems: 7 });
      seen.push(...result.page.map((x) => x._id));
      if (result.isDone) break;
      cursor = result.continueCursor;
      // New traffic lands between pages (newer than anything listed so far).
      vi.setSystemTime(Date.now() + 3 * MIN);
      await sendSession(3);
      await drain(t);
    }
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before[name]) expect(seen).toContain(id);
  },
);

test("numItems is capped at 200 and must be positive", async () => {
  await expect(
    t.query(api.analytics.listRawEvents, { siteId, cursor: null, numItems: 0 }),
  ).rejects.toThrow(/numItems/);
  for (let i = 0; i < 5; i++) await sendSession(50);
  const page = await t.query(api.analytics.listRawEvents, {
    siteId,
    cursor: null,
    numItems: 10_000,
  });
  expect(page.page.length).toBe(200);
  expect(page.isDone).toBe(false);
});

test("event property breakdown and realtime match the raw events", async () => {
  const plans = ["pro", "free", "pro", "team", "pro"];
  for (let i = 0; i < plans.length; i++) {
    vi.setSystemTime(T0 + i * 4 * MIN);
    await sendSession(4, () => ({ plan: plans[i] }));
  }
  await drain(t);
  const breakdown = await t.query(api.analytics.getEventPropertyBreakdown, {
    siteId,
    from: T0 - 3_600_000,
    to: T0 + 3_600_000,
    eventName: "choose",
    propertyKey: "plan",
  });
  // Each session sent two "choose" events; visitors v0..v4 are distinct here.
  expect(breakdown).toEqual([
    { value: "pro", count: 6, visitors: 3 },
    { value: "free", count: 2, visitors: 1 },
    { value: "team", count: 2, visitors: 1 },
  ]);
  const realtime = await t.query(api.analytics.getRealtime, {
    siteId,
    now: T0 + 16 * MIN + 30_000,
  });
  // Sessions 3 and 4 (sent at +12 and +16 min) fall in the last 5 minutes.
  expect(realtime.visitors).toBe(2);
  expect(realtime.pageviewsPerMinute).toHaveLength(30);
  expect(realtime.pageviewsPerMinute.reduce((n, m) => n + m.pageviews, 0)).toBe(
    10,
  );
});

test("ranges are checked", async () => {
  await expect(
    t.query(api.analytics.getOverview, { siteId, from: T0, to: T0 }),
  ).rejects.toThrow(/empty/);
  await expect(
    t.query(api.analytics.getTimeseries, {
      siteId,
      from: T0,
      to: T0 + 100 * 86_400_000,
      interval: "hour",
    }),
  ).rejects.toThrow(/buckets/);
  await expect(
    t.query(api.analytics.getOverview, {
      siteId: "nope",
      from: T0,
      to: T0 + 1,
    }),
  ).rejects.toThrow(/Unknown site/);
});

test("raw edges past their cap fail with a clear error, not a wrong number; breakdowns never read raw events", async () => {
  const base = T0 - (T0 % 3_600_000) + 3_600_000;
  // Seeded in chunks: one transaction may write at most 16,000 documents.
  for (let chunk = 0; chunk < 16_001; chunk += 8_000)
    await t.run(async (ctx) => {
      for (let i = chunk; i < Math.min(chunk + 8_000, 16_001); i++) {
        await ctx.db.insert("events", {
          siteId,
          visitorId: `v${i % 900}`,
          sessionId: `s${i % 900}`,
          type: "track",
          name: "buy",
          properties: { sku: `k${i % 3}` },
          occurredAt: base + 10 * MIN + (i % 1_200) * 1_000,
          receivedAt: base,
          shard: 0,
        });
      }
    });
  // Hour-aligned: rollups only, no raw reads (nothing is aggregated, so zero events).
  expect(
    (
      await t.query(api.analytics.getOverview, {
        siteId,
        from: base,
        to: base + 3_600_000,
      })
    ).events,
  ).toBe(0);
  await expect(
    t.query(api.analytics.getOverview, {
      siteId,
      from: base + MIN,
      to: base + 3_600_000,
    }),
  ).rejects.toThrow(/hour-aligned range/);
  // Breakdowns read rollups too, never the hour's raw events: nothing aggregated, nothing shown.
  expect(
    await t.query(api.analytics.getEventPropertyBreakdown, {
      siteId,
      from: base,
      to: base + 3_600_000,
      eventName: "buy",
      propertyKey: "sku",
    }),
  ).toEqual([]);
});
