/**
 * Simulated visitors for the playground: a seed of past weeks (so the
 * 7-day, 30-day and comparison figures have something to show) and an
 * optional live stream (`--traffic N` visitors per minute). Visits go
 * through the app's ingest route in the tracker's wire format, so they are
 * checked, bot-filtered, rate-limited and aggregated like real ones (README,
 * "How it works" and "Limits and bad input").
 */

/** Sends one request to the app's HTTP routes (the backend's `fetch`). */
export type RouteFetch = (path: string, init: RequestInit) => Promise<Response>;

const USER_AGENTS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0",
];
const ZONES = [
  "Europe/Berlin",
  "America/New_York",
  "Asia/Tokyo",
  "Europe/London",
  "America/Sao_Paulo",
  "Australia/Sydney",
];
const PAGES = [
  "/",
  "/pricing",
  "/docs",
  "/docs/install",
  "/blog",
  "/blog/launch",
  "/about",
  "/changelog",
];
const ARRIVALS: {
  path: string;
  referrer?: string;
  utm?: { source: string; medium: string; campaign: string };
}[] = [
  { path: "/", referrer: "https://www.google.com/" },
  { path: "/", referrer: "https://duckduckgo.com/" },
  { path: "/blog/launch", referrer: "https://news.ycombinator.com/item?id=42" },
  { path: "/docs", referrer: "https://github.com/get-convex" },
  {
    path: "/",
    utm: { source: "newsletter", medium: "email", campaign: "november" },
  },
  {
    path: "/pricing",
    referrer: "https://t.co/x",
    utm: { source: "twitter", medium: "social", campaign: "launch" },
  },
  { path: "/" },
];
const PLANS = ["free", "pro", "team"];

/**
 * The goals the playground defines (README, "Goals"), like the demo's: the
 * signup event the pricing page sends after a plan is picked, and the
 * pricing page (`*`: also a variant such as `/pricing-team`).
 */
export const PLAYGROUND_GOALS = [
  { name: "Signup", eventName: "signup" },
  { name: "Pricing page", pathPattern: "/pricing*" },
] as const;

/** A small seeded generator (xorshift32), so a seed gives the same history. */
export function randomSource(seed: number) {
  let state = seed >>> 0 || 0x9e3779b9;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
  return {
    next,
    int: (min: number, max: number) =>
      min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T =>
      items[Math.floor(next() * items.length)],
    chance: (p: number) => next() < p,
  };
}
export type RandomSource = ReturnType<typeof randomSource>;

type WireEvent = {
  type: "pageview" | "track" | "identify";
  path?: string;
  name?: string;
  referrer?: string;
  userId?: string;
  properties?: Record<string, string | number | boolean>;
  occurredAt: number;
  eventId: string;
};

export interface SimulatedVisit {
  userAgent: string;
  body: {
    visitorId: string;
    sessionId: string;
    context: Record<string, string>;
    events: WireEvent[];
  };
}

/** A visit as the ingest route received it. */
export type SeededVisit = SimulatedVisit["body"];

let visitCounter = 0;

/**
 * One visit starting at `start`: an arrival (search, social, newsletter…),
 * a few pages a few seconds to minutes apart, sometimes a plan picked or a
 * sign-in. A returning visitor reuses `visitorId`.
 */
export function simulateVisit(
  r: RandomSource,
  start: number,
  visitorId?: string,
): SimulatedVisit {
  const id = ++visitCounter;
  const arrival = r.pick(ARRIVALS);
  const context: Record<string, string> = {
    timezone: r.pick(ZONES),
    language: r.pick(["en-US", "de-DE", "fr-FR", "ja-JP", "pt-BR"]),
    screen: r.pick(["1440x900", "390x844", "1920x1080"]),
  };
  if (arrival.utm) {
    context.utmSource = arrival.utm.source;
    context.utmMedium = arrival.utm.medium;
    context.utmCampaign = arrival.utm.campaign;
  }
  const events: WireEvent[] = [];
  let at = start;
  const eventId = () => `pg-${id}-${events.length}`;
  events.push({
    type: "pageview",
    path: arrival.path,
    referrer: arrival.referrer,
    occurredAt: at,
    eventId: eventId(),
  });
  const extraPages = r.chance(0.4) ? 0 : r.int(1, 4);
  for (let i = 0; i < extraPages; i++) {
    at += r.int(5, 120) * 1000;
    const path = r.pick(PAGES);
    events.push({ type: "pageview", path, occurredAt: at, eventId: eventId() });
    if (path === "/pricing" && r.chance(0.5)) {
      at += r.int(2, 30) * 1000;
      const plan = r.pick(PLANS);
      events.push({
        type: "track",
        name: "choose_plan",
        properties: { plan },
        occurredAt: at,
        eventId: eventId(),
      });
      // Some of those who pick a plan sign up for it: the Signup goal.
      if (r.chance(0.5)) {
        at += r.int(10, 90) * 1000;
        events.push({
          type: "track",
          name: "signup",
          properties: { plan },
          occurredAt: at,
          eventId: eventId(),
        });
      }
    }
  }
  if (r.chance(0.06)) {
    at += r.int(2, 30) * 1000;
    events.push({
      type: "identify",
      userId: `user-${r.int(1, 500)}`,
      properties: { plan: r.pick(PLANS) },
      occurredAt: at,
      eventId: eventId(),
    });
  }
  return {
    userAgent: r.pick(USER_AGENTS),
    body: {
      visitorId: visitorId ?? `pg-visitor-${id}`,
      sessionId: `pg-session-${id}`,
      context,
      events,
    },
  };
}

