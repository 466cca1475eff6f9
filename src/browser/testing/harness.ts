/**
 * Test helpers for the tracker's happy-dom tests: a clean page at a chosen
 * URL, and fakes for fetch and sendBeacon that record what was sent.
 */
import { vi } from "vitest";
import type { WireContext, WireEvent } from "../types.js";

/** A request body as the ingest route would parse it. */
export interface SentBody {
  writeKey?: string;
  visitorId: string;
  sessionId: string;
  context?: WireContext;
  events: WireEvent[];
}

export interface SentRequest {
  via: "fetch" | "keepalive" | "beacon";
  url: string;
  headers: Record<string, string>;
  body: SentBody;
  /** The raw body, to check byte sizes. */
  raw: string;
  /** What the fake server answered (beacons: 202). */
  status: number | "network-error";
}

/** What the fake server does with one request: a status (and headers), or a network error. */
export type Reply =
  { status: number; headers?: Record<string, string> } | "network-error";

/** Moves the page to `url` without a navigation, through happy-dom's own handle. */
export function setPageUrl(url: string): void {
  const page = window as unknown as { happyDOM: { setURL(url: string): void } };
  page.happyDOM.setURL(url);
}

/**
 * Resets the page: URL, storages, referrer, title and the privacy signals
 * happy-dom sets (it reports `navigator.webdriver === true`).
 */
export function resetPage(url = "https://shop.example/"): void {
  setPageUrl(url);
  localStorage.clear();
  sessionStorage.clear();
  document.title = "Shop";
  setProperty(document, "referrer", "");
  setProperty(document, "visibilityState", "visible");
  setProperty(navigator, "webdriver", false);
  setProperty(navigator, "doNotTrack", null);
  setProperty(navigator, "globalPrivacyControl", undefined);
}

/** Overrides a (possibly read-only) property for the current test. */
export function setProperty(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    configurable: true,
    writable: true,
  });
}

/**
 * Replaces fetch and sendBeacon with fakes. `replies` are used in order for
 * normal fetches; after they run out every fetch gets 202. `beaconAccepts`
 * decides what sendBeacon returns.
 */
export function fakeNetwork(
  replies: Reply[] = [],
  options: { beaconAccepts?: boolean } = {},
) {
  const sent: SentRequest[] = [];
  const record = (
    via: SentRequest["via"],
    url: string,
    raw: string,
    headers: Record<string, string> = {},
  ) => {
    const request: SentRequest = {
      via,
      url,
      headers,
      body: JSON.parse(raw),
      raw,
      status: 202,
    };
    sent.push(request);
    return request;
  };

  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    if (init.keepalive) {
      record("keepalive", url, String(init.body));
      return new Response(null, { status: 202 });
    }
    const request = record("fetch", url, String(init.body), {
      ...(init.headers as Record<string, string>),
    });
    const reply = replies.shift() ?? { status: 202 };
    request.status = reply == "network-error" ? reply : reply.status;
    if (reply == "network-error") throw new TypeError("Failed to fetch");
    return new Response(null, { status: reply.status, headers: reply.headers });
  });
  const sendBeacon = vi.fn((url: string, data: string) => {
    if (options.beaconAccepts === false) return false;
    record("beacon", url, data);
    return true;
  });
  vi.stubGlobal("fetch", fetch);
  setProperty(navigator, "sendBeacon", sendBeacon);
  return {
    sent,
    fetch,
    sendBeacon,
    /** Every event that arrived, in arrival order. */
    events: () => sent.flatMap((request) => request.body.events),
  };
}

/** Lets pending promise callbacks run (fetch fakes resolve asynchronously). */
export async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}
