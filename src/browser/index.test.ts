// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  createAnalytics,
  type Analytics,
  type AnalyticsOptions,
} from "./index.js";
import {
  fakeNetwork,
  resetPage,
  setPageUrl,
  setProperty,
  settle,
  type Reply,
} from "./testing/harness.js";

const ENDPOINT = "https://app.example/analytics/ingest";
const KEY = "wk_test";
const T0 = Date.UTC(2025, 0, 1, 12);
const MINUTE = 60_000;

let tracker: Analytics | undefined;

/** Starts a tracker with a fake network; pageviews are manual unless asked for. */
function start(options: Partial<AnalyticsOptions> = {}, replies: Reply[] = []) {
  const net = fakeNetwork(replies);
  tracker = createAnalytics({
    endpoint: ENDPOINT,
    writeKey: KEY,
    autoPageview: false,
    ...options,
  });
  return { net, analytics: tracker };
}

function hidePage(type: "pagehide" | "visibilitychange" = "pagehide") {
  if (type == "pagehide") window.dispatchEvent(new Event("pagehide"));
  else {
    setProperty(document, "visibilityState", "hidden");
    document.dispatchEvent(new Event("visibilitychange"));
  }
}

beforeEach(() => {
  resetPage("https://shop.example/");
  vi.useFakeTimers({ now: T0 });
});

