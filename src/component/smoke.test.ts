import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import { createTestSite, drain, setupComponent, WRITE_KEY_HASH } from "./testing/setup.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test("smoke", async () => {
  const t = setupComponent();
  const siteId = await createTestSite(t);
  const now = Date.now();
  const r = await t.mutation(api.ingest.ingestBatch, {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: "v1",
    sessionId: "s1",
    events: [
      { type: "pageview", path: "/", occurredAt: now - 1000 },
      { type: "pageview", path: "/a", occurredAt: now - 500 },
    ],
  });
  expect(r.accepted).toBe(2);
  await drain(t);
  const rows = await t.run(async (ctx) => ctx.db.query("rollupShards").collect());
  console.log(rows.length, rows.map((r) => `${r.interval} ${r.dimension} ${r.entries.map((e) => e.key + ":" + e.events).join(",")}`));
  const sessions = await t.run(async (ctx) => ctx.db.query("sessions").collect());
  expect(sessions.length).toBe(1);
  expect(siteId).toBeTruthy();
});
