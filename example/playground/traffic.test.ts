// @vitest-environment node
import { afterEach, describe, expect, test } from "vitest";
import {
  randomSource,
  rewindClockForSeed,
  seedHistory,
  simulateVisit,
  startTraffic,
  type RouteFetch,
} from "./traffic";

const DAY = 86_400_000;
const WRITE_KEY = "wk_test_0123456789abcdef";

type Sent = {
  at: number;
  headers: Record<string, string>;
  body: {
    visitorId: string;
    sessionId: string;
    events: { type: string; occurredAt: number; path?: string }[];
  };
};

/** A stand-in for the ingest route that remembers when (by the functions' clock) each request came. */
function recordingRoute(): { fetch: RouteFetch; sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    fetch: async (path, init) => {
      expect(path).toBe("/analytics/ingest");
      sent.push({
        at: Date.now(),
        headers: init.headers as Record<string, string>,
        body: JSON.parse(init.body as string),
      });
      return new Response("{}", { status: 202 });
    },
  };
}

const realNow = Date.now;
afterEach(() => {
  Date.now = realNow;
});

describe("the playground's simulated visitors", () => {
  test("a visit starts with a pageview and keeps its events in order, within the route's limits", () => {
    const r = randomSource(7);
    for (let i = 0; i < 200; i++) {
      const visit = simulateVisit(r, 1_000_000);
      const events = visit.body.events;
      expect(events[0]).toMatchObject({
        type: "pageview",
        occurredAt: 1_000_000,
      });
      expect(events.length).toBeLessThanOrEqual(50);
      for (let e = 1; e < events.length; e++)
        expect(events[e].occurredAt).toBeGreaterThan(events[e - 1].occurredAt);
      expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      expect(visit.userAgent).not.toMatch(/bot|headless/i);
    }
  });

  test("some visitors who pick a plan sign up for it (the playground's Signup goal)", () => {
    const r = randomSource(11);
    let signups = 0;
    for (let i = 0; i < 300; i++) {
      const events = simulateVisit(r, 1_000_000).body.events;
      events.forEach((event, index) => {
        if (event.name !== "signup") return;
        signups += 1;
        // Right after the plan it signs up for.
        expect(events[index - 1]).toMatchObject({
          name: "choose_plan",
          properties: event.properties,
        });
      });
    }
    expect(signups).toBeGreaterThan(5);
  });

  test("the seed sends each day while the clock says that day, so every event is under 24 hours old on arrival", async () => {
    const route = recordingRoute();
    const start = realNow();
    rewindClockForSeed(5);
    expect(Date.now()).toBeLessThan(start - 5 * DAY + 60_000);
    const { visits, sent } = await seedHistory(route.fetch, WRITE_KEY, {
      days: 5,
      visitsPerDay: 10,
      seed: 1,
    });
    expect(visits).toBe(route.sent.length);
    // What it returns is what the route got (tests compute expected figures from it).
    expect(sent).toEqual(route.sent.map((request) => request.body));
    expect(visits).toBeGreaterThan(30);
    // The clock is the real one again.
    expect(Math.abs(Date.now() - realNow())).toBeLessThan(5);
    let last = 0;
    for (const request of route.sent) {
      // Never backwards (functions must not see time run back), and every event is acceptable then.
      expect(request.at).toBeGreaterThanOrEqual(last);
      last = request.at;
      for (const event of request.body.events) {
        expect(event.occurredAt).toBeLessThanOrEqual(request.at);
        expect(event.occurredAt).toBeGreaterThan(request.at - DAY);
      }
      expect(request.headers["x-analytics-write-key"]).toBe(WRITE_KEY);
    }
    // The history spans the days asked for, up to about now.
    const times = route.sent.flatMap((request) =>
      request.body.events.map((event) => event.occurredAt),
    );
    expect(Math.min(...times)).toBeLessThan(start - 4 * DAY);
    expect(Math.max(...times)).toBeGreaterThan(start - DAY);
    // Some visitors come back.
    const visitors = route.sent.map((request) => request.body.visitorId);
    expect(new Set(visitors).size).toBeLessThan(visitors.length);
  });

  test("live traffic sends new visitors at about the asked rate, with current times, until stopped", async () => {
    const route = recordingRoute();
    const stop = startTraffic(route.fetch, WRITE_KEY, 1200, 3); // 20 a second
    await new Promise((resolve) => setTimeout(resolve, 1000));
    stop();
    const sessions = new Set(
      route.sent.map((request) => request.body.sessionId),
    );
    expect(sessions.size).toBeGreaterThan(5);
    expect(sessions.size).toBeLessThan(60);
    for (const request of route.sent) {
      for (const event of request.body.events)
        expect(Math.abs(event.occurredAt - request.at)).toBeLessThan(50);
    }
    const count = route.sent.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(route.sent.length).toBe(count);
  });
});
