import { beforeAll, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  type TestInstance,
} from "./testing/setup.js";
import { generateTraffic, prng, uniqueEvents } from "./testing/traffic.js";
import { replay } from "./testing/replay.js";
import {
  TRUTH_DIMENSIONS,
  buildSessions,
  truthOverview,
  truthTop,
  type SentEvent,
  type TruthSession,
} from "./testing/truth.js";
import { TOP_DIMENSIONS } from "./validators.js";
import { TOP_QUERY } from "./testing/queries.js";

const HOUR = 3_600_000;
const TIMEOUT = 30 * 60_000;
const START = Date.UTC(2026, 2, 1); // spans the US DST switch of 2026-03-08

function closeTo(actual: object, expected: Record<string, number>) {
  for (const [k, v] of Object.entries(expected))
    expect((actual as Record<string, number>)[k], k).toBeCloseTo(v, 6);
}

describe.each([
  { timezone: "America/New_York", visitors: 120, seed: 7 },
  { timezone: "Asia/Kolkata", visitors: 60, seed: 11 },
])(
  "rollups equal raw-event truth ($timezone)",
  ({ timezone, visitors, seed }) => {
    let t: TestInstance;
    let siteId: string;
    let events: SentEvent[];
    let sessions: TruthSession[];

    beforeAll(async () => {
      vi.useFakeTimers();
      vi.setSystemTime(START);
      t = setupComponent();
      siteId = await createTestSite(t, { timezone });
      const batches = generateTraffic({
        seed,
        start: START,
        days: 10,
        visitors,
        sessionsPerVisitor: [1, 4],
        eventsPerSession: [1, 8],
      });
      const sent = await replay(t, batches);
      events = uniqueEvents(batches);
      sessions = buildSessions(events, TIMEOUT);
      expect(sent.accepted).toBe(events.length);
      expect(sent.duplicate).toBe(
        batches.reduce((n, b) => n + b.events.length, 0) - events.length,
      );
    }, 600_000);

    async function expectRandomRangesTrue(label: string) {
      const r = prng(seed * 31);
      for (let i = 0; i < 40; i++) {
        const aligned = r.chance(0.5);
        const from =
          START +
          (aligned ? r.int(0, 9 * 24) * HOUR : r.int(0, 9 * 24 * 60) * 60_000);
        const length = aligned
          ? r.int(1, 10 * 24) * HOUR
          : r.int(5, 10 * 24 * 60) * 60_000;
        const to = from + length;
        const overview = await t.query(api.analytics.getOverview, {
          siteId,
          from,
          to,
        });
        closeTo(overview, truthOverview(events, sessions, from, to));

        const interval = length <= 48 * HOUR ? "hour" : "day";
        const series = await t.query(api.analytics.getTimeseries, {
          siteId,
          from,
          to,
          interval,
        });
        const ends = [...series.slice(1).map((b) => b.bucketStart), to];
        series.forEach((bucket, k) => {
          const { viewsPerSession: _v, ...expected } = truthOverview(
            events,
            sessions,
            bucket.bucketStart,
            ends[k],
          );
          closeTo(bucket, expected);
        });

        const dimension = TOP_DIMENSIONS[i % TOP_DIMENSIONS.length];
        const top = await t.query(TOP_QUERY[dimension], {
          siteId,
          from,
          to,
          limit: 100,
        });
        expect(top, `${label}: ${dimension} ${from}-${to}`).toEqual(
          truthTop(dimension, events, sessions, from, to, 100),
        );
      }
    }

    /** Runs the compaction chain as the cron would, with the clock at `now`. */
    async function compactAt(now: number) {
      vi.setSystemTime(now);
      await t.mutation(api.compaction.compact, { siteId });
      await drain(t);
    }

    test("random ranges: overview, timeseries and every top list", async () => {
      // The oracle derives every registered dimension on its own.
      expect(
        TOP_DIMENSIONS.filter((d) => !TRUTH_DIMENSIONS.includes(d)),
      ).toEqual([]);
      await expectRandomRangesTrue("live rows");
    }, 600_000);

    test("the same after compaction part-way (hour and day units, blocks, open days) and after all of it", async () => {
      await compactAt(START + 5 * 24 * HOUR + 3 * HOUR);
      const mark = await t.run((ctx) =>
        ctx.db.query("rollupWatermarks").first(),
      );
      expect(mark!.hoursBefore).toBeGreaterThan(START);
      expect(
        await t.run(async (ctx) =>
          (await ctx.db.query("rollupTops").collect()).some(
            (r) => r.level >= 2,
          ),
        ),
      ).toBe(true);
      await expectRandomRangesTrue("part-way");
      await compactAt(START + 14 * 24 * HOUR);
      const levels = await t.run(async (ctx) =>
        (await ctx.db.query("rollupTops").collect()).map((r) => r.level),
      );
      expect([...new Set(levels)].sort()).toEqual([0, 1, 2, 3, 4]);
      const live = await t.run(
        async (ctx) => (await ctx.db.query("rollupShards").collect()).length,
      );
      expect(live).toBe(0);
      await expectRandomRangesTrue("compacted");
    }, 600_000);
  },
);
