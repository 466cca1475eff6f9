import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import { createTestSite, drain, setupComponent, WRITE_KEY_HASH } from "./testing/setup.js";
import { measure } from "./testing/meter.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

function sessionBatch(i: number, at: number) {
  return {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: `v${i % 60}`,
    sessionId: `s${i}`,
    context: { device: "desktop", browser: "Chrome", os: "Linux", country: "DE" },
    events: Array.from({ length: 5 }, (_, k) => ({
      type: "pageview" as const,
      path: `/p${(i + k) % 20}`,
      occurredAt: at + k * 1000,
      eventId: `e${i}-${k}`,
    })),
  };
}

test("pipeline cost", async () => {
  const t = setupComponent();
  await createTestSite(t);
  const start = Date.now();
  const ingest = await measure(async () => {
    for (let i = 0; i < 100; i++) await t.mutation(api.ingest.ingestBatch, sessionBatch(i, start - 60_000));
  });
  const agg = await measure(() => drain(t));
  console.log("pending: ingest", ingest.usage, "drain", agg.usage);

  const t2 = setupComponent();
  await createTestSite(t2);
  const each = await measure(async () => {
    for (let i = 0; i < 100; i++) {
      await t2.mutation(api.ingest.ingestBatch, sessionBatch(i, Date.now() - 60_000));
      await drain(t2);
    }
  });
  console.log("each:", each.usage);
  expect(ingest.usage.documentsWritten).toBeGreaterThan(0);
});
