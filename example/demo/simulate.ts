import { vi } from "vitest";
import { Window } from "happy-dom";
import { createAnalytics } from "convex-analytics/browser";
import { prng } from "../../src/component/testing/traffic";
import { ORIGIN, WRITE_KEY, type ExampleApp } from "../test/setup";

/** A browser's identity: what the tracker stores and what the request headers say (its IP as a proxy forwards it). */
type Browser = {
  userAgent: string;
  local: Record<string, string>;
  timezone: string;
  language: string;
  ip: string;
  site: SimulatedSite;
};

/** Which site the simulated browsers visit; default the shop, tracked by device. */
export type SimulatedSite = {
  origin: string;
  writeKey: string;
  storage?: "none";
};

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
  "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
];
const CRAWLER =
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const ZONES = [
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata",
  "Europe/Paris",
  "America/Sao_Paulo",
  "Asia/Tokyo",
];
const PAGES = [
  "/",
  "/pricing",
  "/docs",
  "/docs/install",
  "/docs/api",
  "/blog",
  "/blog/launch",
  "/about",
  "/changelog",
  "/signup",
];
const LANDINGS = [
  { url: "/", referrer: "https://www.google.com/" },
  { url: "/blog/launch", referrer: "https://news.ycombinator.com/item?id=1" },
  {
    url: "/?utm_source=newsletter&utm_medium=email&utm_campaign=november",
    referrer: "",
  },
  {
    url: "/pricing?utm_source=twitter&utm_medium=social&utm_campaign=launch",
    referrer: "https://t.co/abc",
  },
  { url: "/docs", referrer: "https://github.com/get-convex" },
  { url: "/", referrer: "" },
];

const endpoint = `${ORIGIN.replace("shop", "demo")}/analytics/ingest`;

/**
 * A DOM for the tracker without replacing the runtime's fetch classes: a
 * page's own Request/Headers would drop the Origin and User-Agent headers
 * that the route needs, as browsers do.
 */
function installPage(origin: string): Window {
  const page = new Window({ url: origin });
  for (const name of [
    "window",
    "document",
    "location",
    "history",
    "localStorage",
    "sessionStorage",
    "navigator",
    "screen",
  ] as const) {
    vi.stubGlobal(name, name === "window" ? page : page[name]);
  }
  return page;
}

/**
 * Routes the tracker's requests into the example app's HTTP route on
 * convex-test, adding what a real browser would: Origin and User-Agent.
 * Beacons go the same way (sendBeacon is only used at page hide).
 */
function installNetwork(t: ExampleApp, browser: () => Browser) {
  const send = async (url: string, init: RequestInit = {}) => {
    const { pathname, search } = new URL(url);
    const headers = {
      ...(init.headers as Record<string, string>),
      origin: browser().site.origin,
      "user-agent": browser().userAgent,
      "x-forwarded-for": browser().ip,
    };
    const res = await t.fetch(pathname + search, { ...init, headers });
    return res;
  };
  vi.stubGlobal("fetch", (url: string, init?: RequestInit) => send(url, init));
  Object.defineProperty(navigator, "sendBeacon", {
    configurable: true,
    value: (url: string, body: string) => {
      void send(url, {
        method: "POST",
        body,
        headers: { "content-type": "text/plain" },
      });
      return true;
    },
  });
}

function useBrowser(b: Browser) {
  localStorage.clear();
  sessionStorage.clear();
  for (const [k, v] of Object.entries(b.local)) localStorage.setItem(k, v);
  Object.defineProperty(navigator, "language", {
    configurable: true,
    value: b.language,
  });
  vi.spyOn(Intl.DateTimeFormat.prototype, "resolvedOptions").mockReturnValue({
    ...new Intl.DateTimeFormat("en-US", {
      timeZone: b.timezone,
    }).resolvedOptions(),
  });
}

function rememberBrowser(b: Browser) {
  b.local = {};
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i)!;
    b.local[key] = localStorage.getItem(key)!;
  }
  vi.restoreAllMocks();
}

