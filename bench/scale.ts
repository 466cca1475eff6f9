/**
 * Raw-edge limits: the largest traffic at which queries of ranges that are
 * not hour-aligned still fit Convex's per-transaction limits, found by
 * doubling then bisecting, and what the code does beyond it. (What
 * hour-aligned ranges read at every site size is bench/workloads.ts.)
 *
 * Raw-edge limits (ranges that are not hour-aligned). Event documents (as
 * ingestBatch builds them) and session documents (built by the aggregation's
 * clusterSessions) are inserted for the two partial-hour edges only.
 */
import { vi } from "vitest";
import type { Doc } from "../src/component/_generated/dataModel.js";
import { eventSessionKeys } from "../src/component/aggregation.js";
import { withoutUndefined } from "../src/component/lib/objects.js";
import {
  clusterSessions,
  summarizeEvent,
} from "../src/component/lib/sessions.js";
import {
  MAX_RAW_EDGE_EVENTS,
  MAX_RAW_EDGE_SESSION_LOOKUPS,
} from "../src/component/rawEdges.js";
import { ROLLUP_ROW_BUDGET_BYTES } from "../src/component/rollups.js";
import {
  createTestSite,
  type TestInstance,
} from "../src/component/testing/setup.js";
import { prng, type Batch } from "../src/component/testing/traffic.js";
import { realNowMs } from "./clock.js";
import { kib, num, type Report } from "./report.js";
import {
  LIMITS,
  fits,
  measureQuery,
  type QueryMeasure,
  type QueryName,
} from "./scenarios.js";
import { eventDocs, freshInstance } from "./seed.js";
import { DAY, HOUR, pathList, referrerHosts } from "./shape.js";

const DAY0 = Date.UTC(2026, 2, 2);
const TZ = "UTC";
type EventRow = ReturnType<typeof eventDocs>[number];

type Traffic = {
  seed: number;
  /** First hour (UTC, aligned) and how many hours of traffic. */
  start: number;
  hours: number;
  eventsPerHour: number;
  paths: number;
  /** "skewed": popular pages dominate (~200-path site); "uniform": a long tail of distinct paths. */
  pathMode: "skewed" | "uniform";
  sessionEvents: [number, number];
  /** Only events inside these spans are kept (default: all). */
  spans?: { start: number; end: number }[];
};

/** Whole sessions of uniform traffic, one batch per session. */
function uniformTraffic(tr: Traffic): Batch[] {
  const r = prng(tr.seed);
  const paths = pathList(tr.paths);
  const refs = referrerHosts(20);
  const avg = (tr.sessionEvents[0] + tr.sessionEvents[1]) / 2;
  // Like the benchmark's traffic (~10 events per visitor per month), a visitor
  // comes back on another day, not the same one: one session per visitor per day.
  const visitorsPerDay = Math.max(1, Math.round((tr.eventsPerHour * 24) / avg));
  const batches: Batch[] = [];
  let serial = 0;
  const spans = tr.spans ?? [
    { start: tr.start, end: tr.start + tr.hours * HOUR },
  ];
  for (const span of spans) {
    const minutes = (span.end - span.start) / 60_000;
    const sessions = Math.max(
      1,
      Math.round((tr.eventsPerHour * minutes) / 60 / avg),
    );
    for (let s = 0; s < sessions; s++) {
      const visitorId = `sv${tr.seed}-${r.int(0, visitorsPerDay - 1)}`;
      const sessionId = `ss${tr.seed}-${serial}`;
      const count = r.int(...tr.sessionEvents);
      const context: Record<string, string> = {
        device: r.pick(["desktop", "mobile", "tablet"]),
        browser: r.pick(["Chrome", "Safari", "Firefox", "Edge"]),
        os: r.pick(["Windows", "iOS", "macOS", "Android", "Linux"]),
        country: r.pick(["US", "DE", "IN", "GB", "FR", "BR", "JP"]),
      };
      if (r.chance(0.15))
        Object.assign(context, {
          utmSource: r.pick(["newsletter", "ads"]),
          utmMedium: r.pick(["email", "cpc"]),
          utmCampaign: `campaign-${r.int(1, 8)}`,
        });
      const referrer = r.chance(0.5) ? r.skewed(refs) : undefined;
      // Sessions stay inside their span (gaps of 2–20 s).
      let t =
        span.start +
        Math.floor(
          r.next() * Math.max(1, span.end - span.start - count * 20_000),
        );
      const events: Batch["events"] = [];
      for (let k = 0; k < count; k++) {
        if (k > 0) t += r.int(2, 20) * 1000;
        serial++;
        const kind = r.next();
        const type =
          k === 0 || kind < 0.75
            ? "pageview"
            : kind < 0.95
              ? "track"
              : "identify";
        events.push({
          visitorId,
          sessionId,
          type,
          name:
            type === "track"
              ? r.pick(["signup", "click", "download", "search"])
              : type,
          path:
            type === "pageview"
              ? tr.pathMode === "skewed"
                ? r.skewed(paths)
                : r.pick(paths)
              : undefined,
          referrer: k === 0 ? referrer : undefined,
          occurredAt: t,
          eventId: `se${tr.seed}-${serial}`,
          ...(type === "track"
            ? { properties: { plan: r.pick(["free", "pro", "team"]) } }
            : {}),
          ...(type === "identify" ? { userId: `user-${visitorId}` } : {}),
        } as Batch["events"][number]);
      }
      batches.push({
        arrival: t + 1_000,
        visitorId,
        sessionId,
        context,
        events,
      });
    }
  }
  return batches;
}

