/**
 * `convex-analytics/browser`: the first-party tracker. No dependencies, no
 * cookies; events are queued, batched and posted to the app's
 * `/analytics/ingest` route (see `registerRoutes` in `convex-analytics`).
 */
import {
  createTracker,
  type Analytics,
  type AnalyticsOptions,
} from "./tracker.js";

export type { Analytics, AnalyticsOptions, PageOptions } from "./tracker.js";
export type { PrivacyOptions } from "./privacy.js";
export type {
  Properties,
  PropertyValue,
  WireContext,
  WireEvent,
} from "./types.js";

/** A tracker that records nothing, for code evaluated outside a browser. */
function inertAnalytics(): Analytics {
  const nothing = () => {};
  const settled = () => Promise.resolve();
  return {
    page: nothing,
    track: nothing,
    identify: nothing,
    flush: settled,
    reset: nothing,
    optOut: nothing,
    optIn: nothing,
    stop: settled,
  };
}

/**
 * Starts the tracker. Call it once per page:
 *
 * ```ts
 * const analytics = createAnalytics({ endpoint: "https://<deployment>.convex.site/analytics/ingest", writeKey });
 * analytics.track("signup", { plan: "pro" });
 * ```
 *
 * It sends a pageview for the current page unless `autoPageview: false`,
 * and records nothing when a privacy rule applies (opt-out, Do Not Track or
 * Global Privacy Control, localhost, automated browser; see the options).
 * Outside a browser (server rendering) it returns a tracker that does
 * nothing, so modules that create it at import time can be rendered on the
 * server.
 */
export function createAnalytics(options: AnalyticsOptions): Analytics {
  return typeof window == "undefined" || typeof document == "undefined"
    ? inertAnalytics()
    : createTracker(options);
}