/** One visit: land, browse a few pages (SPA navigation), maybe sign up. */
async function visit(
  page: Window,
  r: ReturnType<typeof prng>,
  start: number,
  site: SimulatedSite,
) {
  const landing = r.pick(LANDINGS);
  vi.setSystemTime(start);
  page.happyDOM.setURL(site.origin + landing.url);
  Object.defineProperty(document, "referrer", {
    configurable: true,
    value: landing.referrer,
  });
  // The simulated browser is automation by definition, so it opts in to being tracked.
  const analytics = createAnalytics({
    endpoint,
    writeKey: site.writeKey,
    storage: site.storage,
    spa: true,
    batchSize: 20,
    trackAutomation: true,
  });
  let now = start;
  const pages = r.chance(0.35) ? 0 : r.int(1, 7);
  for (let p = 0; p < pages; p++) {
    now += r.int(8, 240) * 1000;
    vi.setSystemTime(now);
    history.pushState({}, "", r.skewed(PAGES));
    if (r.chance(0.15))
      analytics.track("cta_click", {
        plan: r.pick(["free", "pro", "team"]),
        position: r.pick(["hero", "footer"]),
      });
  }
  if (r.chance(0.08)) {
    analytics.identify(`user-${r.int(1, 10_000)}`, {
      plan: r.pick(["free", "pro"]),
    });
    analytics.track("signup", { plan: r.pick(["free", "pro", "team"]) });
  }
  await analytics.flush();
  await analytics.stop();
}

/** One site's share of the simulated traffic; its own seed drives its browsers and visits. */
export type SitePlan = { visitors: number; seed: number; site?: SimulatedSite };

/**
 * Simulates `visitors` browsers over the `days` before `end`: returning
 * visitors keep their localStorage (so their visitor id), every visit gets
 * a fresh tab (so a new session id). Returns how many visits were made.
 */
export async function simulateTraffic(
  t: ExampleApp,
  opts: SitePlan & { days: number; end: number },
) {
  return (await simulateSites(t, [opts], opts))[0];
}

/**
 * Several sites' traffic in one pass in time order (the clock never goes
 * back, as in a deployment); a cookieless site's browsers store nothing, so
 * its returning visitors are new each day. Returns each plan's visit count.
 */
export async function simulateSites(
  t: ExampleApp,
  plans: SitePlan[],
  opts: { days: number; end: number },
) {
  let current: Browser | null = null;
  const page = installPage(ORIGIN);
  installNetwork(t, () => current!);
  const visits: { browser: Browser; at: number; r: ReturnType<typeof prng> }[] =
    [];
  const counts = plans.map((plan, index) => {
    const planVisits = planTraffic(plan, opts, index);
    visits.push(...planVisits);
    return planVisits.length;
  });
  // Stable: within one plan the order (and so its random draws) is what it would be alone.
  visits.sort((a, b) => a.at - b.at);
  for (const v of visits) {
    current = v.browser;
    useBrowser(v.browser);
    await visit(page, v.r, v.at, v.browser.site);
    rememberBrowser(v.browser);
  }
  return counts;
}

function planTraffic(
  plan: SitePlan,
  opts: { days: number; end: number },
  planIndex: number,
) {
  const site = plan.site ?? { origin: ORIGIN, writeKey: WRITE_KEY };
  const r = prng(plan.seed);
  const browsers: Browser[] = Array.from({ length: plan.visitors }, (_, i) => ({
    site,
    ip: `100.${64 + planIndex}.${i >> 8}.${i & 255}`,
    // A few crawlers run the page's script too; the route counts them as bots.
    userAgent: r.chance(0.03) ? CRAWLER : r.pick(USER_AGENTS),
    local: {},
    timezone: r.pick(ZONES),
    language: r.pick(["en-US", "de-DE", "fr-FR", "pt-BR"]),
  }));
  const visits: { browser: Browser; at: number; r: typeof r }[] = [];
  for (const browser of browsers) {
    const count = r.chance(0.3) ? r.int(2, 5) : 1;
    for (let i = 0; i < count; i++) {
      visits.push({
        browser,
        r,
        at:
          opts.end - Math.floor(r.next() * opts.days * 86_400_000) - 3_600_000,
      });
    }
  }
  return visits.sort((a, b) => a.at - b.at);
}