async function siteOf(t: TestInstance, siteId: string): Promise<Doc<"sites">> {
  return (await t.run((ctx) => ctx.db.get(siteId as never)))! as Doc<"sites">;
}

/** Session documents as the aggregation writes them for these (whole) sessions. */
function sessionDocs(siteId: string, docs: EventRow[]) {
  const bySession = new Map<string, EventRow[]>();
  for (const d of docs)
    bySession.set(d.sessionId, [...(bySession.get(d.sessionId) ?? []), d]);
  const out = [];
  for (const list of bySession.values()) {
    const pieces = list.map((e) => ({
      summary: summarizeEvent(
        { ...e, keys: eventSessionKeys(e as unknown as Doc<"events">) },
        TZ,
      ),
    }));
    for (const cluster of clusterSessions(pieces, 30 * 60_000)) {
      out.push(
        withoutUndefined({
          siteId,
          sessionId: list[0].sessionId,
          visitorId: list[0].visitorId,
          ...cluster.summary,
        }),
      );
    }
  }
  return out;
}

type Limit = {
  q: QueryName;
  range: string;
  maxOk: number | null;
  firstFail: number | null;
  ok?: QueryMeasure;
  fail?: QueryMeasure;
};

// --------------------------------------------------------------- raw edges

const EDGE_QUERIES: QueryName[] = [
  "getOverview",
  "getTimeseries hour",
  "getTopPages",
  "getTopReferrers",
];

async function edgePoint(
  eventsPerHour: number,
  sessionEvents: [number, number],
  queries: QueryName[],
) {
  // A 24 h range from 10:20 to 10:40 next day: two 40-minute raw edges.
  const from = DAY0 + 10 * HOUR + 20 * 60_000;
  const to = from + DAY + 20 * 60_000;
  const spans = [
    { start: from, end: DAY0 + 11 * HOUR },
    { start: DAY0 + DAY + 10 * HOUR, end: to },
  ];
  vi.setSystemTime(DAY0 + 3 * DAY);
  const t = freshInstance();
  const siteId = await createTestSite(t);
  const site = await siteOf(t, siteId);
  const docs = uniformTraffic({
    seed: eventsPerHour,
    start: DAY0,
    hours: 48,
    eventsPerHour,
    paths: 200,
    pathMode: "skewed",
    sessionEvents,
    spans,
  }).flatMap((b) => eventDocs(site, b));
  const sessions = sessionDocs(siteId, docs);
  for (const [table, list] of [
    ["events", docs],
    ["sessions", sessions],
  ] as const) {
    for (let i = 0; i < list.length; i += 5_000) {
      const slice = list.slice(i, i + 5_000);
      await t.run(async (ctx) => {
        for (const d of slice) await ctx.db.insert(table, d as never);
      });
    }
  }
  const perEdge = docs.filter((d) => d.occurredAt < spans[0].end).length;
  const out: QueryMeasure[] = [];
  for (const q of queries)
    out.push(await measureQuery(t, siteId, q, from, to, "24 h", false));
  return { perEdge, sessions: sessions.length, out };
}

