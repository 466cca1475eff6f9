// @vitest-environment happy-dom
/**
 * `storage: "none"` in happy-dom: nothing reaches localStorage,
 * sessionStorage or cookies, requests carry no ids, and opt-out still works.
 * The same in real Chromium is in e2e.test.ts.
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { createAnalytics, type Analytics } from "./index.js";
import { fakeNetwork, resetPage } from "./testing/harness.js";

const ENDPOINT = "https://app.example/analytics/ingest";
let tracker: Analytics | undefined;

function start() {
  const net = fakeNetwork();
  tracker = createAnalytics({
    endpoint: ENDPOINT,
    writeKey: "wk_test",
    spa: true,
    storage: "none",
  });
  return { net, analytics: tracker };
}

function storedKeys(): string[] {
  const keys: string[] = [];
  for (const store of [localStorage, sessionStorage]) {
    for (let i = 0; i < store.length; i++) keys.push(store.key(i)!);
  }
  return keys;
}

beforeEach(() => {
  resetPage("https://shop.example/?utm_source=news");
  vi.useFakeTimers({ now: Date.UTC(2026, 10, 2, 9) });
});

afterEach(async () => {
  await tracker?.stop();
  tracker = undefined;
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

test("pageviews, SPA navigation, track, identify and reset store nothing and send no ids", async () => {
  const { net, analytics } = start();
  history.pushState({}, "", "/pricing");
  analytics.track("signup", { plan: "pro" });
  analytics.identify("u_1");
  analytics.track("after-identify");
  await analytics.flush();
  analytics.reset();
  expect(storedKeys()).toEqual([]);
  expect(document.cookie).toBe("");
  expect(net.sent.length).toBeGreaterThan(0);
  for (const request of net.sent) {
    expect(request.body).not.toHaveProperty("visitorId");
    expect(request.body).not.toHaveProperty("sessionId");
  }
  expect(net.events().map((e) => e.path ?? e.name ?? e.type)).toEqual([
    "/",
    "/pricing",
    "signup",
    "identify",
    "after-identify",
  ]);
  // The page's first pageview still opens the visit: it carries the UTM source; the user id lives in memory.
  expect(net.sent[0].body.context?.utmSource).toBe("news");
  expect(net.events().at(-1)?.userId).toBe("u_1");
});

test("opt-out is stored (the visitor's own choice) and stops tracking; opt-in removes it", async () => {
  const { net, analytics } = start();
  await analytics.flush();
  const before = net.events().length;
  analytics.optOut();
  expect(storedKeys()).toEqual(["ca_optout"]);
  analytics.track("ignored");
  await analytics.flush();
  expect(net.events()).toHaveLength(before);
  analytics.optIn();
  expect(storedKeys()).toEqual([]);
});

test("a device-mode tracker afterwards stores its ids again", async () => {
  start();
  await tracker!.stop();
  const net = fakeNetwork();
  tracker = createAnalytics({ endpoint: ENDPOINT, writeKey: "wk_test" });
  await tracker.flush();
  expect(localStorage.getItem("ca_vid")).toMatch(/^[0-9a-f]{32}$/);
  expect(net.sent[0].body.visitorId).toBe(localStorage.getItem("ca_vid"));
});
