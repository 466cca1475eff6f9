/**
 * Scale limits: the largest traffic at which each query still fits Convex's
 * per-transaction limits, found by doubling then bisecting on synthetic
 * datasets, and what the code does beyond it.
 *
 * Rollup-read limits (hour-aligned ranges). A query reads the rollup rows of
 * its buckets, so a dataset needs only those rows. One day of uniform traffic
 * at the tested rate is generated; its event documents are built exactly as
 * ingestBatch builds them and folded into rollup deltas with the aggregation's
 * own functions (addEventContribution, summarizeEvent + clusterSessions +
 * addSessionContribution), written by the real flushDeltas as one compacted
 * shard, and the day's rows are then copied to every bucket the measured
 * ranges read (daily rows to each day, hourly rows to the same hour of day).
 *
 * Raw-edge limits (ranges that are not hour-aligned). Event documents (as
 * ingestBatch builds them) and session documents (built by the aggregation's
 * clusterSessions) are inserted for the two partial-hour edges only.
 */
import { vi } from "vitest";
import { api } from "../src/component/_generated/api.js";
import type { Doc } from "../src/component/_generated/dataModel.js";
import { eventSessionKeys } from "../src/component/aggregation.js";
import { MAX_BREAKDOWN_EVENTS } from "../src/component/analytics.js";
import { withoutUndefined } from "../src/component/lib/objects.js";
import { planExactRange } from "../src/component/lib/rangePlan.js";
import { KEYED, OVERVIEW, RollupDeltas } from "../src/component/lib/rollupDelta.js";
import { addEventContribution, addSessionContribution, clusterSessions, summarizeEvent } from "../src/component/lib/sessions.js";
import { hashVisitor } from "../src/component/lib/sketch.js";
import { MAX_RAW_EDGE_EVENTS, MAX_RAW_EDGE_SESSION_LOOKUPS } from "../src/component/rawEdges.js";
import { ROLLUP_ROW_BUDGET_BYTES, flushDeltas } from "../src/component/rollups.js";
import { createTestSite, type TestInstance } from "../src/component/testing/setup.js";
import { prng, type Batch } from "../src/component/testing/traffic.js";
import { realNowMs } from "./clock.js";
import { kib, num, type Report } from "./report.js";
import { LIMITS, fits, measureQuery, type QueryMeasure, type QueryName } from "./scenarios.js";
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
  const spans = tr.spans ?? [{ start: tr.start, end: tr.start + tr.hours * HOUR }];
  for (const span of spans) {
    const minutes = (span.end - span.start) / 60_000;
    const sessions = Math.max(1, Math.round(((tr.eventsPerHour * minutes) / 60) / avg));
    for (let s = 0; s < sessions; s++) {
      const visitorId = `sv${tr.seed}-${r.int(0, visitorsPerDay - 1)}`;
      const sessionId = `ss${tr.seed}-${serial}`;
      const count = r.int(...tr.sessionEvents);
      const context: Record<string, string> = { device: r.pick(["desktop", "mobile", "tablet"]), browser: r.pick(["Chrome", "Safari", "Firefox", "Edge"]), os: r.pick(["Windows", "iOS", "macOS", "Android", "Linux"]), country: r.pick(["US", "DE", "IN", "GB", "FR", "BR", "JP"]) };
      if (r.chance(0.15)) Object.assign(context, { utmSource: r.pick(["newsletter", "ads"]), utmMedium: r.pick(["email", "cpc"]), utmCampaign: `campaign-${r.int(1, 8)}` });
      const referrer = r.chance(0.5) ? r.skewed(refs) : undefined;
      // Sessions stay inside their span (gaps of 2–20 s).
      let t = span.start + Math.floor(r.next() * Math.max(1, span.end - span.start - count * 20_000));
      const events: Batch["events"] = [];
      for (let k = 0; k < count; k++) {
        if (k > 0) t += r.int(2, 20) * 1000;
        serial++;
        const kind = r.next();
        const type = k === 0 || kind < 0.75 ? "pageview" : kind < 0.95 ? "track" : "identify";
        events.push({
          visitorId,
          sessionId,
          type,
          name: type === "track" ? r.pick(["signup", "click", "download", "search"]) : type,
          path: type === "pageview" ? (tr.pathMode === "skewed" ? r.skewed(paths) : r.pick(paths)) : undefined,
          referrer: k === 0 ? referrer : undefined,
          occurredAt: t,
          eventId: `se${tr.seed}-${serial}`,
          ...(type === "track" ? { properties: { plan: r.pick(["free", "pro", "team"]) } } : {}),
          ...(type === "identify" ? { userId: `user-${visitorId}` } : {}),
        } as Batch["events"][number]);
      }
      batches.push({ arrival: t + 1_000, visitorId, sessionId, context, events });
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
  for (const d of docs) bySession.set(d.sessionId, [...(bySession.get(d.sessionId) ?? []), d]);
  const out = [];
  for (const list of bySession.values()) {
    const pieces = list.map((e) => ({ summary: summarizeEvent({ ...e, keys: eventSessionKeys(e as unknown as Doc<"events">) }, TZ) }));
    for (const cluster of clusterSessions(pieces, 30 * 60_000)) {
      out.push(withoutUndefined({ siteId, sessionId: list[0].sessionId, visitorId: list[0].visitorId, ...cluster.summary }));
    }
  }
  return out;
}

/** The rollup deltas the aggregation computes for these (whole, new) sessions. */
function deltasOf(docs: EventRow[]): RollupDeltas {
  const deltas = new RollupDeltas();
  const bySession = new Map<string, EventRow[]>();
  for (const d of docs) {
    addEventContribution(deltas, d, hashVisitor(d.visitorId), TZ);
    bySession.set(d.sessionId, [...(bySession.get(d.sessionId) ?? []), d]);
  }
  for (const list of bySession.values()) {
    const pieces = list.map((e) => ({ summary: summarizeEvent({ ...e, keys: eventSessionKeys(e as unknown as Doc<"events">) }, TZ) }));
    for (const cluster of clusterSessions(pieces, 30 * 60_000)) addSessionContribution(deltas, cluster.summary, hashVisitor(list[0].visitorId), 1, TZ);
  }
  return deltas;
}

type RowDoc = Omit<Doc<"rollupShards">, "_id" | "_creationTime">;

async function insertRows(t: TestInstance, rows: RowDoc[]): Promise<void> {
  for (let i = 0; i < rows.length; ) {
    let bytes = 0;
    let j = i;
    while (j < rows.length && (j === i || bytes + rows[j].bytes < 8 * 1024 * 1024) && j - i < 2_000) bytes += rows[j++].bytes + 200;
    const slice = rows.slice(i, j);
    await t.run(async (ctx) => {
      for (const row of slice) await ctx.db.insert("rollupShards", row);
    });
    i = j;
  }
}

// ------------------------------------------------------------ rollup limits

type RollupQuery = { q: QueryName; range: string; from: number; to: number };

const ROLLUP_QUERIES: QueryName[] = ["getOverview", "getTimeseries hour", "getTimeseries day", "getTopPages", "getTopReferrers"];
/** Queries end at 10:00 UTC after 30 whole days, so every range mixes daily and hourly rows. */
const RANGE_END = DAY0 + 30 * DAY + 10 * HOUR;
const ROLLUP_RANGES = [
  ["24 h", DAY],
  ["7 d", 7 * DAY],
  ["30 d", 30 * DAY],
] as const;

function rollupQueries(): RollupQuery[] {
  return ROLLUP_RANGES.flatMap(([range, length]) => ROLLUP_QUERIES.map((q) => ({ q, range, from: RANGE_END - length, to: RANGE_END })));
}

type Axis = { label: string; unit: string; traffic: (x: number) => Omit<Traffic, "start" | "hours"> };

/** Builds the dataset for `x` on `axis` holding the rows `wanted` read, and measures them. */
async function rollupPoint(axis: Axis, x: number, wanted: RollupQuery[]): Promise<Map<string, QueryMeasure & { rowBytes: number }>> {
  // One template day of rows, written by the real flushDeltas as a compacted shard.
  const scratch = freshInstance();
  vi.setSystemTime(DAY0 + 40 * DAY);
  const scratchSite = await createTestSite(scratch);
  const site = await siteOf(scratch, scratchSite);
  const docs = uniformTraffic({ ...axis.traffic(x), start: DAY0, hours: 24 }).flatMap((b) => eventDocs(site, b));
  const deltas = deltasOf(docs);
  for (const [gk, keyed] of deltas.groups) {
    const one = new RollupDeltas();
    one.groups.set(gk, keyed);
    await scratch.run((ctx) => flushDeltas(ctx as never, scratchSite, 0, one).then(() => null));
  }
  const template = new Map<string, RowDoc[]>();
  for (const interval of ["hour", "day"] as const) {
    for (const dimension of [OVERVIEW, KEYED]) {
      const starts = interval === "day" ? [DAY0] : Array.from({ length: 24 }, (_, h) => DAY0 + h * HOUR);
      for (const bucketStart of starts) {
        const rows = await scratch.run((ctx) =>
          ctx.db
            .query("rollupShards")
            .withIndex("by_siteId_and_interval_and_dimension_and_bucketStart", (q) => q.eq("siteId", scratchSite).eq("interval", interval).eq("dimension", dimension).eq("bucketStart", bucketStart))
            .collect(),
        );
        template.set(`${interval}|${dimension}|${bucketStart}`, rows.map(({ _id, _creationTime, ...rest }) => rest));
      }
    }
  }
  // Copy the template rows to every bucket the wanted queries read.
  const needed = new Set<string>();
  for (const w of wanted) {
    const group = w.q.startsWith("getTop") ? KEYED : OVERVIEW;
    const plans = w.q === "getTimeseries hour" ? Array.from({ length: (w.to - w.from) / HOUR }, (_, i) => planExactRange(w.from + i * HOUR, w.from + (i + 1) * HOUR, TZ)) : [planExactRange(w.from, w.to, TZ)];
    for (const p of plans) {
      for (const d of p.days) needed.add(`day|${group}|${d}`);
      for (const h of p.hours) needed.add(`hour|${group}|${h}`);
    }
  }
  const t = freshInstance();
  const siteId = await createTestSite(t);
  if (siteId !== scratchSite) throw new Error("site ids differ");
  const rows: RowDoc[] = [];
  for (const key of needed) {
    const [interval, dimension, start] = key.split("|");
    const bucketStart = Number(start);
    const source = interval === "day" ? DAY0 : DAY0 + (bucketStart % DAY);
    for (const row of template.get(`${interval}|${dimension}|${source}`) ?? []) rows.push({ ...row, bucketStart });
  }
  await insertRows(t, rows);
  const dayKeyed = template.get(`day|${KEYED}|${DAY0}`) ?? [];
  const rowBytes = dayKeyed.reduce((s, r) => s + r.bytes, 0);
  const out = new Map<string, QueryMeasure & { rowBytes: number }>();
  for (const w of wanted) out.set(`${w.q}|${w.range}`, { ...(await measureQuery(t, siteId, w.q, w.from, w.to, w.range, true)), rowBytes });
  return out;
}

type Limit = { q: QueryName; range: string; maxOk: number | null; firstFail: number | null; ok?: QueryMeasure; fail?: QueryMeasure };

/** Doubling from `from` up to `cap`, then `bisect` bisection steps per query. */
async function searchAxis(axis: Axis, from: number, cap: number, bisect: number, log: (l: string) => void): Promise<{ limits: Limit[]; points: number }> {
  const all = rollupQueries();
  const limits = new Map<string, Limit>(all.map((w) => [`${w.q}|${w.range}`, { q: w.q, range: w.range, maxOk: null, firstFail: null }]));
  let points = 0;
  const evaluate = async (x: number, wanted: RollupQuery[]) => {
    points++;
    const started = realNowMs();
    const res = await rollupPoint(axis, x, wanted);
    for (const [key, m] of res) {
      const lim = limits.get(key)!;
      if (fits(m)) {
        if (lim.maxOk === null || x > lim.maxOk) Object.assign(lim, { maxOk: x, ok: m });
      } else if (lim.firstFail === null || x < lim.firstFail) Object.assign(lim, { firstFail: x, fail: m });
    }
    log(`  scale ${axis.label} = ${x}: ${wanted.length} queries, ${((realNowMs() - started) / 1000).toFixed(1)} s`);
  };
  for (let x = from; x <= cap; x *= 2) {
    const alive = all.filter((w) => limits.get(`${w.q}|${w.range}`)!.firstFail === null);
    if (alive.length === 0) break;
    await evaluate(x, alive);
  }
  for (let step = 0; step < bisect; step++) {
    // One bisection point per distinct (maxOk, firstFail) interval, shared by the queries in it.
    const intervals = new Map<string, RollupQuery[]>();
    for (const w of all) {
      const lim = limits.get(`${w.q}|${w.range}`)!;
      if (lim.maxOk === null || lim.firstFail === null) continue;
      const mid = Math.round((lim.maxOk + lim.firstFail) / 2);
      if (mid === lim.maxOk || mid === lim.firstFail) continue;
      intervals.set(String(mid), [...(intervals.get(String(mid)) ?? []), w]);
    }
    for (const [mid, wanted] of intervals) await evaluate(Number(mid), wanted);
  }
  return { limits: [...limits.values()], points };
}

// --------------------------------------------------------------- raw edges

const EDGE_QUERIES: QueryName[] = ["getOverview", "getTimeseries hour", "getTopPages", "getTopReferrers"];

async function edgePoint(eventsPerHour: number, sessionEvents: [number, number], queries: QueryName[]) {
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
  const docs = uniformTraffic({ seed: eventsPerHour, start: DAY0, hours: 48, eventsPerHour, paths: 200, pathMode: "skewed", sessionEvents, spans }).flatMap((b) => eventDocs(site, b));
  const sessions = sessionDocs(siteId, docs);
  for (const [table, list] of [["events", docs], ["sessions", sessions]] as const) {
    for (let i = 0; i < list.length; i += 5_000) {
      const slice = list.slice(i, i + 5_000);
      await t.run(async (ctx) => {
        for (const d of slice) await ctx.db.insert(table, d as never);
      });
    }
  }
  const perEdge = docs.filter((d) => d.occurredAt < spans[0].end).length;
  const out: QueryMeasure[] = [];
  for (const q of queries) out.push(await measureQuery(t, siteId, q, from, to, "24 h", false));
  return { perEdge, sessions: sessions.length, out };
}

async function searchEdges(sessionEvents: [number, number], queries: QueryName[], from: number, cap: number, bisect: number, log: (l: string) => void) {
  const limits = new Map<QueryName, Limit & { okEdge?: number; failEdge?: number }>(queries.map((q) => [q, { q, range: "24 h not aligned", maxOk: null, firstFail: null }]));
  const evaluate = async (x: number, queries: QueryName[]) => {
    const started = realNowMs();
    const res = await edgePoint(x, sessionEvents, queries);
    for (const m of res.out) {
      const lim = limits.get(m.q)!;
      if (fits(m)) {
        if (lim.maxOk === null || x > lim.maxOk) Object.assign(lim, { maxOk: x, ok: m, okEdge: res.perEdge });
      } else if (lim.firstFail === null || x < lim.firstFail) Object.assign(lim, { firstFail: x, fail: m, failEdge: res.perEdge });
    }
    log(`  edges ${sessionEvents.join("-")} events/session at ${x}/h: ${res.perEdge} events per edge, ${((realNowMs() - started) / 1000).toFixed(1)} s`);
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
      if (mid !== lim.maxOk && mid !== lim.firstFail) mids.set(mid, [...(mids.get(mid) ?? []), lim.q]);
    }
    for (const [mid, queries] of mids) await evaluate(mid, queries);
  }
  return [...limits.values()];
}

