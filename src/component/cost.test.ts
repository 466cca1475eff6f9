import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";
import { measure, type Usage } from "./testing/meter.js";

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

const SESSIONS = 100;
const EVENTS_PER_SESSION = 5;

/** One session's batch: 5 events, a returning visitor every other session. */
function sessionBatch(i: number, at: number) {
  return {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: `v${Math.floor(i / 2)}`,
    sessionId: `s${i}`,
    context: {
      device: "desktop",
      browser: "Chrome",
      os: "Linux",
      country: "DE",
      ...(i % 3 === 0 ? { utmSource: "news" } : {}),
    },
    events: Array.from({ length: EVENTS_PER_SESSION }, (_, k) => ({
      type: k === 3 ? ("track" as const) : ("pageview" as const),
      ...(k === 3 ? { name: "signup" } : { path: `/p${(i * 7 + k) % 40}` }),
      occurredAt: at + k * 20_000,
      eventId: `e${i}-${k}`,
    })),
  };
}

const perEvent = (u: Usage, events: number) => ({
  written: +(u.documentsWritten / events).toFixed(2),
  read: +(u.documentsRead / events).toFixed(2),
  kbWritten: +(u.bytesWritten / events / 1024).toFixed(2),
});

async function freshSite(): Promise<TestInstance> {
  vi.setSystemTime(Date.UTC(2026, 4, 4, 12));
  const t = setupComponent();
  await createTestSite(t);
  return t;
}

test("pipeline cost when 100 sessions' batches are pending before aggregation runs", async () => {
  const t = await freshSite();
  const start = Date.now() - 3_600_000;
  const events = SESSIONS * EVENTS_PER_SESSION;
  const ingest = await measure(async () => {
    for (let i = 0; i < SESSIONS; i++)
      await t.mutation(
        api.ingest.ingestBatch,
        sessionBatch(i, start + i * 1_000),
      );
  });
  const aggregation = await measure(() => drain(t));
  const total = { ...ingest.usage };
  for (const k of Object.keys(total) as (keyof Usage)[])
    total[k] += aggregation.usage[k];
  const stored = await t.run(
    async (ctx) => (await ctx.db.query("events").collect()).length,
  );
  console.log("cost, batches pending:", {
    ingest: perEvent(ingest.usage, events),
    aggregation: perEvent(aggregation.usage, events),
    total: perEvent(total, events),
  });
  expect(stored).toBe(events);
  expect(total.documentsWritten / events).toBeLessThanOrEqual(2.5);
  expect(total.documentsRead / events).toBeLessThanOrEqual(4);
});

test("pipeline cost when aggregation runs after every batch", async () => {
  const t = await freshSite();
  const events = SESSIONS * EVENTS_PER_SESSION;
  const run = await measure(async () => {
    for (let i = 0; i < SESSIONS; i++) {
      await t.mutation(
        api.ingest.ingestBatch,
        sessionBatch(i, Date.now() - 120_000),
      );
      await drain(t);
    }
  });
  console.log(
    "cost, aggregation after every batch:",
    perEvent(run.usage, events),
  );
  expect(run.usage.documentsWritten / events).toBeLessThanOrEqual(7.5);
});

test("ingestBatch writes exactly one document per accepted event while its stream is scheduled", async () => {
  const t = await freshSite();
  // The first batch schedules the stream; later batches of the same stream only append.
  await t.mutation(
    api.ingest.ingestBatch,
    sessionBatch(0, Date.now() - 60_000),
  );
  for (const size of [1, 10, 50]) {
    const b = sessionBatch(0, Date.now() - 60_000);
    b.events = Array.from({ length: size }, (_, k) => ({
      type: "pageview" as const,
      path: `/q${k}`,
      occurredAt: Date.now() - 50_000 + k,
      eventId: `x${size}-${k}`,
    }));
    const { usage } = await measure(() =>
      t.mutation(api.ingest.ingestBatch, b),
    );
    expect(usage.documentsWritten, `batch of ${size}`).toBe(size);
  }
});