async function searchEdges(
  sessionEvents: [number, number],
  queries: QueryName[],
  from: number,
  cap: number,
  bisect: number,
  log: (l: string) => void,
) {
  const limits = new Map<
    QueryName,
    Limit & { okEdge?: number; failEdge?: number }
  >(
    queries.map((q) => [
      q,
      { q, range: "24 h not aligned", maxOk: null, firstFail: null },
    ]),
  );
  const evaluate = async (x: number, queries: QueryName[]) => {
    const started = realNowMs();
    const res = await edgePoint(x, sessionEvents, queries);
    for (const m of res.out) {
      const lim = limits.get(m.q)!;
      if (fits(m)) {
        if (lim.maxOk === null || x > lim.maxOk)
          Object.assign(lim, { maxOk: x, ok: m, okEdge: res.perEdge });
      } else if (lim.firstFail === null || x < lim.firstFail)
        Object.assign(lim, { firstFail: x, fail: m, failEdge: res.perEdge });
    }
    log(
      `  edges ${sessionEvents.join("-")} events/session at ${x}/h: ${res.perEdge} events per edge, ${((realNowMs() - started) / 1000).toFixed(1)} s`,
    );
  };
  for (let x = from; x <= cap; x *= 2) {
    const alive = queries.filter((q) => limits.get(q)!.firstFail === null);
    if (alive.length === 0) break;
    await evaluate(x, alive);
  }
  for (let step = 0; step < bisect; step++) {
    const mids = new Map<number, QueryName[]>();
    for (const lim of limits.values()) {
      if (lim.maxOk === null || lim.firstFail === null) continue;
      const mid = Math.round((lim.maxOk + lim.firstFail) / 2);
      if (mid !== lim.maxOk && mid !== lim.firstFail)
        mids.set(mid, [...(mids.get(mid) ?? []), lim.q]);
    }
    for (const [mid, queries] of mids) await evaluate(mid, queries);
  }
  return [...limits.values()];
}

// ---------------------------------------------------------------- section

const describe = (m?: QueryMeasure) =>
  m ? `${num(m.docs)} docs, ${kib(m.bytes)}, ${num(m.indexRanges)} IR` : "—";
const beyond = (m?: QueryMeasure) => {
  if (!m) return "—";
  if (m.error) return m.error;
  const over = [
    m.docs > LIMITS.documentsRead && "documents",
    m.bytes > LIMITS.bytesRead && "bytes",
    m.indexRanges > LIMITS.indexRanges && "index ranges",
  ].filter(Boolean);
  return `over the ${over.join(" and ")} limit`;
};

export async function scaleSection(
  report: Report,
  mode: "quick" | "full",
  log: (l: string) => void,
): Promise<void> {
  const full = mode === "full";
  report.heading("Raw edges and the property breakdown");
  report.note(
    "Ranges that are not hour-aligned read raw events for their partial-hour edges; the largest traffic at which that still fits Convex's " +
      'per-transaction limits (convex-test enforces them, so "fails" means the real query threw), found by doubling, then bisecting' +
      (full ? " (2 steps)." : " (quick run: doubling only, small range)."),
  );

  const edgeCap = full ? 32_000 : 2_000;
  // Bounce-heavy traffic (1–2 events per session) only changes the queries that look up sessions per event.
  const edgeSeries: [[number, number], QueryName[], number][] = full
    ? [
        [[3, 7], EDGE_QUERIES, 4_000],
        [[1, 2], ["getOverview", "getTopReferrers"], 2_000],
      ]
    : [[[3, 7], EDGE_QUERIES, 1_000]];
  for (const [sessionEvents, queries, from] of edgeSeries) {
    const limits = await searchEdges(
      sessionEvents,
      queries,
      from,
      edgeCap,
      full ? 2 : 0,
      log,
    );
    report.note(
      `**Not-aligned 24 h range vs events per hour in its two 40-minute raw edges** (${sessionEvents.join("–")} events per session; ` +
        `raw edges share one budget per query and throw a clear ConvexError past MAX_RAW_EDGE_EVENTS = ${num(MAX_RAW_EDGE_EVENTS)} events and sessions or ${num(MAX_RAW_EDGE_SESSION_LOOKUPS)} session lookups):`,
    );
    report.table(
      [
        "query",
        "largest events/hour that fits",
        "events per edge",
        "its reads",
        "smallest that fails",
        "events per edge",
        "what happens beyond",
      ],
      limits.map((l) => [
        l.q,
        l.maxOk === null
          ? "none tested"
          : l.firstFail === null
            ? `≥ ${num(l.maxOk)}`
            : num(l.maxOk),
        l.okEdge ?? "—",
        describe(l.ok),
        l.firstFail === null ? "—" : num(l.firstFail),
        l.failEdge ?? "—",
        beyond(l.fail),
      ]),
    );
  }

  report.note(
    "**getEventPropertyBreakdown** and **getEventPropertyKeys** read the property rollups like any top list " +
      "(no raw events): their reads at W0–W2 are in the scale-targets section (`npm run bench:scale`).",
  );
  report.note(
    `Rollup rows spill into further \`part\` rows above ROLLUP_ROW_BUDGET_BYTES = ${kib(ROLLUP_ROW_BUDGET_BYTES)} per row, so no document nears the 1 MiB limit; ` +
      "a query then reads more (smaller) documents, and its bytes — not its document count — is what reaches the 16 MiB read limit first.",
  );
}
