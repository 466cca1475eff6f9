import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "../convex/_generated/api";
import {
  ADMIN,
  ORIGIN,
  WRITE_KEY,
  drain,
  setupExampleApp,
  type ExampleApp,
} from "./setup";

const PATH = "/analytics/ingest";
const CHROME =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";

function body(overrides: Record<string, unknown> = {}) {
  return {
    visitorId: "v-1",
    sessionId: "s-1",
    context: {
      timezone: "Europe/Berlin",
      language: "de-DE",
      screen: "1440x900",
    },
    events: [
      { type: "pageview", path: "/", eventId: "e-1" },
      { type: "pageview", path: "/pricing", eventId: "e-2" },
      {
        type: "track",
        name: "signup",
        properties: { plan: "pro" },
        eventId: "e-3",
      },
    ],
    ...overrides,
  };
}

function post(
  t: ExampleApp,
  payload: unknown,
  headers: Record<string, string> = {},
  contentType = "application/json",
) {
  return t.fetch(PATH, {
    method: "POST",
    headers: {
      "content-type": contentType,
      origin: ORIGIN,
      "user-agent": CHROME,
      "x-analytics-write-key": WRITE_KEY,
      ...headers,
    },
    body: typeof payload === "string" ? payload : JSON.stringify(payload),
  });
}

async function countEvents(t: ExampleApp, siteId: string) {
  const page = await t.withIdentity(ADMIN).query(api.analytics.listRawEvents, {
    siteId,
    paginationOpts: { cursor: null, numItems: 200 },
  });
  return page.page.length;
}

