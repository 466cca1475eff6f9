/**
 * The metric definitions (README, "Metric definitions") computed straight
 * from the raw events a test sent, in plain TypeScript, sharing no code with the component: the
 * independent side of every differential test.
 */

export type SentEvent = {
  visitorId: string;
  sessionId: string;
  type: "pageview" | "track" | "identify";
  name: string;
  path?: string;
  referrer?: string;
  occurredAt: number;
  context?: Record<string, string | undefined>;
  properties?: Record<string, string | number | boolean | null>;
};

export type TruthSession = {
  visitorId: string;
  events: SentEvent[];
  start: number;
  end: number;
  keys: Record<string, string | undefined>;
  entry?: string;
  exit?: string;
  bounced: boolean;
};

function hostOf(referrer?: string): string | undefined {
  if (!referrer) return undefined;
  try {
    const host = new URL(referrer).hostname.toLowerCase();
    return host.replace(/^www\./, "") || undefined;
  } catch {
    return undefined;
  }
}

export function sessionKeysOf(
  e: SentEvent,
): Record<string, string | undefined> {
  const c = e.context ?? {};
  const host = hostOf(e.referrer);
  return {
    referrer: host,
    source: c.utmSource ?? c.source ?? host,
    medium: c.utmMedium,
    campaign: c.utmCampaign,
    term: c.utmTerm,
    content: c.utmContent,
    device: c.device,
    browser: c.browser,
    os: c.os,
    country: c.country,
    language: c.language,
    screen: c.screen,
  };
}

/** Splits each client session on gaps longer than the timeout. */
export function buildSessions(
  events: SentEvent[],
  timeoutMs: number,
): TruthSession[] {
  const byClient = new Map<string, SentEvent[]>();
  for (const e of events) {
    const k = `${e.visitorId}|${e.sessionId}`;
    byClient.set(k, [...(byClient.get(k) ?? []), e]);
  }
  const sessions: TruthSession[] = [];
  for (const list of byClient.values()) {
    list.sort((a, b) => a.occurredAt - b.occurredAt);
    let current: SentEvent[] = [];
    const close = () => {
      if (current.length === 0) return;
      const pageviews = current.filter((e) => e.type === "pageview");
      sessions.push({
        visitorId: current[0].visitorId,
        events: current,
        start: current[0].occurredAt,
        end: current[current.length - 1].occurredAt,
        keys: sessionKeysOf(current[0]),
        entry: pageviews[0]?.path,
        exit: pageviews[pageviews.length - 1]?.path,
        bounced: current.filter((e) => e.type !== "identify").length <= 1,
      });
    };
    for (const e of list) {
      const last = current[current.length - 1];
      if (last && e.occurredAt - last.occurredAt > timeoutMs) {
        close();
        current = [];
      }
      current.push(e);
    }
    close();
  }
  return sessions;
}

const inRange = (t: number, from: number, to: number) => t >= from && t < to;

export function truthOverview(
  events: SentEvent[],
  sessions: TruthSession[],
  from: number,
  to: number,
) {
  const inside = events.filter((e) => inRange(e.occurredAt, from, to));
  const started = sessions.filter((s) => inRange(s.start, from, to));
  const pageviews = inside.filter((e) => e.type === "pageview").length;
  const n = started.length;
  return {
    events: inside.length,
    pageviews,
    sessions: n,
    visitors: new Set(inside.map((e) => e.visitorId)).size,
    bounceRate: n ? started.filter((s) => s.bounced).length / n : 0,
    // Bounces count 0, whatever time passed between their events (README, "Metric definitions").
    averageSessionDurationMs: n
      ? started.reduce((sum, s) => sum + (s.bounced ? 0 : s.end - s.start), 0) /
        n
      : 0,
    viewsPerSession: n ? pageviews / n : 0,
  };
}

export type TruthRow = {
  key: string;
  count: number;
  pageviewCount: number;
  visitors: number;
  sessions?: number;
};

function rank(rows: TruthRow[], limit: number): TruthRow[] {
  return rows
    .sort(
      (a, b) =>
        b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    )
    .slice(0, limit);
}

const SESSION_DIMS = [
  "referrer",
  "source",
  "medium",
  "campaign",
  "term",
  "content",
  "device",
  "browser",
  "os",
  "country",
  "language",
  "screen",
];
/** Per-event dimensions: the key an event counts under. */
const EVENT_DIMS: Record<string, (e: SentEvent) => string | undefined> = {
  page: (e) => (e.type === "pageview" ? e.path : undefined),
  event: (e) => e.name,
  hostname: (e) => e.context?.hostname,
};

/** Every dimension this oracle knows; the differential tests check it covers the component's registry. */
export const TRUTH_DIMENSIONS = [
  "entryPage",
  "exitPage",
  ...Object.keys(EVENT_DIMS),
  ...SESSION_DIMS,
];

export function truthTop(
  dimension: string,
  events: SentEvent[],
  sessions: TruthSession[],
  from: number,
  to: number,
  limit: number,
): TruthRow[] {
  const rows = new Map<
    string,
    {
      count: number;
      pageviews: number;
      visitors: Set<string>;
      sessions: number;
    }
  >();
  const row = (key: string) => {
    let r = rows.get(key);
    if (!r)
      rows.set(
        key,
        (r = { count: 0, pageviews: 0, visitors: new Set(), sessions: 0 }),
      );
    return r;
  };
  if (dimension in EVENT_DIMS) {
    for (const e of events) {
      if (!inRange(e.occurredAt, from, to)) continue;
      const key = EVENT_DIMS[dimension](e);
      if (key === undefined) continue;
      const r = row(key);
      r.count++;
      if (e.type === "pageview") r.pageviews++;
      r.visitors.add(e.visitorId);
    }
  } else if (dimension === "entryPage" || dimension === "exitPage") {
    for (const s of sessions) {
      const key = dimension === "entryPage" ? s.entry : s.exit;
      if (key === undefined || !inRange(s.start, from, to)) continue;
      const r = row(key);
      r.count++;
      r.pageviews++;
      r.sessions++;
      r.visitors.add(s.visitorId);
    }
  } else if (SESSION_DIMS.includes(dimension)) {
    for (const s of sessions) {
      const key = s.keys[dimension];
      if (key === undefined) continue;
      if (inRange(s.start, from, to)) row(key).sessions++;
      for (const e of s.events) {
        if (!inRange(e.occurredAt, from, to)) continue;
        const r = row(key);
        r.count++;
        if (e.type === "pageview") r.pageviews++;
        r.visitors.add(e.visitorId);
      }
    }
  } else throw new Error(`unknown dimension ${dimension}`);
  const withSessions = !(dimension in EVENT_DIMS);
  return rank(
    [...rows]
      .filter(([, r]) => r.count > 0 || r.sessions > 0)
      .map(([key, r]) => ({
        key,
        count: r.count,
        pageviewCount: r.pageviews,
        visitors: r.visitors.size,
        ...(withSessions ? { sessions: r.sessions } : {}),
      })),
    limit,
  );
}
