/**
 * Cookieless counting through the example app's real HTTP route: requests
 * without ids, visitor ids derived from (daily salt, site, IP, user agent).
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "../convex/_generated/api";
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
const FIREFOX =
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0";
const MINUTE = 60_000;
/** Local midnight of 3 Nov 2026 in Berlin (UTC+1). */
const NOV_3_BERLIN = Date.UTC(2026, 10, 2, 23);
const DAY = 86_400_000;

let t: ExampleApp;
let siteId: string;
let eventNumber = 0;

/** One pageview at `at` from a browser with this IP and user agent, as a storage: "none" tracker sends it. */
async function visit(
  at: number,
  headers: Record<string, string>,
  body: Record<string, unknown> = {},
) {
  vi.setSystemTime(at);
  return await t.fetch(PATH, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin: ORIGIN,
      "user-agent": CHROME,
      "x-analytics-write-key": WRITE_KEY,
      ...headers,
    },
    body: JSON.stringify({
      context: { timezone: "Europe/Berlin" },
      events: [{ type: "pageview", path: "/", eventId: `e-${eventNumber++}` }],
      ...body,
    }),
  });
}

async function overview(from: number, to: number) {
  return await t
    .withIdentity(ADMIN)
    .query(api.analytics.getOverview, { siteId, from, to });
}

async function storedVisitorIds() {
  const page = await t.withIdentity(ADMIN).query(api.analytics.listRawEvents, {
    siteId,
    paginationOpts: { cursor: null, numItems: 200 },
  });
  return page.page.map((event) => event.visitorId);
}

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(NOV_3_BERLIN - 14 * 60 * MINUTE);
  t = setupExampleApp();
  ({ siteId } = await t
    .withIdentity(ADMIN)
    .mutation(api.analytics.provisionSite, {
      slug: "shop",
      name: "Shop",
      allowedOrigins: [ORIGIN],
      timezone: "Europe/Berlin",
      visitorIdentity: "cookieless",
    }));
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("cookieless counting over HTTP", () => {
  test("same IP and browser within a local day is one visitor, sessions split on the 30-minute gap; the next local day is a new visitor", async () => {
    const ip = { "x-forwarded-for": "203.0.113.7" };
    const dayOne = NOV_3_BERLIN - DAY;
    const at = (hours: number, minutes = 0) =>
      dayOne + hours * 60 * MINUTE + minutes * MINUTE;
    for (const time of [at(10), at(10, 10), at(10, 50)])
      expect((await visit(time, ip)).status).toBe(202);
    expect((await visit(at(11), { ...ip, "user-agent": FIREFOX })).status).toBe(
      202,
    ); // same IP, another browser
    expect(
      (await visit(at(12), { "x-forwarded-for": "203.0.113.8" })).status,
    ).toBe(202); // same browser, another IP
    // 23:40 and, 30 minutes later, 00:10 the next local day (still 2 Nov in UTC).
    expect((await visit(at(23, 40), ip)).status).toBe(202);
    expect((await visit(NOV_3_BERLIN + 10 * MINUTE, ip)).status).toBe(202);
    expect((await visit(NOV_3_BERLIN + 9 * 60 * MINUTE, ip)).status).toBe(202);
    vi.setSystemTime(NOV_3_BERLIN + DAY);
    await drain(t);

    // Day one: the first browser's sessions are 10:00–10:10, 10:50 and 23:40; two more visitors, one session each.
    expect(await overview(dayOne, NOV_3_BERLIN)).toMatchObject({
      pageviews: 6,
      visitors: 3,
      sessions: 5,
    });
    // 00:10 is a new visitor (new day, new salt), so a new session though only 30 minutes passed; 09:00 another session.
    expect(await overview(NOV_3_BERLIN, NOV_3_BERLIN + DAY)).toMatchObject({
      pageviews: 2,
      visitors: 1,
      sessions: 2,
    });
    // A returning visitor on another day counts again: two days' visitors are the sum of daily uniques.
    expect(await overview(dayOne, NOV_3_BERLIN + DAY)).toMatchObject({
      pageviews: 8,
      visitors: 4,
      sessions: 7,
    });

    const ids = await storedVisitorIds();
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });

  test("ids a client still sends are ignored, and the leftmost forwarded address or cf-connecting-ip is the client", async () => {
    const day = NOV_3_BERLIN + 9 * 60 * MINUTE;
    await visit(day, { "x-forwarded-for": "203.0.113.7" });
    await visit(
      day + MINUTE,
      { "x-forwarded-for": "unknown, 203.0.113.7, 10.0.0.2" },
      { visitorId: "v-client", sessionId: "s-client" },
    );
    await visit(day + 2 * MINUTE, { "cf-connecting-ip": "203.0.113.7" });
    await visit(day + 3 * MINUTE, { "x-forwarded-for": "[2001:db8::1]:443" });
    await visit(day + 4 * MINUTE, { "x-forwarded-for": "2001:DB8::1" });
    const ids = await storedVisitorIds();
    expect(ids).not.toContain("v-client");
    expect(new Set(ids).size).toBe(2);
  });

  test("a cookieless request without a usable client IP gets a clear 400 with CORS headers, and nothing is written", async () => {
    const noIp = await visit(NOV_3_BERLIN, {});
    expect(noIp.status).toBe(400);
    expect(noIp.headers.get("access-control-allow-origin")).toBe(ORIGIN);
    expect((await noIp.json()).error).toMatch(
      /without cookies, which needs the client's IP address.*X-Forwarded-For/,
    );
    expect(
      (await visit(NOV_3_BERLIN, { "x-forwarded-for": "not-an-address" }))
        .status,
    ).toBe(400);
    expect(await storedVisitorIds()).toEqual([]);
  });

  test("a device-counting site refuses requests without ids and says why", async () => {
    await t.withIdentity(ADMIN).mutation(api.analytics.updateSite, {
      siteId,
      visitorIdentity: "device",
    });
    const response = await visit(NOV_3_BERLIN, {
      "x-forwarded-for": "203.0.113.7",
    });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(
      /visitorIdentity "device".*"cookieless"/,
    );
    expect(
      (await visit(NOV_3_BERLIN, {}, { visitorId: "v-1", sessionId: "s-1" }))
        .status,
    ).toBe(202);
    expect(await storedVisitorIds()).toEqual(["v-1"]);
  });

  test("getSite says which counting the site uses, and when it last switched", async () => {
    const admin = t.withIdentity(ADMIN);
    expect(await admin.query(api.analytics.getSite, { siteId })).toMatchObject({
      visitorIdentity: "cookieless",
    });
    vi.setSystemTime(NOV_3_BERLIN + 60 * MINUTE);
    await admin.mutation(api.analytics.updateSite, {
      siteId,
      visitorIdentity: "device",
    });
    expect(await admin.query(api.analytics.getSite, { siteId })).toMatchObject({
      visitorIdentity: "device",
      visitorIdentitySince: NOV_3_BERLIN + 60 * MINUTE,
    });
  });
});
