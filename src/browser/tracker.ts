/**
 * The tracker itself: queueing, batching, delivery, automatic tracking.
 * `index.ts` is the public entry; the embed imports this module directly so
 * it does not carry the server-rendering guard it never needs.
 */
import {
  DOWNLOAD_EXTENSIONS,
  listen,
  watchHistory,
  watchLinks,
} from "./autotrack.js";
import {
  getUserId,
  keepInMemory,
  OPT_OUT_KEY,
  randomId,
  resetIdentity,
  save,
  setUserId,
  touchVisit,
} from "./identity.js";
import { isBlocked, type PrivacyOptions } from "./privacy.js";
import {
  encodeBatch,
  MAX_EVENTS,
  pushBounded,
  takeBatch,
  trim,
} from "./queue.js";
import { beacon, post } from "./transport.js";
import type {
  Properties,
  QueuedEvent,
  WireContext,
  WireEvent,
} from "./types.js";

/** Options of `createAnalytics`. Only `endpoint` and `writeKey` are required. */
export interface AnalyticsOptions extends PrivacyOptions {
  /** Full URL of the ingest route, e.g. `https://happy-otter-123.convex.site/analytics/ingest`. */
  endpoint: string;
  /** The site's public write key. */
  writeKey: string;
  /** Send a pageview for the page load right away. Default `true`. */
  autoPageview?: boolean;
  /** Send pageviews for client-side navigation (history API, back/forward). Default `false`. */
  spa?: boolean;
  /** Treat `#/route` changes as navigation and include the hash in paths. Default `false`. */
  hash?: boolean;
  /** Include `location.search` in paths. Default `false`. */
  includeSearch?: boolean;
  /** Track clicks on links to other hosts as `"Outbound Link"` events. Default `false`. */
  outboundLinks?: boolean;
  /** Track clicks on file links as `"File Download"`: `true` for the default extensions, or a list. Default `false`. */
  fileDownloads?: boolean | string[];
  /** Send as soon as this many events are queued (at most 50). Default `10`. */
  batchSize?: number;
  /** Send queued events at most this many milliseconds after the first was queued. Default `5000`. */
  flushInterval?: number;
  /** Events kept while the endpoint is unreachable; the oldest go first. Default `1000`. */
  maxQueueSize?: number;
  /**
   * `"none"`: store nothing on the device (no localStorage, sessionStorage or
   * cookies) and send no visitor or session id; the site must count
   * cookieless (`visitorIdentity: "cookieless"`). Opt-out is still stored
   * when the visitor opts out. Default: ids in localStorage/sessionStorage.
   */
  storage?: "local" | "none";
}

/** What `page()` may override; by default everything is read from the document. */
export interface PageOptions {
  path?: string;
  title?: string;
  properties?: Properties;
}

/** A running tracker, as returned by `createAnalytics`. */
export interface Analytics {
  /** Records a pageview of the current location (or of `options.path`). */
  page(options?: PageOptions): void;
  /** Records a custom event, e.g. `track("signup", { plan: "pro" })`. Names are cut to 120 characters. */
  track(name: string, properties?: Properties): void;
  /** Ties this visitor to your user id; `traits` are sent as the event's properties. Later events carry the user id. */
  identify(userId: string, traits?: Properties): void;
  /**
   * Sends everything queued now, unless the endpoint asked to back off
   * (then the scheduled retry sends it). Resolves when the requests have
   * finished; failed ones stay queued for retry.
   */
  flush(): Promise<void>;
  /** Forgets the user id, visitor id and session (call it on logout). */
  reset(): void;
  /** Opts this browser out (persisted in localStorage) and drops queued events. */
  optOut(): void;
  /** Reverts {@link Analytics.optOut}. */
  optIn(): void;
  /** Removes all listeners and timers, undoes history patches, and sends what is still queued. */
  stop(): Promise<void>;
}

/** Cuts optional text to the route's length limits so it is never rejected for length. */
const cut = (text: string | undefined, max: number) =>
  text?.slice(0, max) || undefined;

/** Language, screen size and IANA timezone: the same for every event of the page. */
function baseContext(): WireContext {
  return {
    language: navigator.language,
    screen: screen.width + "x" + screen.height,
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
  };
}

/** `utm_*` query parameters of the current URL as context fields. */
function utmContext(): WireContext {
  const query = new URLSearchParams(location.search);
  const context: Record<string, string> = {};
  for (const key of ["Source", "Medium", "Campaign", "Term", "Content"]) {
    const value = query.get("utm_" + key.toLowerCase());
    if (value) context["utm" + key] = value.slice(0, 200); // LIMITS.maxContextValueLength (not imported: bundle size)
  }
  return context;
}

/** `document.referrer`, but only when it is another site: internal referrers are noise. */
function externalReferrer(): string | undefined {
  try {
    if (new URL(document.referrer).host != location.host)
      return cut(document.referrer, 2000);
  } catch {
    // Empty or unparsable referrer: nothing to report.
  }
}

