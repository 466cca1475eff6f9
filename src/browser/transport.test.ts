// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { fakeNetwork, resetPage, setProperty } from "./testing/harness.js";
import { beacon, post, retryDelay } from "./transport.js";

const URL = "https://app.example/analytics/ingest";
const BODY = JSON.stringify({
  visitorId: "v",
  sessionId: "s",
  events: [{ type: "pageview", path: "/" }],
});

beforeEach(() => resetPage());
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("post", () => {
  test("sends JSON with the write key header and no cookies", async () => {
    const net = fakeNetwork([{ status: 202 }]);
    expect(await post(URL, "wk_1", BODY, 0)).toBe(0);
    expect(net.fetch).toHaveBeenCalledOnce();
    const init = net.fetch.mock.calls[0][1];
    expect(init).toMatchObject({
      method: "POST",
      credentials: "omit",
      body: BODY,
    });
    expect(init.headers).toEqual({
      "content-type": "application/json",
      "x-analytics-write-key": "wk_1",
    });
  });

  test.each([400, 401, 403, 413])(
    "treats %i as final: no retry",
    async (status) => {
      fakeNetwork([{ status }]);
      expect(await post(URL, "wk", BODY, 0)).toBe(0);
    },
  );

  test.each([429, 500, 502, 503])("retries %i", async (status) => {
    fakeNetwork([{ status }]);
    expect(await post(URL, "wk", BODY, 0)).toBeGreaterThan(0);
  });

  test("retries network errors", async () => {
    fakeNetwork(["network-error"]);
    expect(await post(URL, "wk", BODY, 0)).toBeGreaterThan(0);
  });

  test("waits exactly as long as Retry-After asks", async () => {
    fakeNetwork([{ status: 429, headers: { "retry-after": "7" } }]);
    expect(await post(URL, "wk", BODY, 3)).toBe(7000);
  });
});

describe("retryDelay", () => {
  test("doubles per failure, with jitter between half and the full step, capped at a minute", () => {
    const random = vi.spyOn(Math, "random");
    random.mockReturnValue(0.999999);
    expect([0, 1, 2, 3, 10].map((f) => Math.round(retryDelay(f)))).toEqual([
      1000, 2000, 4000, 8000, 60000,
    ]);
    random.mockReturnValue(0);
    expect([0, 1, 2, 3, 10].map((f) => retryDelay(f))).toEqual([
      500, 1000, 2000, 4000, 30000,
    ]);
  });

  test("honours Retry-After in seconds or as an HTTP date, within an hour", () => {
    vi.useFakeTimers({ now: Date.UTC(2025, 0, 1, 12) });
    expect(retryDelay(0, "120")).toBe(120_000);
    expect(retryDelay(0, "Wed, 01 Jan 2025 12:00:30 GMT")).toBe(30_000);
    expect(retryDelay(0, "999999")).toBe(3_600_000);
    expect(retryDelay(0, "0")).toBe(1); // never 0: 0 means "done"
  });

  test("falls back to backoff when Retry-After is unusable", () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    expect(retryDelay(2, "soon")).toBe(2000);
    expect(retryDelay(2, "")).toBe(2000);
  });
});

describe("beacon", () => {
  test("uses sendBeacon with the body as text", () => {
    const net = fakeNetwork();
    expect(beacon(URL, BODY)).toBe(true);
    expect(net.sendBeacon).toHaveBeenCalledWith(URL, BODY);
    expect(net.fetch).not.toHaveBeenCalled();
  });

  test("falls back to a keepalive fetch without custom headers when the beacon is refused", () => {
    const net = fakeNetwork([], { beaconAccepts: false });
    expect(beacon(URL, BODY)).toBe(true);
    const init = net.fetch.mock.calls[0][1];
    expect(init).toEqual({
      method: "POST",
      body: BODY,
      keepalive: true,
      credentials: "omit",
    });
  });

  test("reports failure when neither path exists", () => {
    setProperty(navigator, "sendBeacon", undefined);
    vi.stubGlobal("fetch", undefined);
    expect(beacon(URL, BODY)).toBe(false);
  });
});
