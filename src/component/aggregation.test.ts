import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";
import { TOP_QUERY } from "./testing/queries.js";
import {
  buildSessions,
  truthOverview,
  truthTop,
  type SentEvent,
} from "./testing/truth.js";
import { TOP_DIMENSIONS } from "./validators.js";
import { prng } from "./testing/traffic.js";

const T0 = Date.UTC(2026, 6, 1, 8);
const MIN = 60_000;
const HOUR = 60 * MIN;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

type Sent = SentEvent & { eventId: string };

function sessionEvents(
  visitorId: string,
  sessionId: string,
  times: number[],
  context: Record<string, string> = {},
): Sent[] {
  return times.map((offset, k) => ({
    visitorId,
    sessionId,
    type: k % 4 === 3 ? "identify" : "pageview",
    name: k % 4 === 3 ? "identify" : "pageview",
    path: k % 4 === 3 ? undefined : `/s${k % 3}`,
    referrer: k === 0 ? "https://news.ycombinator.com/x" : undefined,
    occurredAt: T0 + offset,
    eventId: `${sessionId}-${k}`,
    context: {
      device: "mobile",
      browser: "Firefox",
      ...(k === 0 ? { utmSource: "hn" } : {}),
      ...context,
    },
    ...(k % 4 === 3 ? { userId: "u1" } : {}),
  })) as Sent[];
}

async function send(t: TestInstance, events: Sent[], arrival: number) {
  vi.setSystemTime(arrival);
  const byClient = new Map<string, Sent[]>();
  // A batch carries one context, so events with different contexts go in different batches.
  for (const e of events) {
    const key = `${e.sessionId}|${e.visitorId}|${JSON.stringify(e.context)}`;
    byClient.set(key, [...(byClient.get(key) ?? []), e]);
  }
  for (const list of byClient.values()) {
    await t.mutation(api.ingest.ingestBatch, {
      writeKeyHash: WRITE_KEY_HASH,
      visitorId: list[0].visitorId,
      sessionId: list[0].sessionId,
      context: list[0].context as never,
      events: list.map(
        ({ visitorId: _v, sessionId: _s, context: _c, ...e }) => e,
      ) as never,
    });
  }
}

async function snapshot(
  t: TestInstance,
  siteId: string,
  from: number,
  to: number,
) {
  const out: Record<string, unknown> = {
    overview: await t.query(api.analytics.getOverview, { siteId, from, to }),
  };
  out.series = await t.query(api.analytics.getTimeseries, {
    siteId,
    from,
    to,
    interval: "hour",
  });
  for (const d of TOP_DIMENSIONS)
    out[d] = await t.query(TOP_QUERY[d], { siteId, from, to, limit: 100 });
  return out;
}

function truth(events: SentEvent[], from: number, to: number) {
  const sessions = buildSessions(events, 30 * MIN);
  const out: Record<string, unknown> = {
    overview: truthOverview(events, sessions, from, to),
  };
  for (const d of TOP_DIMENSIONS)
    out[d] = truthTop(d, events, sessions, from, to, 100);
  return out;
}

/** Three client sessions; the first has a 40-minute gap, so it is two sessions. */
const ALL: Sent[] = [
  ...sessionEvents("va", "sa", [
    0,
    4 * MIN,
    9 * MIN,
    49 * MIN,
    55 * MIN,
    58 * MIN,
  ]),
  ...sessionEvents("vb", "sb", [30 * MIN, 31 * MIN, 75 * MIN - 1, 80 * MIN], {
    country: "IN",
  }),
  ...sessionEvents("va", "sc", [2 * HOUR, 2 * HOUR + 5 * MIN]),
];

test("aggregating batches out of order gives the same sessions and numbers as in order", async () => {
  const range = { from: T0 - HOUR, to: T0 + 4 * HOUR };
  const inOrder = setupComponent();
  vi.setSystemTime(T0);
  const a = await createTestSite(inOrder);
  for (const e of [...ALL].sort((x, y) => x.occurredAt - y.occurredAt))
    await send(inOrder, [e], e.occurredAt + 1_000);
  vi.setSystemTime(T0 + 5 * HOUR);
  await drain(inOrder);
  const expected = await snapshot(inOrder, a, range.from, range.to);
  const { series: _s, ...withoutSeries } = expected;
  expect(withoutSeries).toEqual(truth(ALL, range.from, range.to));

  for (const seed of [1, 2, 3]) {
    const r = prng(seed);
    const shuffled = [...ALL].sort(() => r.next() - 0.5);
    const t = setupComponent();
    vi.setSystemTime(T0);
    const siteId = await createTestSite(t);
    // Each event arrives alone, late and out of order, and is aggregated before the next.
    for (const [i, e] of shuffled.entries()) {
      await send(t, [e], T0 + 5 * HOUR + i * 10 * MIN);
      await drain(t);
    }
    expect(await snapshot(t, siteId, range.from, range.to)).toEqual(expected);
    const sessions = await t.run(async (ctx) =>
      ctx.db.query("sessions").collect(),
    );
    expect(sessions.length).toBe(buildSessions(ALL, 30 * MIN).length);
  }
});

test("a late event bridging two sessions merges them and moves every figure", async () => {
  vi.setSystemTime(T0);
  const t = setupComponent();
  const siteId = await createTestSite(t);
  const early = sessionEvents("vz", "sz", [0, 10 * MIN]);
  const later = sessionEvents("vz", "sz", [50 * MIN, 52 * MIN]).map((e, k) => ({
    ...e,
    eventId: `late-${k}`,
  }));
  await send(t, [...early, ...later], T0 + HOUR);
  await drain(t);
  const range = { siteId, from: T0 - HOUR, to: T0 + 2 * HOUR };
  expect((await t.query(api.analytics.getOverview, range)).sessions).toBe(2);
  const bridge = sessionEvents("vz", "sz", [30 * MIN]).map((e) => ({
    ...e,
    eventId: "bridge",
    path: "/bridge",
  }));
  await send(t, bridge, T0 + 3 * HOUR);
  await drain(t);
  const all = [...early, ...later, ...bridge];
  expect(await snapshot(t, siteId, range.from, range.to)).toMatchObject(
    truth(all, range.from, range.to),
  );
  expect((await t.query(api.analytics.getOverview, range)).sessions).toBe(1);
  expect(await t.query(api.analytics.getTopExitPages, range)).toEqual([
    { key: "/s1", count: 1, pageviewCount: 1, visitors: 1, sessions: 1 },
  ]);
});

test("a late batch landing in an old bucket changes the answer exactly by its events", async () => {
  vi.setSystemTime(T0);
  const t = setupComponent();
  const siteId = await createTestSite(t);
  await send(t, ALL, T0 + 3 * HOUR);
  await drain(t);
  const range = { from: T0 - HOUR, to: T0 + 4 * HOUR };
  expect(await snapshot(t, siteId, range.from, range.to)).toMatchObject(
    truth(ALL, range.from, range.to),
  );
  const late = sessionEvents("vl", "sl", [20 * MIN, 21 * MIN], {
    country: "BR",
  });
  await send(t, late, T0 + 20 * HOUR);
  await drain(t);
  expect(await snapshot(t, siteId, range.from, range.to)).toMatchObject(
    truth([...ALL, ...late], range.from, range.to),
  );
});