/** Starts a tracker in a browser page; see `createAnalytics` for the public contract. */
export function createTracker(options: AnalyticsOptions): Analytics {
  const { endpoint, writeKey } = options;
  const batchSize = Math.min(options.batchSize || 10, MAX_EVENTS);
  const maxQueue = options.maxQueueSize || 1000;
  const base = baseContext();
  const anonymous = options.storage == "none";
  keepInMemory(anonymous);
  let queue: QueuedEvent[] = [];
  /** The batch a fetch is carrying; null once it finished or a beacon took it over. */
  let inFlight: QueuedEvent[] | null = null;
  let sending: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let retryAt = 0;
  let lastPath: string | undefined;
  let stopped = false;

  const currentPath = () =>
    location.pathname +
    (options.includeSearch ? location.search : "") +
    (options.hash ? location.hash : "");
  const blocked = () => stopped || isBlocked(options);
  const onTimer = () => {
    timer = undefined;
    void flush(); // never rejects: post() turns every failure into a retry delay
  };

  function capture(event: WireEvent): void {
    if (blocked()) return;
    const now = Date.now();
    const visit = touchVisit(now, event.type == "pageview");
    const item: QueuedEvent = {
      e: {
        userId: getUserId(),
        ...event,
        occurredAt: now,
        eventId: randomId(),
      },
    };
    // Without storage the server derives the ids; in-memory ones only mark the page's first pageview.
    if (!anonymous) {
      item.v = visit.visitorId;
      item.s = visit.sessionId;
    }
    if (visit.entry) {
      item.u = utmContext();
      item.e.referrer = externalReferrer();
    }
    pushBounded(queue, item, maxQueue);
    if (queue.length >= batchSize)
      void flush(); // never rejects, as above
    else timer ||= setTimeout(onTimer, options.flushInterval || 5000);
  }

  /** Posts batch after batch; on a retryable failure, requeues and waits. */
  async function drain(): Promise<void> {
    while (queue.length) {
      const wait = retryAt - Date.now();
      if (wait > 0) {
        // After stop() nothing is scheduled any more; the events stay queued.
        clearTimeout(timer);
        if (!stopped) timer = setTimeout(onTimer, wait);
        return;
      }
      const batch = (inFlight = takeBatch(queue, base, writeKey));
      if (!batch.length) continue;
      const delay = await post(
        endpoint,
        writeKey,
        encodeBatch(batch, base),
        failures,
      );
      const stillOurs = inFlight == batch;
      inFlight = null;
      if (!delay) failures = 0;
      else {
        failures++;
        retryAt = Date.now() + delay;
        // Same events, same eventIds: the server deduplicates if the
        // failed request did arrive after all.
        if (stillOurs) queue.unshift(...batch);
        trim(queue, maxQueue);
      }
    }
  }

  function flush(): Promise<void> {
    return (sending ||= drain().finally(() => (sending = null)));
  }

  /**
   * The page is being hidden or unloaded: hand everything, including the
   * batch a fetch is still carrying (the page may cancel that fetch), to
   * the browser. Duplicates are harmless thanks to eventIds.
   */
  function sendNow(): void {
    const pending = (inFlight || []).concat(queue);
    inFlight = null;
    queue = [];
    while (pending.length) {
      const batch = takeBatch(pending, base, writeKey);
      if (
        batch.length &&
        !beacon(endpoint, encodeBatch(batch, base, writeKey))
      ) {
        queue = batch.concat(pending);
        break;
      }
    }
  }

  function page(overrides: PageOptions = {}): void {
    lastPath = currentPath();
    capture({
      type: "pageview",
      path: cut(overrides.path || lastPath, 2000),
      title: cut(overrides.title ?? document.title, 2000),
      properties: overrides.properties,
    });
  }

  function track(name: string, properties?: Properties): void {
    capture({ type: "track", name: cut(name, 120), properties });
  }

  const cleanups = [
    listen(window, "pagehide", sendNow),
    listen(
      document,
      "visibilitychange",
      () => document.visibilityState == "hidden" && sendNow(),
    ),
  ];
  if (options.autoPageview != false) {
    // A page restored from the back/forward cache is a new view of it.
    cleanups.push(
      listen(
        window,
        "pageshow",
        (event: PageTransitionEvent) => event.persisted && page(),
      ),
    );
  }
  if (options.spa || options.hash) {
    cleanups.push(
      watchHistory(() => currentPath() != lastPath && page(), options.hash),
    );
  }
  const downloads = options.fileDownloads;
  if (options.outboundLinks || downloads) {
    const extensions = Array.isArray(downloads)
      ? downloads.join("|")
      : DOWNLOAD_EXTENSIONS;
    const pattern = downloads
      ? new RegExp("\\.(" + extensions + ")$", "i")
      : undefined;
    cleanups.push(watchLinks(track, options.outboundLinks, pattern));
  }
  if (options.autoPageview != false) page();

  return {
    page,
    track,
    identify(userId, traits) {
      if (blocked()) return;
      setUserId(userId);
      capture({ type: "identify", userId, properties: traits });
    },
    flush,
    reset: resetIdentity,
    optOut() {
      save("localStorage", OPT_OUT_KEY, "1");
      queue = [];
    },
    optIn() {
      save("localStorage", OPT_OUT_KEY, null);
    },
    stop() {
      cleanups.forEach((fn) => fn());
      clearTimeout(timer);
      const done = flush();
      stopped = true;
      return done;
    },
  };
}
