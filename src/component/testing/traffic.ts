import type { SentEvent } from "./truth.js";

/** A small deterministic PRNG (mulberry32), so failures reproduce. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) =>
      min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)],
    /** Skewed towards the first items, like real page popularity. */
    skewed: <T>(items: readonly T[]) =>
      items[Math.floor(next() ** 2 * items.length)],
    chance: (p: number) => next() < p,
  };
}

export type Batch = {
  arrival: number;
  visitorId: string;
  sessionId: string;
  context: Record<string, string>;
  events: (SentEvent & {
    eventId?: string;
    properties?: Record<string, string | number>;
  })[];
};

export type TrafficShape = {
  seed: number;
  start: number;
  days: number;
  visitors: number;
  sessionsPerVisitor: [number, number];
  eventsPerSession: [number, number];
  paths?: number;
  lateBatchShare?: number;
  retryShare?: number;
};

const DEVICES = ["desktop", "mobile", "tablet"];
const BROWSERS = ["Chrome", "Firefox", "Safari", "Edge"];
const OSES = ["Windows", "macOS", "Linux", "iOS", "Android"];
const COUNTRIES = ["DE", "US", "IN", "FR", "BR", "JP"];
const REFERRERS = [
  "https://www.google.com/search?q=x",
  "https://news.ycombinator.com/item",
  "https://twitter.com/a",
  "https://github.com/o/r",
];
const TRACK_NAMES = ["signup", "click", "download"];

/**
 * Generates realistic traffic: returning visitors, sessions crossing hours
 * and midnights, idle gaps that split one client session in two, identify
 * events, UTM and referrers on the first batch, late and out-of-order
 * batches, and retried batches carrying eventIds.
 */
export function generateTraffic(shape: TrafficShape): Batch[] {
  const r = prng(shape.seed);
  const paths = Array.from({ length: shape.paths ?? 20 }, (_, i) =>
    i === 0 ? "/" : `/page-${i}`,
  );
  const span = shape.days * 86_400_000;
  const batches: Batch[] = [];
  let clock = 0;
  for (let v = 0; v < shape.visitors; v++) {
    const visitorId = `visitor-${shape.seed}-${v}`;
    const device = r.pick(DEVICES);
    const sessions = r.int(...shape.sessionsPerVisitor);
    for (let s = 0; s < sessions; s++) {
      const sessionId = `session-${v}-${s}`;
      const context: Record<string, string> = {
        device,
        browser: r.pick(BROWSERS),
        os: r.pick(OSES),
        country: r.pick(COUNTRIES),
        language: r.pick(["en-US", "de-DE", "fr-FR"]),
        ...(r.chance(0.9)
          ? { screen: r.pick(["mobile", "tablet", "desktop"]) }
          : {}),
        ...(r.chance(0.8)
          ? { hostname: r.pick(["example.com", "app.example.com"]) }
          : {}),
      };
      const utm: Record<string, string> = r.chance(0.2)
        ? {
            utmSource: r.pick(["newsletter", "ads"]),
            utmMedium: r.pick(["email", "cpc"]),
            utmCampaign: r.pick(["spring", "launch"]),
            ...(r.chance(0.5)
              ? { utmTerm: r.pick(["analytics", "convex"]) }
              : {}),
            ...(r.chance(0.5)
              ? { utmContent: r.pick(["hero", "footer"]) }
              : {}),
          }
        : {};
      const referrer = r.chance(0.4) ? r.pick(REFERRERS) : undefined;
      let t = shape.start + Math.floor(r.next() * (span - 4 * 3_600_000));
      // Some sessions are one pageview and an identify minutes later: a bounce
      // whose events span time, which must still count 0 towards duration.
      const bounceThenIdentify = r.chance(0.08);
      const count = bounceThenIdentify ? 2 : r.int(...shape.eventsPerSession);
      const events: Batch["events"] = [];
      for (let k = 0; k < count; k++) {
        // Mostly short gaps; sometimes longer than the 30-minute timeout.
        t +=
          k === 0
            ? 0
            : r.chance(0.05)
              ? r.int(31, 90) * 60_000
              : r.int(5, 600) * 1000;
        t += ++clock % 997; // keep instants distinct within a session
        const kind = bounceThenIdentify ? (k === 0 ? 0 : 1) : r.next();
        if (bounceThenIdentify && k === 1) t += r.int(2, 20) * 60_000;
        const type =
          kind < 0.72 ? "pageview" : kind < 0.92 ? "track" : "identify";
        const name = type === "track" ? r.pick(TRACK_NAMES) : type;
        events.push({
          visitorId,
          sessionId,
          type,
          name,
          path: type === "pageview" ? r.skewed(paths) : undefined,
          referrer: k === 0 ? referrer : undefined,
          occurredAt: t,
          ...(type === "track"
            ? {
                properties: {
                  plan: r.pick(["free", "pro", "team"]),
                  step: r.int(1, 3),
                },
              }
            : {}),
          ...(type === "identify"
            ? { userId: `user-${v}`, properties: { tier: "gold" } }
            : {}),
        } as Batch["events"][number]);
      }
      batches.push(
        ...splitIntoBatches(r, events, { ...context, ...utm }, shape),
      );
    }
  }
  return batches.sort((a, b) => a.arrival - b.arrival);
}

function splitIntoBatches(
  r: ReturnType<typeof prng>,
  events: Batch["events"],
  firstContext: Record<string, string>,
  shape: TrafficShape,
): Batch[] {
  const out: Batch[] = [];
  const {
    utmSource: _a,
    utmMedium: _b,
    utmCampaign: _c,
    utmTerm: _d,
    utmContent: _e,
    ...plainContext
  } = firstContext;
  for (let i = 0; i < events.length;) {
    const size = r.int(1, 5);
    const slice = events.slice(i, i + size);
    const withIds = r.chance(shape.retryShare ?? 0.1);
    const batchEvents = slice.map((e, j) => ({
      ...e,
      ...(withIds ? { eventId: `${e.sessionId}-${i + j}` } : {}),
    }));
    const lastAt = slice[slice.length - 1].occurredAt;
    const late = r.chance(shape.lateBatchShare ?? 0.1);
    const arrival =
      lastAt +
      (late
        ? r.int(1, 6) * 3_600_000 + r.int(0, 59) * 60_000
        : r.int(50, 3000));
    const batch = {
      arrival,
      visitorId: slice[0].visitorId,
      sessionId: slice[0].sessionId,
      context: i === 0 ? firstContext : plainContext,
      events: batchEvents,
    };
    out.push(batch);
    if (withIds && r.chance(0.5))
      out.push({ ...batch, arrival: arrival + r.int(1, 20) * 1000 });
    i += size;
  }
  return out;
}

/** The events that should count: each event once, however often it was sent. */
export function uniqueEvents(batches: Batch[]): SentEvent[] {
  const seen = new Set<string>();
  const events: SentEvent[] = [];
  for (const b of batches) {
    for (const e of b.events) {
      if (e.eventId) {
        if (seen.has(e.eventId)) continue;
        seen.add(e.eventId);
      }
      events.push({ ...e, context: b.context });
    }
  }
  return events;
}
