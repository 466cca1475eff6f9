/**
 * Issue 3's scale proof, in `npm test`: 30 days of traffic at 2,000 and at
 * 200,000 events, then the dashboard's hour-aligned 30-day queries. Each must
 * fit Convex's limits, read no raw events, stay under its target, and read
 * about as many documents at 200,000 events as at 2,000: reads grow with
 * buckets and keys, not with events.
 */
import { expect, test, vi } from "vitest";
import { DAY, generateShape } from "./shape.js";
import { seedByReplay, seedChunked } from "./seed.js";
import { fits, measureQuery, type QueryName } from "./scenarios.js";

const START = Date.UTC(2026, 0, 5);
const END = START + 30 * DAY;
const QUERIES: QueryName[] = ["getOverview", "getTimeseries day", "getTimeseries hour", "getTopPages"];

async function measure30Days(events: number, seed: number) {
  const batches = generateShape({ seed, start: START, days: 30, events });
  const d = events <= 2_000 ? await seedByReplay(batches, START) : await seedChunked(batches, START, 2_000);
  vi.setSystemTime(d.now);
  const out = new Map<QueryName, Awaited<ReturnType<typeof measureQuery>>>();
  for (const q of QUERIES) out.set(q, await measureQuery(d.t, d.siteId, q, END - 30 * DAY, END, "30 d", true));
  return out;
}

test("30-day hour-aligned queries: inside the limits at 200,000 events, and flat from 2,000", async () => {
  vi.useFakeTimers();
  try {
    const small = await measure30Days(2_000, 101);
    const big = await measure30Days(200_000, 202);
    const line = (q: QueryName) => `${q}: ${small.get(q)!.docs} → ${big.get(q)!.docs} documents, ${(big.get(q)!.bytes / 2 ** 20).toFixed(2)} MiB`;
    console.log(`scale (2,000 → 200,000 events over 30 days)\n  ${QUERIES.map(line).join("\n  ")}`);
    for (const q of QUERIES) {
      const m = big.get(q)!;
      expect(fits(m), `${q}: ${m.error ?? `${m.docs} docs`}`).toBe(true);
      expect(m.rawEvents, q).toBe(0);
    }
    expect(big.get("getOverview")!.docs).toBeLessThanOrEqual(300);
    expect(big.get("getTopPages")!.docs).toBeLessThanOrEqual(1_500);
    // Rollup reads depend on buckets, not events: the daily queries stay within 10%.
    for (const q of ["getOverview", "getTimeseries day", "getTopPages"] as const) {
      const ratio = big.get(q)!.docs / small.get(q)!.docs;
      expect(ratio, line(q)).toBeGreaterThanOrEqual(0.9);
      expect(ratio, line(q)).toBeLessThanOrEqual(1.1);
    }
    // The hourly series reads at most one compacted row per hour (720), however many events.
    expect(big.get("getTimeseries hour")!.docs).toBeLessThanOrEqual(720 + 10);
  } finally {
    vi.useRealTimers();
  }
}, 900_000);
