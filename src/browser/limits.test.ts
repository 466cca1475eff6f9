// @vitest-environment happy-dom
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { createAnalytics, type Analytics } from "./index.js";
import { fakeNetwork, resetPage, setProperty } from "./testing/harness.js";
import { LIMITS } from "../component/lib/limits.js";
import { parseWireBatch } from "../client/wire.js";
import { checkEvent, cleanContext } from "../component/lib/validation.js";

const T0 = Date.UTC(2025, 0, 1, 12);
let tracker: Analytics | undefined;

beforeEach(() => vi.useFakeTimers({ now: T0 }));
afterEach(async () => {
  await tracker?.stop();
  tracker = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/**
 * The tracker cuts text to the server's limits (one table: LIMITS), so what
 * it sends is stored as sent: the route and ingest cut nothing further, and
 * nothing the server would keep is cut short by the tracker.
 */
test("the tracker cuts UTM values, names, paths, titles and referrers exactly where the server does", async () => {
  const long = (c: string) => c.repeat(3_000);
  const utm = ["source", "medium", "campaign", "term", "content"]
    .map((k) => `utm_${k}=${long(k[0])}`)
    .join("&");
  resetPage(`https://shop.example/${long("p")}?${utm}`);
  setProperty(document, "referrer", `https://elsewhere.example/${long("r")}`);
  document.title = long("t");
  const net = fakeNetwork();
  tracker = createAnalytics({
    endpoint: "https://app.example/analytics/ingest",
    writeKey: "wk_test",
    autoPageview: false,
  });
  tracker.page();
  tracker.track(long("n"));
  await tracker.flush();

  const [request] = net.sent;
  const context = request.body.context as Record<string, string>;
  for (const field of [
    "utmSource",
    "utmMedium",
    "utmCampaign",
    "utmTerm",
    "utmContent",
  ]) {
    expect(context[field], field).toHaveLength(LIMITS.maxContextValueLength);
  }
  const [pageview, track] = request.body.events;
  expect(pageview.path).toHaveLength(LIMITS.maxTextLength);
  expect(pageview.title).toHaveLength(LIMITS.maxTextLength);
  expect(pageview.referrer).toHaveLength(LIMITS.maxTextLength);
  expect(track.name).toHaveLength(LIMITS.maxEventNameLength);

  // The server keeps all of it unchanged.
  const batch = parseWireBatch(request.raw);
  expect(cleanContext(batch.context)).toMatchObject(context);
  for (const [i, event] of batch.events.entries()) {
    const checked = checkEvent(event, T0, {});
    if (!checked.ok) throw new Error(checked.reason);
    expect(checked.event).toMatchObject(request.body.events[i]);
  }
  // One more character would be cut by the server.
  const longer = { utmSource: "x".repeat(LIMITS.maxContextValueLength + 1) };
  expect(cleanContext(longer)?.utmSource).toHaveLength(
    LIMITS.maxContextValueLength,
  );
});
