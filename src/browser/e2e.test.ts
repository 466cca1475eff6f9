// @vitest-environment node
/**
 * The embed in a real browser: headless Chromium loads a page from a
 * localhost server, navigates a tiny SPA, clicks an outbound link and
 * closes; a localhost receiver standing in for the ingest route records
 * every request. Everything listens on 127.0.0.1 and every wait is bounded.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import {
  afterAll,
  beforeAll,
  beforeEach,
  describe,
  expect,
  test,
} from "vitest";
import { buildEmbed } from "./testing/embed-build.js";
import type { SentBody } from "./testing/harness.js";

const CHROMIUM = "/usr/bin/chromium";
const WRITE_KEY = "wk_e2e";
const STEP_TIMEOUT_MS = 15_000;
/** CI must run this test; a developer machine without Chromium skips it with a notice. */
const runnable = existsSync(CHROMIUM) || !!process.env.CI;
if (!runnable)
  console.warn(
    `e2e skipped: ${CHROMIUM} missing (apt-get install -y chromium)`,
  );

interface Arrival {
  via: "fetch" | "beacon";
  contentType: string;
  headerKey?: string;
  body: SentBody;
  at: number;
}

let pageServer: Server;
let receiver: Server;
let pageOrigin: string; // http://localhost:<port>
let otherOrigin: string; // http://127.0.0.1:<port>: same server, another host, so "outbound"
let endpoint: string;
const arrivals: Arrival[] = [];
let embedCode = "";

/** Starts a server on the loopback interface only and returns its port. */
async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** Reads a request body, refusing more than 1 MiB so a bug cannot exhaust memory. */
function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    request.setEncoding("utf8");
    request.on("data", (chunk: string) => {
      text += chunk;
      if (text.length > 1 << 20) request.destroy(new Error("body too large"));
    });
    request.on("end", () => resolve(text));
    request.on("error", reject);
  });
}

/** The ingest route's stand-in: CORS like the real route, records each body. */
async function receive(
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  response.setHeader(
    "access-control-allow-origin",
    request.headers.origin ?? "*",
  );
  response.setHeader("access-control-allow-methods", "POST, OPTIONS");
  response.setHeader(
    "access-control-allow-headers",
    "content-type, x-analytics-write-key",
  );
  if (request.method == "OPTIONS") return void response.writeHead(204).end();
  if (request.method != "POST" || request.url != "/analytics/ingest")
    return void response.writeHead(404).end();
  const text = await readBody(request);
  const headerKey = request.headers["x-analytics-write-key"] as
    string | undefined;
  const contentType = request.headers["content-type"] ?? "";
  arrivals.push({
    via: headerKey ? "fetch" : "beacon",
    contentType,
    headerKey,
    body: JSON.parse(text),
    at: Date.now(),
  });
  response.writeHead(202, { "content-type": "application/json" });
  response.end(
    JSON.stringify({
      accepted: JSON.parse(text).events.length,
      duplicate: 0,
      rejected: 0,
    }),
  );
}

/** A page with the embed and a minimal router: links with data-route use pushState. `cookieless` adds data-storage="none". */
function appHtml(flushInterval: number, cookieless = false): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>Home</title>
<script defer src="/convex-analytics.min.js" data-endpoint="${endpoint}" data-write-key="${WRITE_KEY}"
  data-spa data-outbound data-track-localhost data-track-automation data-flush-interval="${flushInterval}"${cookieless ? ' data-storage="none"' : ""}></script>
<script>
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-route]");
    if (!link) return;
    event.preventDefault();
    document.title = link.textContent;
    history.pushState({}, "", link.getAttribute("href"));
    document.getElementById("view").textContent = link.textContent;
  });
