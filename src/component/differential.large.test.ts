import { beforeAll, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  setupComponent,
  type TestInstance,
} from "./testing/setup.js";
import { generateTraffic, prng, uniqueEvents } from "./testing/traffic.js";
import { replay } from "./testing/replay.js";
import {
  buildSessions,
  truthOverview,
  truthTop,
  type SentEvent,
  type TruthSession,
} from "./testing/truth.js";
import { TOP_DIMENSIONS } from "./validators.js";
import { TOP_QUERY } from "./testing/queries.js";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 9, 10); // spans the end of European summer time (2026-10-25)

let t: TestInstance;
let siteId: string;
let events: SentEvent[];
let sessions: TruthSession[];

beforeAll(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
  t = setupComponent();
  siteId = await createTestSite(t, { timezone: "Europe/Berlin" });
  const batches = generateTraffic({
    seed: 2026,
    start: START,
    days: 30,
    visitors: 600,
    sessionsPerVisitor: [2, 8],
    eventsPerSession: [3, 12],
    paths: 60,
  });
  await replay(t, batches, 60 * 60_000);
  events = uniqueEvents(batches);
  sessions = buildSessions(events, 30 * 60_000);
  console.log(
    `differential: ${events.length} events, ${sessions.length} sessions, ${new Set(events.map((e) => e.visitorId)).size} visitors`,
  );
}, 1_200_000);

test("≥ 20,000 events: 200 random ranges agree with raw-event truth (overview, timeseries, top lists)", async () => {
  expect(events.length).toBeGreaterThanOrEqual(20_000);
  const r = prng(99);
  for (let i = 0; i < 200; i++) {
    const aligned = i % 2 === 0;
    const from =
      START +
      (aligned ? r.int(0, 29 * 24) * HOUR : r.int(0, 29 * 24 * 60) * 60_000);
    const length = aligned
      ? r.int(1, 30 * 24) * HOUR
      : r.int(5, 30 * 24 * 60) * 60_000;
    const to = Math.min(from + length, START + 31 * 24 * HOUR);
    const overview = await t.query(api.analytics.getOverview, {
      siteId,
      from,
      to,
    });
    const expected = truthOverview(events, sessions, from, to);
    for (const [k, v] of Object.entries(expected))
      expect(
        overview[k as keyof typeof overview],
        `${k} [${from}, ${to})`,
      ).toBeCloseTo(v, 6);
    if (i % 4 === 0) {
      const interval = to - from <= 48 * HOUR ? "hour" : "day";
      const series = await t.query(api.analytics.getTimeseries, {
        siteId,
        from,
        to,
        interval,
      });
      const ends = [...series.slice(1).map((b) => b.bucketStart), to];
      series.forEach((bucket, k) => {
        const { viewsPerSession: _v, ...want } = truthOverview(
          events,
          sessions,
          bucket.bucketStart,
          ends[k],
        );
        for (const [key, v] of Object.entries(want))
          expect(
            bucket[key as keyof typeof bucket],
            `${interval} ${key}`,
          ).toBeCloseTo(v, 6);
      });
    }
    const dimension = TOP_DIMENSIONS[i % TOP_DIMENSIONS.length];
    const top = await t.query(TOP_QUERY[dimension], {
      siteId,
      from,
      to,
      limit: 25,
    });
    expect(top, `${dimension} [${from}, ${to})`).toEqual(
      truthTop(dimension, events, sessions, from, to, 25),
    );
  }
}, 1_200_000);
