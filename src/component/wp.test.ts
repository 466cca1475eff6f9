import { afterEach, beforeEach, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import { createTestSite, drain, setupComponent, WRITE_KEY_HASH } from "./testing/setup.js";
import { measure } from "./testing/meter.js";
beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());
test("wp", async () => {
  const t = setupComponent();
  await createTestSite(t);
  for (let i = 0; i < 3; i++) {
    const ing = await measure(() => t.mutation(api.ingest.ingestBatch, { writeKeyHash: WRITE_KEY_HASH, visitorId: "v" + i, sessionId: "s" + i,
      events: [0,1,2,3,4].map((k) => ({ type: "pageview" as const, path: "/p" + k, occurredAt: Date.now() - 10000 + k })) }));
    const d = await measure(() => drain(t));
    console.log("ingest", ing.usage.documentsWritten, ing.usage.documentsRead, "drain", d.usage.documentsWritten, d.usage.documentsRead);
  }
});