</script></head><body>
<a id="to-a" data-route href="/route-a">Route A</a>
<a id="to-b" data-route href="/route-b">Route B</a>
<a id="out" href="${otherOrigin}/outbound">Elsewhere</a>
<button id="signup" onclick="ConvexAnalytics.track('signup', { plan: 'pro' })">Sign up</button>
<h1 id="view">Home</h1></body></html>`;
}

function servePage(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? "/", "http://x");
  if (url.pathname == "/convex-analytics.min.js") {
    response
      .writeHead(200, { "content-type": "text/javascript" })
      .end(embedCode);
  } else if (url.pathname == "/outbound") {
    response
      .writeHead(200, { "content-type": "text/html" })
      .end("<!doctype html><title>Elsewhere</title>left");
  } else {
    const interval = Number(url.searchParams.get("interval")) || 60_000;
    response
      .writeHead(200, { "content-type": "text/html" })
      .end(appHtml(interval, url.searchParams.has("cookieless")));
  }
}

/** Polls (bounded) until `ready()` holds; then waits `settleMs` more to catch stragglers. */
async function waitFor(
  ready: () => boolean,
  what: string,
  settleMs = 750,
): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!ready()) {
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}; got ${JSON.stringify(arrivals)}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs));
}

/** Events that arrived, each eventId once (retries and re-sends are deduplicated server-side too). */
function uniqueEvents() {
  const seen = new Map<string, SentBody["events"][number]>();
  for (const arrival of arrivals)
    for (const event of arrival.body.events) seen.set(event.eventId!, event);
  return [...seen.values()];
}

async function withBrowser(
  run: (context: BrowserContext, page: Page) => Promise<void>,
): Promise<void> {
  const userDataDir = await mkdtemp(join(tmpdir(), "convex-analytics-e2e-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    locale: "de-DE",
    timezoneId: "Europe/Berlin",
    viewport: { width: 1280, height: 720 },
    screen: { width: 1280, height: 720 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    await run(context, page);
  } finally {
    await context.close().catch(() => {});
    await rm(userDataDir, { recursive: true, force: true });
  }
}

describe.runIf(runnable)("embed in headless Chromium", () => {
  beforeAll(async () => {
    embedCode = (await buildEmbed()).code;
    receiver = createServer((request, response) => {
      receive(request, response).catch(() => response.writeHead(400).end());
    });
    endpoint = `http://127.0.0.1:${await listen(receiver)}/analytics/ingest`;
    pageServer = createServer(servePage);
    const port = await listen(pageServer);
    pageOrigin = `http://localhost:${port}`;
    otherOrigin = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await Promise.all(
      [pageServer, receiver].map(
        (server) => new Promise((resolve) => server?.close(resolve)),
      ),
    );
  });

  beforeEach(() => {
    arrivals.length = 0;
  });

  test("pageviews, SPA routes, a custom event and an outbound click all arrive by beacon when the page goes away", async () => {
    await withBrowser(async (_context, page) => {
      await page.goto(`${pageOrigin}/`);
      await page.waitForFunction(() => "ConvexAnalytics" in window);
      await page.click("#to-a");
      await page.waitForURL(`${pageOrigin}/route-a`);
      await page.click("#to-b");
      await page.waitForURL(`${pageOrigin}/route-b`);
      await page.click("#signup");
      // The flush interval is a minute: until now everything sits in the queue.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(arrivals).toHaveLength(0);
      await page.click("#out");
      await page.waitForURL(`${otherOrigin}/outbound`);
      await page.close();
      await waitFor(() => uniqueEvents().length >= 5, "five events");
    });

    expect(
      uniqueEvents().map(({ type, name, path, title, properties }) => ({
        type,
        name,
        path,
        title,
        properties,
      })),
    ).toEqual([
      { type: "pageview", path: "/", title: "Home" },
      { type: "pageview", path: "/route-a", title: "Route A" },
      { type: "pageview", path: "/route-b", title: "Route B" },
      { type: "track", name: "signup", properties: { plan: "pro" } },
      {
        type: "track",
        name: "Outbound Link",
        properties: { url: `${otherOrigin}/outbound` },
      },
    ]);
    expect(arrivals.flatMap((a) => a.body.events)).toHaveLength(5); // each event exactly once
    for (const arrival of arrivals) {
      expect(arrival.via).toBe("beacon");
      expect(arrival.contentType).toMatch(/^text\/plain/);
      expect(arrival.body.writeKey).toBe(WRITE_KEY);
    }
    const ids = new Set(
      arrivals.map((a) => `${a.body.visitorId}/${a.body.sessionId}`),
    );
    expect(ids.size).toBe(1);
    expect(arrivals[0].body.context).toEqual({
      language: "de-DE",
      screen: "1280x720",
      timezone: "Europe/Berlin",
    });
    const times = uniqueEvents().map((e) => e.occurredAt!);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  test('data-storage="none": a visit with SPA navigation and opt-out leaves no cookie and no storage, and sends no ids', async () => {
    /** Everything the page can have stored: Web Storage, cookies, IndexedDB databases, Cache Storage. */
    const inspect = (page: Page) =>
      page.evaluate(async () => ({
        local: Object.keys(localStorage),
        session: Object.keys(sessionStorage),
        cookie: document.cookie,
        indexedDb: (await indexedDB.databases()).map((db) => db.name),
        caches: await caches.keys(),
      }));
    let stored: Awaited<ReturnType<typeof inspect>> | undefined;
    let afterOptOut: Awaited<ReturnType<typeof inspect>> | undefined;
    let cookies: unknown[] = [];
    await withBrowser(async (context, page) => {
      await page.goto(`${pageOrigin}/?interval=200&cookieless`);
      await page.waitForFunction(() => "ConvexAnalytics" in window);
      await page.click("#to-a");
      await page.waitForURL(`${pageOrigin}/route-a`);
      await page.click("#to-b");
      await page.waitForURL(`${pageOrigin}/route-b`);
      await page.click("#signup");
      await page.evaluate(() => window.ConvexAnalytics!.identify("u_1"));
      await waitFor(() => uniqueEvents().length >= 5, "the interval flushes");
      // A full page load of the same site: a new page, still nothing stored.
      await page.goto(`${pageOrigin}/route-a?interval=200&cookieless`);
      await page.waitForFunction(() => "ConvexAnalytics" in window);
      await waitFor(
        () => uniqueEvents().length >= 6,
        "the second page's pageview",
      );
      stored = await inspect(page);
      cookies = await context.cookies();
      await page.evaluate(() => window.ConvexAnalytics!.optOut());
      afterOptOut = await inspect(page);
    });

    expect(stored).toEqual({
      local: [],
      session: [],
      cookie: "",
      indexedDb: [],
      caches: [],
    });
    expect(cookies).toEqual([]);
    expect(afterOptOut?.local).toEqual(["ca_optout"]); // stored only because the visitor chose it
    expect(uniqueEvents().map((e) => e.path ?? e.name ?? e.type)).toEqual([
      "/",
      "/route-a",
      "/route-b",
      "signup",
      "identify",
      "/route-a",
    ]);
    for (const arrival of arrivals) {
      expect(arrival.body).not.toHaveProperty("visitorId");
      expect(arrival.body).not.toHaveProperty("sessionId");
    }
  });

  test("batches go out by fetch with the write-key header, and an event tracked just before closing still arrives", async () => {
    await withBrowser(async (_context, page) => {
      await page.goto(`${pageOrigin}/?interval=200`);
      await page.waitForFunction(() => "ConvexAnalytics" in window);
      await page.click("#to-a");
      await waitFor(() => uniqueEvents().length >= 2, "the interval flush", 0);
      await page.evaluate(() => window.ConvexAnalytics!.track("bye"));
      await page.close();
      await waitFor(() => uniqueEvents().length >= 3, "the closing beacon");
    });

    expect(uniqueEvents().map((e) => e.name ?? e.path)).toEqual([
      "/",
      "/route-a",
      "bye",
    ]);
    const fetched = arrivals.filter((a) => a.via == "fetch");
    expect(fetched.length).toBeGreaterThan(0);
    for (const arrival of fetched) {
      expect(arrival.headerKey).toBe(WRITE_KEY);
      expect(arrival.contentType).toBe("application/json");
      expect(arrival.body.writeKey).toBeUndefined();
    }
    const last = arrivals.at(-1)!;
    expect(last.via).toBe("beacon");
    // The closing beacon carries "bye"; on a loaded machine it may also resend
    // events whose fetch had not been answered yet (their eventIds dedupe them).
    expect(last.body.events.map((e) => e.name)).toContain("bye");
  });
});
