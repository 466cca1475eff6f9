/**
 * The standalone script: `<script defer src=".../convex-analytics.min.js"
 * data-endpoint="…" data-write-key="…"></script>` starts a tracker and
 * exposes it as `window.ConvexAnalytics`.
 */
import {
  createTracker,
  type Analytics,
  type AnalyticsOptions,
} from "./tracker.js";

declare global {
  interface Window {
    ConvexAnalytics?: Analytics;
  }
}

/**
 * Reads tracker options from the script tag's `data-*` attributes. Boolean
 * switches are on when present (`data-spa`), unless set to `"false"`.
 * Returns null when the endpoint or write key is missing.
 */
export function readScriptOptions(script: Element): AnalyticsOptions | null {
  const get = (name: string) => script.getAttribute("data-" + name);
  const on = (name: string) => get(name) != null && get(name) != "false";
  const num = (name: string) => +get(name)! || undefined;
  const endpoint = get("endpoint");
  const writeKey = get("write-key");
  return endpoint && writeKey
    ? {
        endpoint,
        writeKey,
        autoPageview: get("auto-pageview") != "false",
        spa: on("spa"),
        hash: on("hash"),
        includeSearch: on("include-search"),
        outboundLinks: on("outbound"),
        fileDownloads: on("downloads"),
        respectDoNotTrack: get("respect-dnt") != "false",
        trackLocalhost: on("track-localhost"),
        trackAutomation: on("track-automation"),
        batchSize: num("batch-size"),
        flushInterval: num("flush-interval"),
        storage: (get("storage") || undefined) as AnalyticsOptions["storage"],
      }
    : null;
}

const script = document.currentScript;
const options = script && readScriptOptions(script);
if (script && !options)
  console.warn(
    "convex-analytics: data-endpoint and data-write-key are required",
  );
// A second copy of the script must not start a second tracker.
if (options && !window.ConvexAnalytics)
  window.ConvexAnalytics = createTracker(options);
