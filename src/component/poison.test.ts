import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
} from "./testing/setup.js";

const T0 = Date.UTC(2026, 8, 1, 12);
beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0);
});
afterEach(() => vi.useRealTimers());

test("an event that always fails aggregation is isolated, skipped and recorded; the stream goes on", async () => {
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    timezone: "Europe/Berlin",
    rollupShardCount: 1,
  });
  const send = (visitorId: string, paths: string[]) =>
    t.mutation(api.ingest.ingestBatch, {
      writeKeyHash: WRITE_KEY_HASH,
      visitorId,
      sessionId: `${visitorId}-s`,
      events: paths.map((path, k) => ({
        type: "pageview" as const,
        path,
        occurredAt: Date.now() - 10_000 + k,
      })),
    });
  await send("before", ["/a", "/b"]);
  // A corrupt row (an impossible time) that makes every run touching it throw.
  const poisonId = await t.run(async (ctx) =>
    ctx.db.insert("events", {
      siteId,
      visitorId: "bad",
      sessionId: "bad",
      type: "pageview",
      name: "pageview",
      path: "/x",
      occurredAt: Infinity,
      receivedAt: Date.now(),
      shard: 0,
    }),
  );
  vi.setSystemTime(T0 + 1_000);
  await send("after", ["/c"]);
  vi.setSystemTime(T0 + 60_000);
  await drain(t);

  // Two failed runs at the same place, then repair isolates the culprit.
  const failuresBefore = await t.run(async (ctx) =>
    ctx.db.query("aggregationFailures").collect(),
  );
  expect(failuresBefore.length).toBe(1);
  for (let round = 0; round < 3; round++) {
    await t.mutation(api.repair.retryFailedEvents, {});
    await drain(t);
  }
  const failures = await t.run(async (ctx) =>
    ctx.db.query("aggregationFailures").collect(),
  );
  expect(
    failures
      .filter((f) => f.skippedEventId !== undefined)
      .map((f) => f.skippedEventId),
  ).toEqual([poisonId]);
  const overview = await t.query(api.analytics.getOverview, {
    siteId,
    from: T0 - 3_600_000,
    to: T0 + 3_600_000,
  });
  expect(overview).toMatchObject({
    events: 3,
    pageviews: 3,
    sessions: 2,
    visitors: 2,
  });
  const stream = await t.run(async (ctx) =>
    ctx.db.query("aggregationStreams").unique(),
  );
  expect(stream).toMatchObject({ scheduled: false });
  expect(stream?.failures).toBeUndefined();
  expect(stream?.isolateRemaining).toBeUndefined();
});