afterEach(async () => {
  await tracker?.stop();
  tracker = undefined;
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("events and context", () => {
  test("an automatic pageview for the page load, with timezone, language and screen", async () => {
    document.title = "Welcome";
    const { net, analytics } = start({ autoPageview: true });
    await analytics.flush();
    expect(net.sent).toHaveLength(1);
    const [request] = net.sent;
    expect(request.via).toBe("fetch");
    expect(request.url).toBe(ENDPOINT);
    expect(request.headers["x-analytics-write-key"]).toBe(KEY);
    expect(request.body.writeKey).toBeUndefined();
    expect(request.body.visitorId).toBe(localStorage.getItem("ca_vid"));
    expect(request.body.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(request.body.context).toEqual({
      language: navigator.language,
      screen: `${screen.width}x${screen.height}`,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });
    expect(request.body.events).toEqual([
      {
        type: "pageview",
        path: "/",
        title: "Welcome",
        occurredAt: T0,
        eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
      },
    ]);
  });

  test("track, identify and page with overrides; later events carry the user id", async () => {
    const { net, analytics } = start();
    analytics.track("signup", {
      plan: "pro",
      seats: 3,
      trial: false,
      coupon: null,
    });
    analytics.identify("u_1", { tier: "pro" });
    analytics.page({
      path: "/virtual",
      title: "Virtual",
      properties: { variant: "b" },
    });
    analytics.track("x".repeat(200));
    await analytics.flush();
    const events = net.events();
    expect(events.map(({ eventId, occurredAt, ...rest }) => rest)).toEqual([
      {
        type: "track",
        name: "signup",
        properties: { plan: "pro", seats: 3, trial: false, coupon: null },
      },
      { type: "identify", userId: "u_1", properties: { tier: "pro" } },
      {
        type: "pageview",
        path: "/virtual",
        title: "Virtual",
        properties: { variant: "b" },
        userId: "u_1",
      },
      { type: "track", name: "x".repeat(120), userId: "u_1" },
    ]);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(4);
  });

  test("path includes the query string only when asked", async () => {
    resetPage("https://shop.example/list?page=2#top");
    const { net, analytics } = start({ includeSearch: true });
    analytics.page();
    await analytics.flush();
    expect(net.events()[0].path).toBe("/list?page=2");
  });

  test("UTM parameters and an external referrer go with the first pageview of a session only", async () => {
    resetPage(
      "https://shop.example/landing?utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=t&utm_content=c",
    );
    setProperty(document, "referrer", "https://www.google.com/search?q=shop");
    const { net, analytics } = start({ spa: true });
    analytics.page();
    await analytics.flush();
    history.pushState({}, "", "/next");
    await analytics.flush();
    const [first, second] = net.sent;
    expect(first.body.context).toMatchObject({
      utmSource: "news",
      utmMedium: "email",
      utmCampaign: "spring",
      utmTerm: "t",
      utmContent: "c",
    });
    expect(first.body.events[0].referrer).toBe(
      "https://www.google.com/search?q=shop",
    );
    expect(second.body.context?.utmSource).toBeUndefined();
    expect(second.body.events[0]).toMatchObject({ path: "/next" });
    expect(second.body.events[0].referrer).toBeUndefined();
    expect(second.body.sessionId).toBe(first.body.sessionId);
  });

  test("an internal referrer is not sent", async () => {
    setProperty(document, "referrer", "https://shop.example/previous");
    const { net, analytics } = start();
    analytics.page();
    await analytics.flush();
    expect(net.events()[0].referrer).toBeUndefined();
  });

  test("the session rotates after 30 idle minutes; requests never mix sessions", async () => {
    const { net, analytics } = start({
      flushInterval: 60 * MINUTE,
      batchSize: 50,
    });
    analytics.page();
    vi.setSystemTime(T0 + 29 * MINUTE);
    analytics.track("still-here");
    vi.setSystemTime(T0 + 29 * MINUTE + 31 * MINUTE);
    analytics.page();
    await analytics.flush();
    expect(net.sent.map((r) => r.body.events.length)).toEqual([2, 1]);
    const [a, b] = net.sent.map((r) => r.body);
    expect(b.sessionId).not.toBe(a.sessionId);
    expect(b.visitorId).toBe(a.visitorId);
  });

  test("reset starts a new anonymous visitor", async () => {
    const { net, analytics } = start();
    analytics.identify("u_1");
    analytics.reset();
    analytics.track("after");
    await analytics.flush();
    const [before, after] = net.sent.map((r) => r.body);
    expect(after.visitorId).not.toBe(before.visitorId);
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(after.events[0].userId).toBeUndefined();
  });
});

describe("batching and flush triggers", () => {
  test("sends as soon as batchSize events are queued", async () => {
    const { net, analytics } = start({ batchSize: 3 });
    analytics.track("a");
    analytics.track("b");
    await settle();
    expect(net.sent).toHaveLength(0);
    analytics.track("c");
    await settle();
    expect(net.sent).toHaveLength(1);
    expect(net.events().map((e) => e.name)).toEqual(["a", "b", "c"]);
  });

  test("sends queued events flushInterval after the first one", async () => {
    const { net, analytics } = start({ flushInterval: 2000 });
    analytics.track("a");
    await vi.advanceTimersByTimeAsync(1000);
    analytics.track("b");
    await vi.advanceTimersByTimeAsync(999);
    expect(net.sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.events().map((e) => e.name)).toEqual(["a", "b"]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(net.sent).toHaveLength(1); // no idle requests
  });

  test("splits a large queue into requests of at most 50 events", async () => {
    const { net, analytics } = start({
      batchSize: 1000,
      flushInterval: 60_000,
    });
    for (let n = 0; n < 120; n++) analytics.track(`e${n}`);
    await analytics.flush();
    expect(net.sent.map((r) => r.body.events.length)).toEqual([50, 50, 20]);
    expect(net.events().map((e) => e.name)).toEqual(
      Array.from({ length: 120 }, (_, n) => `e${n}`),
    );
  });

  test.each(["pagehide", "visibilitychange"] as const)(
    "%s hands the queue to sendBeacon as text with the write key in the body",
    async (type) => {
      const { net, analytics } = start({ flushInterval: 60_000 });
      analytics.page();
      analytics.track("leave");
      hidePage(type);
      expect(net.sent).toHaveLength(1);
      const [request] = net.sent;
      expect(request.via).toBe("beacon");
      expect(typeof net.sendBeacon.mock.calls[0][1]).toBe("string"); // sent as text/plain
      expect(request.body.writeKey).toBe(KEY);
      expect(request.body.events.map((e) => e.type)).toEqual([
        "pageview",
        "track",
      ]);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(net.sent).toHaveLength(1); // nothing left to send twice
    },
  );

  test("visibilitychange to visible sends nothing", async () => {
    const { net, analytics } = start({ flushInterval: 60_000 });
    analytics.track("a");
    document.dispatchEvent(new Event("visibilitychange"));
    expect(net.sent).toHaveLength(0);
  });

  test("falls back to fetch keepalive when the beacon is refused", async () => {
    const net = fakeNetwork([], { beaconAccepts: false });
    tracker = createAnalytics({
      endpoint: ENDPOINT,
      writeKey: KEY,
      autoPageview: false,
    });
    tracker.track("a");
    hidePage();
    expect(net.sent.map((r) => r.via)).toEqual(["keepalive"]);
    expect(net.sent[0].body.writeKey).toBe(KEY);
  });

  test("a batch still in flight at pagehide is re-sent by beacon with the same eventIds", async () => {
    const { net, analytics } = start({ batchSize: 2 });
    let answer = (_: Response) => {};
    net.fetch.mockImplementationOnce(
      () => new Promise((resolve) => (answer = resolve)),
    ); // held open
    analytics.track("a");
    analytics.track("b"); // triggers the fetch that hangs
    analytics.track("c");
    hidePage();
    const [fetched, beaconed] = [
      net.fetch.mock.calls[0][1],
      net.sent.find((r) => r.via == "beacon")!,
    ];
    const fetchedIds = JSON.parse(String(fetched.body)).events.map(
      (e: { eventId: string }) => e.eventId,
    );
    expect(beaconed.body.events.map((e) => e.name)).toEqual(["a", "b", "c"]);
    expect(beaconed.body.events.slice(0, 2).map((e) => e.eventId)).toEqual(
      fetchedIds,
    );
    answer(new Response(null, { status: 503 })); // the fetch fails after all...
    await vi.advanceTimersByTimeAsync(5 * MINUTE);
    expect(net.fetch).toHaveBeenCalledTimes(1); // ...but the beacon already owns its events
  });
});

describe("retries", () => {
  test("5xx and network errors are retried with backoff, keeping eventIds", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999999); // jitter at its maximum: 1 s, then 2 s
    const { net, analytics } = start({}, [
      { status: 503 },
      "network-error",
      { status: 202 },
    ]);
    analytics.track("a");
    analytics.track("b");
    await analytics.flush();
    expect(net.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(990);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10);
    expect(net.fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(1990);
    expect(net.fetch).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(10);
    expect(net.fetch).toHaveBeenCalledTimes(3);
    const ids = net.sent.map((r) => r.body.events.map((e) => e.eventId).join());
    expect(new Set(ids).size).toBe(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(net.fetch).toHaveBeenCalledTimes(3); // delivered: no more retries
  });

  test("429 waits for Retry-After, even when more events arrive meanwhile", async () => {
    const { net, analytics } = start({ batchSize: 2 }, [
      { status: 429, headers: { "retry-after": "30" } },
    ]);
    analytics.track("a");
    analytics.track("b");
    await settle();
    for (let n = 0; n < 10; n++) analytics.track(`more${n}`); // size triggers must not bypass the pause
    await vi.advanceTimersByTimeAsync(29_999);
    expect(net.fetch).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(net.fetch).toHaveBeenCalledTimes(2);
    expect(net.sent[1].body.events.map((e) => e.name)).toEqual([
      "a",
      "b",
      ...Array.from({ length: 10 }, (_, n) => `more${n}`),
    ]);
  });

  test.each([400, 401, 403, 413])(
    "%i drops the batch without retrying",
    async (status) => {
      const { net, analytics } = start({}, [{ status }]);
      analytics.track("a");
      await analytics.flush();
      await vi.advanceTimersByTimeAsync(10 * MINUTE);
      expect(net.fetch).toHaveBeenCalledTimes(1);
      analytics.track("b"); // the next batch goes out normally
      await analytics.flush();
      expect(net.events().map((e) => e.name)).toEqual(["a", "b"]);
    },
  );

  test("an offline tab keeps at most maxQueueSize events, the newest", async () => {
    const offline: Reply[] = Array.from(
      { length: 1000 },
      () => "network-error" as const,
    );
    const { net, analytics } = start(
      { maxQueueSize: 20, batchSize: 5 },
      offline,
    );
    for (let n = 0; n < 200; n++) {
      analytics.track(`e${n}`);
      await vi.advanceTimersByTimeAsync(10_000);
    }
    expect(net.sent.length).toBeGreaterThan(10); // it kept retrying...
    expect(
      Math.max(...net.sent.map((r) => r.body.events.length)),
    ).toBeLessThanOrEqual(20); // ...bounded
    offline.length = 0; // back online
    await vi.advanceTimersByTimeAsync(2 * MINUTE);
    const delivered = net.sent
      .filter((r) => r.status == 202)
      .flatMap((r) => r.body.events.map((e) => e.name));
    expect(delivered).toEqual(
      Array.from({ length: 20 }, (_, n) => `e${n + 180}`),
    );
    await analytics.flush();
    const lastBatch = net.sent.length;
    await vi.advanceTimersByTimeAsync(10 * MINUTE);
    expect(net.sent).toHaveLength(lastBatch);
  });
});

describe("single-page apps", () => {
  test("pushState, popstate and replaceState count once per new path", async () => {
    const { net, analytics } = start({ spa: true, autoPageview: true });
    history.pushState({}, "", "/a");
    history.replaceState({}, "", "/a"); // same path: not counted
    history.pushState({}, "", "/a#section"); // hash only, hash mode off: not counted
    history.replaceState({}, "", "/b");
    history.pushState({}, "", "/b?tab=2"); // query ignored by default: same path
    window.dispatchEvent(new PopStateEvent("popstate")); // e.g. back from "/b?tab=2" to "/b"
    await analytics.flush();
    expect(net.events().map((e) => e.path)).toEqual(["/", "/a", "/b"]);
  });

  test("back/forward navigation to another path is counted", async () => {
    const { net, analytics } = start({ spa: true, autoPageview: true });
    history.pushState({}, "", "/a");
    setPageUrl("https://shop.example/"); // what back() leaves behind
    window.dispatchEvent(new PopStateEvent("popstate"));
    await analytics.flush();
    expect(net.events().map((e) => e.path)).toEqual(["/", "/a", "/"]);
  });

  test("hash routes count when hash tracking is on", async () => {
    resetPage("https://shop.example/app#/home");
    const { net, analytics } = start({ hash: true, autoPageview: true });
    location.hash = "#/settings";
    window.dispatchEvent(new HashChangeEvent("hashchange"));
    window.dispatchEvent(new HashChangeEvent("hashchange")); // repeated event, same path
    await analytics.flush();
    expect(net.events().map((e) => e.path)).toEqual([
      "/app#/home",
      "/app#/settings",
    ]);
  });

  test("without the spa option, navigation is not tracked", async () => {
    const { net, analytics } = start({ autoPageview: true });
    history.pushState({}, "", "/a");
    await analytics.flush();
    expect(net.events().map((e) => e.path)).toEqual(["/"]);
  });

  test("stop() undoes the history patch and all listeners", async () => {
    const original = history.pushState;
    const { net, analytics } = start({ spa: true, outboundLinks: true });
    expect(history.pushState).not.toBe(original);
    await analytics.stop();
    expect(history.pushState).toBe(original);
    history.pushState({}, "", "/after-stop");
    analytics.track("after-stop");
    hidePage();
    await vi.advanceTimersByTimeAsync(MINUTE);
    expect(net.sent).toHaveLength(0);
  });

  test("stop() sends what is still queued", async () => {
    const { net, analytics } = start({ flushInterval: 60_000, batchSize: 50 });
    for (let n = 0; n < 60; n++) analytics.track(`e${n}`);
    await analytics.stop();
    expect(net.events()).toHaveLength(60);
  });
});

describe("links", () => {
  function click(
    href: string,
    attributes: Record<string, string> = {},
    init: MouseEventInit = {},
  ) {
    const link = document.createElement("a");
    link.href = href;
    for (const [name, value] of Object.entries(attributes))
      link.setAttribute(name, value);
    const inner = document.createElement("span");
    link.append(inner);
    document.body.append(link);
    // Links usually navigate; the listener only reads, so cancel to stay on the page.
    link.addEventListener("click", (event) => event.preventDefault());
    inner.dispatchEvent(
      new MouseEvent(init.button == 1 ? "auxclick" : "click", {
        bubbles: true,
        cancelable: true,
        ...init,
      }),
    );
    link.remove();
  }

  test("outbound links and downloads are tracked with their url", async () => {
    const { net, analytics } = start({
      outboundLinks: true,
      fileDownloads: true,
    });
    click("https://other.example/page?x=1");
    click("/inside");
    click("https://shop.example/about");
    click("/files/report.PDF");
    click("/export", { download: "" });
    click("https://cdn.example/app.zip");
    click("https://elsewhere.example/", {}, { button: 1 }); // middle click
    click("mailto:hi@shop.example");
    await analytics.flush();
    expect(net.events().map((e) => [e.name, e.properties?.url])).toEqual([
      ["Outbound Link", "https://other.example/page?x=1"],
      ["File Download", "https://shop.example/files/report.PDF"],
      ["File Download", "https://shop.example/export"],
      ["File Download", "https://cdn.example/app.zip"],
      ["Outbound Link", "https://elsewhere.example/"],
    ]);
  });

  test("custom download extensions replace the defaults", async () => {
    const { net, analytics } = start({ fileDownloads: ["stl"] });
    click("/models/part.stl");
    click("/files/report.pdf");
    click("https://other.example/"); // outbound off
    await analytics.flush();
    expect(net.events().map((e) => e.properties?.url)).toEqual([
      "https://shop.example/models/part.stl",
    ]);
  });

  test("link clicks are not tracked unless enabled", async () => {
    const { net, analytics } = start();
    click("https://other.example/");
    click("/files/report.pdf");
    await analytics.flush();
    expect(net.sent).toHaveLength(0);
  });
});

describe("privacy", () => {
  async function sendsAnything(
    options: Partial<AnalyticsOptions> = {},
  ): Promise<boolean> {
    const { net, analytics } = start({ autoPageview: true, ...options });
    analytics.track("t");
    analytics.identify("u");
    await analytics.flush();
    hidePage();
    await analytics.stop();
    tracker = undefined;
    return net.sent.length > 0;
  }

  test("sends normally when no signal is set", async () => {
    expect(await sendsAnything()).toBe(true);
  });

  test("Do Not Track and Global Privacy Control stop tracking, unless told to ignore them", async () => {
    setProperty(navigator, "doNotTrack", "1");
    expect(await sendsAnything()).toBe(false);
    expect(localStorage.getItem("ca_vid")).toBeNull(); // not even an id is stored
    expect(await sendsAnything({ respectDoNotTrack: false })).toBe(true);
    setProperty(navigator, "doNotTrack", null);
    setProperty(navigator, "globalPrivacyControl", true);
    expect(await sendsAnything()).toBe(false);
    expect(await sendsAnything({ respectDoNotTrack: false })).toBe(true);
  });

  test("the localStorage opt-out flag, and optOut()/optIn()", async () => {
    localStorage.setItem("ca_optout", "1");
    expect(await sendsAnything()).toBe(false);
    localStorage.clear();
    const { net, analytics } = start({ flushInterval: 60_000 });
    analytics.track("queued-before-opt-out");
    analytics.optOut();
    expect(localStorage.getItem("ca_optout")).toBe("1");
    analytics.track("after-opt-out");
    hidePage();
    await analytics.flush();
    expect(net.sent).toHaveLength(0);
    analytics.optIn();
    analytics.track("after-opt-in");
    await analytics.flush();
    expect(net.events().map((e) => e.name)).toEqual(["after-opt-in"]);
  });

  test.each([
    "http://localhost:3000/",
    "http://127.0.0.1:8080/",
    "http://app.localhost/",
    "http://[::1]:5173/",
  ])("no tracking on %s unless trackLocalhost", async (url) => {
    resetPage(url);
    expect(await sendsAnything()).toBe(false);
    expect(await sendsAnything({ trackLocalhost: true })).toBe(true);
  });

  test("nothing is sent from automated browsers unless trackAutomation", async () => {
    setProperty(navigator, "webdriver", true);
    expect(await sendsAnything()).toBe(false);
    expect(await sendsAnything({ trackAutomation: true })).toBe(true);
  });
});