let t: ExampleApp;
let siteId: string;

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(Date.UTC(2026, 10, 2, 10, 0));
  t = setupExampleApp();
  ({ siteId } = await t
    .withIdentity(ADMIN)
    .mutation(api.analytics.provisionSite, {
      slug: "shop",
      name: "Shop",
      allowedOrigins: [ORIGIN],
    }));
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("POST /analytics/ingest", () => {
  test("a valid batch lands, is aggregated, and carries server-side context", async () => {
    const res = await post(t, body());
    expect(res.status).toBe(202);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(await res.json()).toMatchObject({
      accepted: 3,
      duplicate: 0,
      rejected: 0,
    });
    await drain(t);
    const admin = t.withIdentity(ADMIN);
    const from = Date.UTC(2026, 10, 2);
    const to = from + 86_400_000;
    const overview = await admin.query(api.analytics.getOverview, {
      siteId,
      from,
      to,
    });
    expect(overview).toMatchObject({
      events: 3,
      pageviews: 2,
      sessions: 1,
      visitors: 1,
      bounceRate: 0,
    });
    expect(
      await admin.query(api.analytics.getTopBrowsers, { siteId, from, to }),
    ).toEqual([
      { key: "Chrome", count: 3, pageviewCount: 2, visitors: 1, sessions: 1 },
    ]);
    // No geo header: the country comes from the reported time zone.
    expect(
      (
        await admin.query(api.analytics.getTopCountries, { siteId, from, to })
      )[0].key,
    ).toBe("DE");
    // The page's host comes from the Origin header; language and screen from the tracker's context.
    expect(
      await admin.query(api.analytics.getTopHostnames, { siteId, from, to }),
    ).toEqual([
      { key: "shop.example.com", count: 3, pageviewCount: 2, visitors: 1 },
    ]);
    expect(
      (
        await admin.query(api.analytics.getTopLanguages, { siteId, from, to })
      ).map((r) => [r.key, r.sessions]),
    ).toEqual([["de-DE", 1]]);
    expect(
      (
        await admin.query(api.analytics.getTopScreens, { siteId, from, to })
      ).map((r) => r.key),
    ).toEqual(["1440x900"]);
  });

  test("rebuildRollups through the app's maintenance functions recomputes the same figures", async () => {
    await post(t, body());
    await drain(t);
    const admin = t.withIdentity(ADMIN);
    const from = Date.UTC(2026, 10, 2);
    const range = { siteId, from, to: from + 86_400_000 };
    const before = await admin.query(api.analytics.getOverview, range);
    const started = await t.mutation(internal.analytics.rebuildRollups, {
      siteId,
    });
    expect(started).toEqual({ started: true, from });
    await drain(t);
    expect(await admin.query(api.analytics.getOverview, range)).toEqual(before);
    expect(before).toMatchObject({ events: 3, sessions: 1, visitors: 1 });
  });

  test("a geo header from the proxy wins over the time zone", async () => {
    await post(t, body(), { "cf-ipcountry": "fr" });
    await drain(t);
    const from = Date.UTC(2026, 10, 2);
    const top = await t
      .withIdentity(ADMIN)
      .query(api.analytics.getTopCountries, {
        siteId,
        from,
        to: from + 86_400_000,
      });
    expect(top.map((r) => r.key)).toEqual(["FR"]);
  });

  test("a sendBeacon text/plain body with the key inside works", async () => {
    const res = await t.fetch(PATH, {
      method: "POST",
      headers: {
        "content-type": "text/plain;charset=UTF-8",
        origin: ORIGIN,
        "user-agent": CHROME,
      },
      body: JSON.stringify(body({ writeKey: WRITE_KEY })),
    });
    expect(res.status).toBe(202);
    expect(await countEvents(t, siteId)).toBe(3);
  });

  test("retried eventIds are accepted once", async () => {
    await post(t, body());
    const again = await (await post(t, body())).json();
    expect(again).toMatchObject({ accepted: 0, duplicate: 3 });
    expect(await countEvents(t, siteId)).toBe(3);
  });

  test.each([
    ["malformed JSON", "{not json", 400],
    ["a body that is not an object", "[1,2]", 400],
    [
      "a missing visitorId",
      JSON.stringify(body({ visitorId: undefined })),
      400,
    ],
    [
      "events that are not an array",
      JSON.stringify(body({ events: "x" })),
      400,
    ],
    [
      "more than 50 events",
      JSON.stringify(
        body({
          events: Array.from({ length: 51 }, () => ({
            type: "pageview",
            path: "/",
          })),
        }),
      ),
      413,
    ],
    [
      "a body over 64 KiB",
      JSON.stringify(body({ padding: "x".repeat(70_000) })),
      413,
    ],
  ])(
    "%s gets %i with CORS headers and writes nothing",
    async (_label, payload, status) => {
      const res = await post(t, payload);
      expect(res.status).toBe(status);
      expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
      expect((await res.json()).error).toEqual(expect.any(String));
      expect(await countEvents(t, siteId)).toBe(0);
    },
  );

  test("a bad event is rejected with its index and reason; the rest of the batch lands", async () => {
    const events = [
      { type: "pageview", path: "/ok" },
      { type: "click", path: "/x" },
      { type: "track", name: "n".repeat(121) },
      {
        type: "pageview",
        path: "/late",
        occurredAt: Date.now() - 25 * 3_600_000,
      },
      { type: "track", name: "nested", properties: { a: { b: 1 } } },
      { type: "pageview", path: "/ok-2" },
    ];
    const res = await post(t, body({ events }));
    expect(res.status).toBe(202);
    const result = await res.json();
    expect(result).toMatchObject({ accepted: 2, rejected: 4 });
    expect(result.errors.map((e: { index: number }) => e.index)).toEqual([
      1, 2, 3, 4,
    ]);
    expect(await countEvents(t, siteId)).toBe(2);
  });

  test("an unknown key gets 401; a missing key gets 401", async () => {
    expect(
      (
        await post(t, body(), {
          "x-analytics-write-key": "wk_not_a_real_key_123456",
        })
      ).status,
    ).toBe(401);
    const noKey = await t.fetch(PATH, {
      method: "POST",
      headers: { origin: ORIGIN },
      body: JSON.stringify(body()),
    });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(await countEvents(t, siteId)).toBe(0);
  });

  test("a disabled site gets 401", async () => {
    await t
      .withIdentity(ADMIN)
      .mutation(api.analytics.updateSite, { siteId, status: "disabled" });
    expect((await post(t, body())).status).toBe(401);
    expect(await countEvents(t, siteId)).toBe(0);
  });

  test("a foreign origin gets 403, no CORS grant, and nothing is written", async () => {
    const res = await post(t, body(), { origin: "https://evil.example.net" });
    expect(res.status).toBe(403);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(await countEvents(t, siteId)).toBe(0);
  });

  test("preflight answers with CORS headers for the site's origin", async () => {
    const res = await t.fetch(`${PATH}?key=${WRITE_KEY}`, {
      method: "OPTIONS",
      headers: { origin: ORIGIN },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect(res.headers.get("access-control-allow-headers")).toContain(
      "x-analytics-write-key",
    );
    const foreign = await t.fetch(`${PATH}?key=${WRITE_KEY}`, {
      method: "OPTIONS",
      headers: { origin: "https://evil.example.net" },
    });
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
  });

  test("bots are counted as bots, not as visitors", async () => {
    const res = await post(t, body(), {
      "user-agent":
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 0, bot: true });
    await drain(t);
    const admin = t.withIdentity(ADMIN);
    const from = Date.UTC(2026, 10, 2);
    const to = from + 86_400_000;
    expect(
      await admin.query(api.analytics.getBotCounts, { siteId, from, to }),
    ).toEqual({ requests: 1, events: 3 });
    expect(
      (await admin.query(api.analytics.getOverview, { siteId, from, to }))
        .visitors,
    ).toBe(0);
  });

  test("the per-visitor rate limit answers 429 with Retry-After, then recovers", async () => {
    const one = body({ events: [{ type: "pageview", path: "/" }] });
    const statuses: number[] = [];
    for (let i = 0; i < 260; i++) statuses.push((await post(t, one)).status);
    expect(statuses.slice(0, 240).every((s) => s === 202)).toBe(true);
    expect(statuses.slice(240)).toContain(429);
    const limited = await post(t, one);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(
      1,
    );
    expect(limited.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    vi.advanceTimersByTime(60_000);
    expect((await post(t, one)).status).toBe(202);
  });

  test("a rotated key stops working at once", async () => {
    await t.withIdentity(ADMIN).mutation(api.analytics.rotateWriteKey, {
      siteId,
      writeKey: "wk_rotated_key_abcdef123456",
    });
    expect((await post(t, body())).status).toBe(401);
    expect(
      (
        await post(t, body(), {
          "x-analytics-write-key": "wk_rotated_key_abcdef123456",
        })
      ).status,
    ).toBe(202);
  });
});
