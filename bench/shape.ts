/**
 * Deterministic traffic of a realistic shape for the benchmark: returning
 * visitors (~10 events each over the period), sessions of ~5 events, ~200
 * paths with skewed popularity, 20 referrer hosts, UTM campaigns, track
 * events with properties, and the tracker's batching (1–5 events per request,
 * each event with its client eventId).
 */
import { prng, type Batch } from "../src/component/testing/traffic.js";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export type Shape = {
  seed: number;
  /** UTC midnight the traffic starts at. */
  start: number;
  days: number;
  /** Target number of events (the result is within a few percent). */
  events: number;
  eventsPerVisitor?: number;
  eventsPerSession?: number;
  paths?: number;
  referrers?: number;
  /** Most events per tracker request. */
  maxBatch?: number;
  /** Prefix of visitor ids, so two datasets of one site never share visitors. */
  visitorPrefix?: string;
  /** Every session starts inside [start, start + windowMs) instead of the whole period. */
  windowMs?: number;
};

const DEVICES = ["desktop", "mobile", "tablet"];
const BROWSERS = ["Chrome", "Firefox", "Safari", "Edge", "Samsung Internet"];
const OSES = ["Windows", "macOS", "Linux", "iOS", "Android"];
const COUNTRIES = [
  "US",
  "DE",
  "IN",
  "GB",
  "FR",
  "BR",
  "JP",
  "CA",
  "NL",
  "ES",
  "IT",
  "PL",
];
const TRACK = ["signup", "click", "download", "search"];
const PLANS = ["free", "pro", "team", "enterprise"];

export function referrerHosts(n: number): string[] {
  const known = [
    "google.com",
    "news.ycombinator.com",
    "twitter.com",
    "github.com",
    "reddit.com",
    "bing.com",
    "duckduckgo.com",
    "linkedin.com",
  ];
  return Array.from(
    { length: n },
    (_, i) =>
      `https://${known[i] ?? `blog-${i}.example.org`}/some/page?id=${i}`,
  );
}

export function pathList(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    i === 0 ? "/" : `/docs/section-${Math.floor(i / 10)}/page-${i}`,
  );
}

/** Time of day weighting: more traffic in the (UTC) afternoon. */
function dayOffset(r: ReturnType<typeof prng>): number {
  const hour = Math.min(23, Math.floor(24 * (r.next() * 0.6 + r.next() * 0.4)));
  return hour * HOUR + Math.floor(r.next() * HOUR);
}

export function generateShape(shape: Shape): Batch[] {
  const r = prng(shape.seed);
  const perVisitor = shape.eventsPerVisitor ?? 10;
  const perSession = shape.eventsPerSession ?? 5;
  const paths = pathList(shape.paths ?? 200);
  const referrers = referrerHosts(shape.referrers ?? 20);
  const maxBatch = shape.maxBatch ?? 5;
  const visitors = Math.max(1, Math.round(shape.events / perVisitor));
  const prefix = shape.visitorPrefix ?? `v${shape.seed}`;
  const span = shape.days * DAY;
  const batches: Batch[] = [];
  let serial = 0;
  for (let v = 0; v < visitors; v++) {
    const visitorId = `${prefix}-${v}`;
    const device = r.pick(DEVICES);
    const os = r.pick(OSES);
    const browser = r.pick(BROWSERS);
    const country = r.pick(COUNTRIES);
    // Returning visitors: the visitor's events split into sessions of ~perSession.
    const total = Math.max(1, Math.round(perVisitor * (0.5 + r.next())));
    let left = total;
    let s = 0;
    while (left > 0) {
      const count = Math.min(
        left,
        Math.max(1, r.int(perSession - 2, perSession + 2)),
      );
      left -= count;
      const sessionId = `${visitorId}-s${s++}`;
      const startAt = shape.windowMs
        ? shape.start + Math.floor(r.next() * shape.windowMs)
        : shape.start +
          Math.floor(r.next() * (span / DAY)) * DAY +
          dayOffset(r);
      const end = shape.start + (shape.windowMs ?? span);
      const context: Record<string, string> = { device, browser, os, country };
      const campaign = r.chance(0.15);
      const utm: Record<string, string> = campaign
        ? {
            utmSource: r.pick(["newsletter", "ads", "partner"]),
            utmMedium: r.pick(["email", "cpc", "referral"]),
            utmCampaign: `campaign-${r.int(1, 8)}`,
          }
        : {};
      const referrer =
        !campaign && r.chance(0.5) ? r.skewed(referrers) : undefined;
      const events: Batch["events"] = [];
      let t = startAt;
      for (let k = 0; k < count; k++) {
        if (k > 0) t += r.int(5, 240) * 1000 + (serial % 997);
        if (t >= end) t = end - 1 - (count - k);
        serial++;
        const kind = r.next();
        const type =
          k === 0 || kind < 0.75
            ? "pageview"
            : kind < 0.95
              ? "track"
              : "identify";
        const name = type === "track" ? r.pick(TRACK) : type;
        events.push({
          visitorId,
          sessionId,
          type,
          name,
          path: type === "pageview" ? r.skewed(paths) : undefined,
          referrer: k === 0 ? referrer : undefined,
          occurredAt: t,
          eventId: `e-${prefix}-${serial}`,
          ...(type === "track"
            ? { properties: { plan: r.pick(PLANS), step: r.int(1, 4) } }
            : {}),
          ...(type === "identify"
            ? {
                userId: `user-${visitorId}`,
                properties: { tier: r.pick(PLANS) },
              }
            : {}),
        } as Batch["events"][number]);
      }
      // The tracker sends 1..maxBatch events per request, a second or so after the last.
      const plain = { device, browser, os, country };
      for (let i = 0, first = true; i < events.length; first = false) {
        const size = Math.min(events.length - i, r.int(1, maxBatch));
        const slice = events.slice(i, i + size);
        i += size;
        batches.push({
          arrival: slice[slice.length - 1].occurredAt + r.int(200, 3_000),
          visitorId,
          sessionId,
          context: first ? { ...context, ...utm } : plain,
          events: slice,
        });
      }
    }
  }
  return batches.sort((a, b) => a.arrival - b.arrival);
}

export const eventCount = (batches: Batch[]) =>
  batches.reduce((n, b) => n + b.events.length, 0);