/** Posts events of a visit to the ingest route as the tracker would. */
export async function sendVisit(
  fetchRoute: RouteFetch,
  writeKey: string,
  visit: SimulatedVisit,
  events = visit.body.events,
) {
  const response = await fetchRoute("/analytics/ingest", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-analytics-write-key": writeKey,
      "user-agent": visit.userAgent,
      origin: "http://localhost",
    },
    body: JSON.stringify({ ...visit.body, events }),
  });
  if (response.status !== 202)
    throw new Error(
      `ingest answered ${response.status}: ${await response.text()}`,
    );
}

/**
 * Moves the clock every function sees (Date.now, which convex-test's clock
 * and the functions' pinned time read) by `offsetMs` from the real one; 0
 * restores it. Only `seedHistory` uses this, before the server listens.
 */
const realNow = Date.now.bind(Date);
function shiftClock(offsetMs: number) {
  Date.now = offsetMs === 0 ? realNow : () => realNow() + offsetMs;
}

/**
 * Moves the clock back to `days` ago, before the backend starts: functions
 * must never see time run backwards (convex-test keeps commit times
 * monotonic, so documents written after a step back would look newer than
 * the clock, and aggregation would wait for them to settle). `seedHistory`
 * then moves it forward day by day and restores it.
 */
export function rewindClockForSeed(days: number) {
  shiftClock(-days * 86_400_000);
}

/**
 * Fills the `days` before now with `visitsPerDay` visits a day (a few
 * returning visitors among them); returns the visits sent. The ingest route only takes events up to
 * 24 hours old, so the clock (rewound with `rewindClockForSeed` before the
 * backend started) moves forward to the end of each day in turn and the day's
 * visits are sent "live" then; each day's aggregation runs on its own timers.
 */
export async function seedHistory(
  fetchRoute: RouteFetch,
  writeKey: string,
  options: { days: number; visitsPerDay: number; seed?: number },
) {
  const r = randomSource(options.seed ?? 2026);
  const DAY = 86_400_000;
  const returning: string[] = [];
  // Everything sent, so a test can compute the expected figures from it.
  const sent: SeededVisit[] = [];
  try {
    for (let day = options.days; day >= 1; day--) {
      const dayEnd = realNow() - (day - 1) * DAY - 10 * 60_000;
      shiftClock(dayEnd - realNow());
      // More visits on weekdays, a slow rise over the weeks.
      const weekday = new Date(dayEnd).getUTCDay() % 6 !== 0;
      const count = Math.round(
        options.visitsPerDay *
          (weekday ? 1.1 : 0.7) *
          (1 + (options.days - day) / (options.days * 3)),
      );
      const starts = Array.from(
        { length: count },
        () => dayEnd - 15 * 60_000 - Math.floor(r.next() * (DAY - 30 * 60_000)),
      ).sort((a, b) => a - b);
      for (const start of starts) {
        const again =
          returning.length > 0 && r.chance(0.25)
            ? r.pick(returning)
            : undefined;
        const visit = simulateVisit(r, start, again);
        if (!again && r.chance(0.3)) returning.push(visit.body.visitorId);
        await sendVisit(fetchRoute, writeKey, visit);
        sent.push(visit.body);
      }
    }
  } finally {
    shiftClock(0);
  }
  return { visits: sent.length, sent };
}

/**
 * Live traffic: `perMinute` new visitors a minute, each sending its pages as
 * it "browses" (a few seconds apart, so the realtime panel sees them now).
 * Returns a stop function.
 */
export function startTraffic(
  fetchRoute: RouteFetch,
  writeKey: string,
  perMinute: number,
  seed = Date.now(),
): () => void {
  const r = randomSource(seed);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let stopped = false;
  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!stopped) fn();
    }, ms);
    timers.add(timer);
  };
  const arrive = () => {
    const visit = simulateVisit(r, Date.now());
    // Replay the visit's events at a tenth of their spacing: pages seconds apart.
    const first = visit.body.events[0].occurredAt;
    for (const event of visit.body.events) {
      later((event.occurredAt - first) / 10, () => {
        void sendVisit(fetchRoute, writeKey, visit, [
          { ...event, occurredAt: Date.now() },
        ]).catch((error) =>
          console.warn(
            `[playground] traffic: ${error instanceof Error ? error.message : error}`,
          ),
        );
      });
    }
    // Poisson arrivals at the asked rate.
    later(-Math.log(1 - r.next()) * (60_000 / perMinute), arrive);
  };
  if (perMinute > 0) arrive();
  return () => {
    stopped = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
  };
}