// ---------------------------------------------------------------- section

const describe = (m?: QueryMeasure) => (m ? `${num(m.docs)} docs, ${kib(m.bytes)}, ${num(m.indexRanges)} IR` : "—");
const beyond = (m?: QueryMeasure) => {
  if (!m) return "—";
  if (m.error) return m.error;
  const over = [m.docs > LIMITS.documentsRead && "documents", m.bytes > LIMITS.bytesRead && "bytes", m.indexRanges > LIMITS.indexRanges && "index ranges"].filter(Boolean);
  return `over the ${over.join(" and ")} limit`;
};

export async function scaleSection(report: Report, mode: "quick" | "full", log: (l: string) => void): Promise<void> {
  const full = mode === "full";
  report.heading("Scale limits");
  report.note(
    "Largest traffic at which each query still fits Convex's per-transaction limits (32,000 documents / 16 MiB read / 4,096 index ranges; " +
      "convex-test enforces them, so \"fails\" means the real query threw). Found by doubling, then bisecting" +
      (full ? " (2 steps)" : " (quick run: doubling only, small range)") +
      ". Synthetic uniform traffic, ~5 events per session, one session per visitor per day, compacted rollups (see bench/scale.ts for how rows are built).",
  );

  const traffic: Axis = {
    label: "events/hour",
    unit: "events per hour (200 paths, 20 referrers)",
    traffic: (x) => ({ seed: x, eventsPerHour: x, paths: 200, pathMode: "skewed", sessionEvents: [3, 7] }),
  };
  const keys: Axis = {
    label: "distinct paths",
    unit: "distinct paths per day at 280 events/hour (≈200,000 events/month)",
    traffic: (x) => ({ seed: 7 + x, eventsPerHour: 280, paths: x, pathMode: "uniform", sessionEvents: [3, 7] }),
  };
  for (const [axis, start, cap] of full
    ? ([[traffic, 250, 8_000], [keys, 400, 102_400]] as const)
    : ([[traffic, 500, 1_000], [keys, 800, 1_600]] as const)) {
    const { limits, points } = await searchAxis(axis, start, cap, full ? 2 : 0, log);
    report.note(`**Hour-aligned ranges vs ${axis.unit}** (${points} datasets; searched ${num(start)}–${num(cap)}):`);
    report.table(
      ["query", "range", `largest ${axis.label} that fits`, "its reads", `smallest ${axis.label} that fails`, "what happens beyond"],
      limits.map((l) => [l.q, l.range, l.maxOk === null ? `< ${num(start)}` : l.firstFail === null ? `≥ ${num(l.maxOk)}` : num(l.maxOk), describe(l.ok), l.firstFail === null ? "—" : num(l.firstFail), beyond(l.fail)]),
    );
  }

  const edgeCap = full ? 32_000 : 2_000;
  // Bounce-heavy traffic (1–2 events per session) only changes the queries that look up sessions per event.
  const edgeSeries: [[number, number], QueryName[], number][] = full
    ? [
        [[3, 7], EDGE_QUERIES, 4_000],
        [[1, 2], ["getOverview", "getTopReferrers"], 2_000],
      ]
    : [[[3, 7], EDGE_QUERIES, 1_000]];
  for (const [sessionEvents, queries, from] of edgeSeries) {
    const limits = await searchEdges(sessionEvents, queries, from, edgeCap, full ? 2 : 0, log);
    report.note(
      `**Not-aligned 24 h range vs events per hour in its two 40-minute raw edges** (${sessionEvents.join("–")} events per session; ` +
        `raw edges share one budget per query and throw a clear ConvexError past MAX_RAW_EDGE_EVENTS = ${num(MAX_RAW_EDGE_EVENTS)} events and sessions or ${num(MAX_RAW_EDGE_SESSION_LOOKUPS)} session lookups):`,
    );
    report.table(
      ["query", "largest events/hour that fits", "events per edge", "its reads", "smallest that fails", "events per edge", "what happens beyond"],
      limits.map((l) => [
        l.q,
        l.maxOk === null ? "none tested" : l.firstFail === null ? `≥ ${num(l.maxOk)}` : num(l.maxOk),
        l.okEdge ?? "—",
        describe(l.ok),
        l.firstFail === null ? "—" : num(l.firstFail),
        l.failEdge ?? "—",
        beyond(l.fail),
      ]),
    );
  }

  // getEventPropertyBreakdown reads the raw events of one name over the whole range.
  const n = full ? MAX_BREAKDOWN_EVENTS + 500 : 1_000;
  vi.setSystemTime(DAY0 + 2 * DAY);
  const t = freshInstance();
  const siteId = await createTestSite(t);
  const site = await siteOf(t, siteId);
  const docs = Array.from({ length: n }, (_, i): Batch => ({
    arrival: DAY0 + 1_000 + i * 4_000,
    visitorId: `bv${i % 500}`,
    sessionId: `bs${i}`,
    context: {},
    events: [{ visitorId: `bv${i % 500}`, sessionId: `bs${i}`, type: "track", name: "signup", occurredAt: DAY0 + i * 4_000, properties: { plan: ["free", "pro", "team"][i % 3] } } as Batch["events"][number]],
  })).flatMap((b) => eventDocs(site, b));
  for (let i = 0; i < docs.length; i += 5_000) {
    const slice = docs.slice(i, i + 5_000);
    await t.run(async (ctx) => {
      for (const d of slice) await ctx.db.insert("events", d);
    });
  }
  const m = await measureQuery(t, siteId, "getEventPropertyBreakdown", DAY0, DAY0 + DAY, "24 h", true);
  let outcome: string;
  try {
    const rows = (await t.query(api.analytics.getEventPropertyBreakdown, { siteId, from: DAY0, to: DAY0 + DAY, eventName: "signup", propertyKey: "plan" })) as { count: number }[];
    const counted = rows.reduce((s, r) => s + r.count, 0);
    outcome = `the rows count ${num(counted)} of ${num(n)} events` + (counted < n ? " — silently truncated." : ".");
  } catch (e) {
    outcome = `beyond the cap it refuses with a clear error: "${(e instanceof Error ? e.message : String(e)).split("\n")[0].slice(0, 120)}"`;
  }
  report.note(
    `**getEventPropertyBreakdown** reads the raw events of the event name in the range (at most MAX_BREAKDOWN_EVENTS = ${num(MAX_BREAKDOWN_EVENTS)}). ` +
      `Measured with ${num(n)} "signup" events in 24 h: ${describe(m)}; ${outcome}` +
      ` At ~${kib(m.bytes / Math.max(1, m.docs))} per event the cap stays under 16 MiB; events with large properties (over ~1 KiB each) would hit the byte limit first.` +
      ` So the exact limit is ${num(MAX_BREAKDOWN_EVENTS)} events of that name per range: e.g. at 5% "signup" events, ${num(Math.floor(MAX_BREAKDOWN_EVENTS / 0.05 / 720))} events/hour for 30 days, ${num(Math.floor(MAX_BREAKDOWN_EVENTS / 0.05 / 24))} events/hour for 24 h.`,
  );
  report.note(
    `Rollup rows spill into further \`part\` rows above ROLLUP_ROW_BUDGET_BYTES = ${kib(ROLLUP_ROW_BUDGET_BYTES)} per row, so no document nears the 1 MiB limit; ` +
      "a query then reads more (smaller) documents, and its bytes — not its document count — is what reaches the 16 MiB read limit first.",
  );
}
