// The dashboard's live split (README, "A dashboard left open"): a range is
// asked for as a settled part [from, since) and a live part [since, to).
// Combined, the two must give exactly the figures of the whole range, with
// visitors merged, not added; the truth comes from the raw events sent.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import { figuresOfParts } from "./lib/totals.js";
import { floorToLocalDay, nextLocalDay } from "./lib/time.js";
import { replay } from "./testing/replay.js";
import { createTestSite, setupComponent } from "./testing/setup.js";
import { generateTraffic, uniqueEvents } from "./testing/traffic.js";
import { buildSessions, truthOverview } from "./testing/truth.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 4, 4, 4); // midnight in New York
const ZONE = "America/New_York";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(START);
});
afterEach(() => vi.useRealTimers());

/**
 * Two days of traffic; with `compactAt`, the batches that arrived before it
 * are replayed, compaction runs then, and the rest follow (convex-test's
 * clock never goes back, so compaction has to run in between).
 */
async function siteWithTraffic(compactAt?: number) {
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    rollupShardCount: 4,
    timezone: ZONE,
  });
  const batches = generateTraffic({
    seed: 41,
    start: START,
    days: 2,
    visitors: 60,
    sessionsPerVisitor: [1, 3],
    eventsPerSession: [1, 6],
  });
  const cut = compactAt ?? Infinity;
  await replay(
    t,
    batches.filter((b) => b.arrival < cut),
  );
  if (compactAt !== undefined) {
    vi.setSystemTime(compactAt);
    await t.action(internal.compaction.compactShards, { siteId, since: 0 });
    await replay(
      t,
      batches.filter((b) => b.arrival >= cut),
    );
  }
  const events = uniqueEvents(batches);
  return { t, siteId, events, sessions: buildSessions(events, 30 * MINUTE) };
}

function expectFigures(
  actual: Record<string, number>,
  expected: Record<string, number>,
) {
  for (const [field, value] of Object.entries(expected))
    expect(actual[field], field).toBeCloseTo(value, 9);
}

describe("settled and live parts of a range", () => {
  test("combine to the whole range's truth, visitors merged; the chart's buckets too", async () => {
    // Compaction settles the hours that ended 10 minutes before it runs.
    const { t, siteId, events, sessions } = await siteWithTraffic(
      START + 30 * HOUR + 20 * MINUTE,
    );
    const from = START;
    const to = START + 3 * DAY;

    for (const interval of ["day", "hour"] as const) {
      const live = await t.query(api.analytics.getLiveReport, {
        siteId,
        from,
        to,
        interval,
      });
      expect(live.since).toBe(START + 30 * HOUR);
      expect(live.parts.events).toBeGreaterThan(0);
      const settled = await t.query(api.analytics.getOverview, {
        siteId,
        from,
        to: live.since,
        parts: true,
      });
      const whole = truthOverview(events, sessions, from, to);
      const combined = figuresOfParts([settled.parts!, live.parts]);
      expectFigures(combined, whole);
      // Visitors of both parts are not simply added up.
      const settledOnly = truthOverview(events, sessions, from, live.since);
      const liveOnly = truthOverview(events, sessions, live.since, to);
      expect(settledOnly.visitors + liveOnly.visitors).toBeGreaterThan(
        whole.visitors,
      );

      const history = await t.query(api.analytics.getTimeseries, {
        siteId,
        from,
        to: live.timeseriesFrom,
        interval,
      });
      const chart = [...history, ...live.timeseries];
      const starts = bucketStarts(from, to, interval);
      expect(chart.map((row) => row.bucketStart)).toEqual(starts);
      for (const [i, row] of chart.entries()) {
        const end = starts[i + 1] ?? to;
        const truth = truthOverview(events, sessions, row.bucketStart, end);
        expect(row.events).toBe(truth.events);
        expect(row.pageviews).toBe(truth.pageviews);
        expect(row.sessions).toBe(truth.sessions);
        expect(row.visitors).toBe(truth.visitors);
      }
      if (interval === "day")
        expect(live.timeseriesFrom).toBe(floorToLocalDay(live.since, ZONE));
      else expect(live.timeseriesFrom).toBe(live.since);
    }
  });

  test("new events change the live part only; settling an hour moves `since`", async () => {
    const { t, siteId } = await siteWithTraffic();
    vi.setSystemTime(START + 3 * DAY + 20 * MINUTE);
    await t.action(internal.compaction.compactShards, { siteId, since: 0 });
    const range = { siteId, from: START, to: START + 4 * DAY };
    const before = await t.query(api.analytics.getLiveReport, {
      ...range,
      interval: "day",
    });
    expect(before.since).toBe(START + 3 * DAY);
    expect(before.parts.events).toBe(0);
    const settled = await t.query(api.analytics.getOverview, {
      ...range,
      to: before.since,
    });

    await replay(t, [
      {
        arrival: START + 3 * DAY + 25 * MINUTE,
        visitorId: "late-visitor",
        sessionId: "late-session",
        context: {},
        events: [
          {
            eventId: "live-1",
            type: "pageview",
            name: "pageview",
            path: "/now",
            occurredAt: START + 3 * DAY + 24 * MINUTE,
          },
        ],
      },
    ] as Parameters<typeof replay>[1]);
    const after = await t.query(api.analytics.getLiveReport, {
      ...range,
      interval: "day",
    });
    expect(after.since).toBe(before.since);
    expect(after.parts.events).toBe(1);
    expect(after.timeseries.at(-1)!.events).toBe(1);
    expect(
      await t.query(api.analytics.getOverview, { ...range, to: after.since }),
    ).toEqual(settled);

    vi.setSystemTime(START + 3 * DAY + HOUR + 11 * MINUTE);
    await t.action(internal.compaction.compactShards, { siteId, since: 0 });
    const moved = await t.query(api.analytics.getLiveReport, {
      ...range,
      interval: "day",
    });
    expect(moved.since).toBe(START + 3 * DAY + HOUR);
    expect(moved.parts.events).toBe(0);
  });
});

function bucketStarts(from: number, to: number, interval: "hour" | "day") {
  const starts: number[] = [];
  for (
    let s = from;
    s < to;
    s = interval === "hour" ? s + HOUR : nextLocalDay(s, ZONE)
  )
    starts.push(s);
  return starts;
}
