import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { getConvexSize } from "convex/values";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";
import { LIMITS } from "./lib/limits.js";
import { flushDeltas, ROLLUP_ROW_BUDGET_BYTES } from "./rollups.js";
import { RollupDeltas } from "./lib/rollupDelta.js";

const NOW = Date.UTC(2026, 3, 14, 9, 30);
let t: TestInstance;
let siteId: string;

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  t = setupComponent();
  siteId = await createTestSite(t);
});
afterEach(() => vi.useRealTimers());

const batch = (events: object[], extra: object = {}) => ({
  writeKeyHash: WRITE_KEY_HASH,
  visitorId: "v1",
  sessionId: "s1",
  events: events as never,
  ...extra,
});

async function tableSizes() {
  return await t.run(async (ctx) => ({
    events: (await ctx.db.query("events").collect()).length,
    visitors: (await ctx.db.query("visitors").collect()).length,
    sessions: (await ctx.db.query("sessions").collect()).length,
    rollupShards: (await ctx.db.query("rollupShards").collect()).length,
  }));
}

describe("ingestBatch", () => {
  test("appends one event document per accepted event and touches nothing else", async () => {
    const result = await t.mutation(
      api.ingest.ingestBatch,
      batch([
        { type: "pageview", path: "/" },
        { type: "track", name: "signup", properties: { plan: "pro" } },
        { type: "identify", userId: "u1", properties: { tier: "gold" } },
      ]),
    );
    expect(result).toMatchObject({ accepted: 3, duplicate: 0, rejected: 0 });
    expect(await tableSizes()).toEqual({
      events: 3,
      visitors: 0,
      sessions: 0,
      rollupShards: 0,
    });
    await drain(t);
    expect(await tableSizes()).toMatchObject({
      events: 3,
      visitors: 1,
      sessions: 1,
    });
  });

  test("a bad event is rejected and counted; the rest of the batch is kept", async () => {
    const result = await t.mutation(
      api.ingest.ingestBatch,
      batch([
        { type: "pageview", path: "/a" },
        { type: "track", name: "x".repeat(LIMITS.maxEventNameLength + 1) },
        {
          type: "pageview",
          path: "/b",
          occurredAt: NOW - LIMITS.maxLateMs - 1,
        },
        {
          type: "track",
          name: "too-many",
          properties: Object.fromEntries(
            Array.from({ length: 33 }, (_, i) => [`k${i}`, i]),
          ),
        },
        { type: "pageview" },
        { type: "pageview", path: "/c", occurredAt: NOW + 3_600_000 },
      ]),
    );
    expect(result.accepted).toBe(2);
    expect(result.rejected).toBe(4);
    expect(result.errors.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    const stored = await t.run(async (ctx) => ctx.db.query("events").collect());
    expect(stored.map((e) => [e.path, e.occurredAt])).toEqual([
      ["/a", NOW],
      ["/c", NOW],
    ]);
  });

  test("the same eventId is accepted once, within a batch and across retries", async () => {
    const events = [
      { type: "pageview", path: "/", eventId: "e1" },
      { type: "pageview", path: "/", eventId: "e1" },
      { type: "pageview", path: "/x", eventId: "e2" },
    ];
    expect(
      await t.mutation(api.ingest.ingestBatch, batch(events)),
    ).toMatchObject({ accepted: 2, duplicate: 1 });
    expect(
      await t.mutation(api.ingest.ingestBatch, batch(events)),
    ).toMatchObject({ accepted: 0, duplicate: 3 });
    vi.setSystemTime(NOW + 20 * 3_600_000);
    expect(
      await t.mutation(api.ingest.ingestBatch, batch(events)),
    ).toMatchObject({ accepted: 0, duplicate: 3 });
    expect((await tableSizes()).events).toBe(2);
  });

  test("whole-batch errors are clear and write nothing", async () => {
    const tooMany = Array.from(
      { length: LIMITS.maxEventsPerBatch + 1 },
      () => ({ type: "pageview", path: "/" }),
    );
    await expect(
      t.mutation(api.ingest.ingestBatch, batch(tooMany)),
    ).rejects.toThrow(/at most 50 events/);
    await expect(
      t.mutation(
        api.ingest.ingestBatch,
        batch([{ type: "pageview", path: "/" }], { visitorId: "" }),
      ),
    ).rejects.toThrow(/visitorId/);
    await expect(
      t.mutation(
        api.ingest.ingestBatch,
        batch([{ type: "pageview", path: "/" }], {
          writeKeyHash: "b".repeat(64),
        }),
      ),
    ).rejects.toThrow(/Unknown or disabled/);
    await t.mutation(api.sites.updateSite, {
      siteId,
      allowedOrigins: ["https://a.example"],
    });
    await expect(
      t.mutation(
        api.ingest.ingestBatch,
        batch([{ type: "pageview", path: "/" }], {
          origin: "https://b.example",
        }),
      ),
    ).rejects.toThrow(/not allowed/);
    expect(
      await t.mutation(
        api.ingest.ingestBatch,
        batch([{ type: "pageview", path: "/" }], {
          origin: "https://a.example",
        }),
      ),
    ).toMatchObject({ accepted: 1 });
    await t.mutation(api.sites.updateSite, { siteId, status: "disabled" });
    await expect(
      t.mutation(
        api.ingest.ingestBatch,
        batch([{ type: "pageview", path: "/" }]),
      ),
    ).rejects.toThrow(/Unknown or disabled/);
    expect((await tableSizes()).events).toBe(1);
  });

  test("the site's property allow/deny lists are applied before storing", async () => {
    await t.mutation(api.sites.updateSite, {
      siteId,
      deniedPropertyKeys: ["email"],
    });
    await t.mutation(
      api.ingest.ingestBatch,
      batch([
        {
          type: "track",
          name: "buy",
          properties: { email: "a@b.c", sku: "x" },
        },
      ]),
    );
    const [event] = await t.run(async (ctx) =>
      ctx.db.query("events").collect(),
    );
    expect(event.properties).toEqual({ sku: "x" });
  });
});

describe("Convex limits that convex-test does not enforce", () => {
  test("the largest event the limits allow stays far below 1 MiB", async () => {
    const properties = Object.fromEntries(
      Array.from({ length: 32 }, (_, i) => [
        `${i}`.padEnd(64, "k"),
        "v".repeat(600),
      ]),
    );
    const big = {
      type: "track",
      name: "n".repeat(120),
      path: "/".repeat(5_000),
      title: "t".repeat(5_000),
      referrer: "r".repeat(5_000),
      properties,
    };
    const context = Object.fromEntries(
      [
        "utmSource",
        "utmMedium",
        "utmCampaign",
        "utmTerm",
        "utmContent",
        "language",
        "screen",
        "timezone",
      ].map((k) => [k, "c".repeat(1_000)]),
    );
    await t.mutation(api.ingest.ingestBatch, batch([big], { context }));
    const [event] = await t.run(async (ctx) =>
      ctx.db.query("events").collect(),
    );
    expect(getConvexSize(event)).toBeLessThan(64 * 1024);
  });

  test("a bucket with 12,000 distinct keys spills into parts under 1 MiB and 8,192 entries each", async () => {
    const deltas = new RollupDeltas();
    for (let i = 0; i < 12_000; i++) {
      deltas.add(
        "hour",
        NOW - (NOW % 3_600_000),
        "page",
        `/article/${i}-${"x".repeat(40)}`,
        { events: 1, pageviews: 1 },
        { hash: i, delta: 1 },
      );
    }
    await t.run(async (ctx) => {
      await flushDeltas(ctx, siteId, 0, deltas);
    });
    const rows = await t.run(async (ctx) =>
      ctx.db.query("rollupShards").collect(),
    );
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.reduce((n, r) => n + r.entries.length, 0)).toBe(12_000);
    for (const row of rows) {
      expect(row.entries.length).toBeLessThanOrEqual(8_192);
      expect(getConvexSize(row)).toBeLessThan(
        ROLLUP_ROW_BUDGET_BYTES + 64 * 1024,
      );
    }
  });

  test("aggregating one 50-event batch with 50 paths and a long session stays inside the limits", async () => {
    const events = Array.from({ length: 50 }, (_, i) => ({
      type: "pageview",
      path: `/p/${i}`,
      occurredAt: NOW - 23 * 3_600_000 + i * 25 * 60_000,
      eventId: `e${i}`,
    }));
    await t.mutation(api.ingest.ingestBatch, batch(events));
    await drain(t);
    const from = NOW - 24 * 3_600_000;
    const overview = await t.query(api.analytics.getOverview, {
      siteId,
      from,
      to: NOW + 1,
    });
    expect(overview).toMatchObject({
      events: 50,
      pageviews: 50,
      sessions: 1,
      visitors: 1,
      bounceRate: 0,
    });
    expect(overview.averageSessionDurationMs).toBe(49 * 25 * 60_000);
  });
});
