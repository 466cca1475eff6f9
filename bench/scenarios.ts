/** The benchmark's measurements: ingest, whole pipeline, queries. */
import { vi } from "vitest";
import { api } from "../src/component/_generated/api.js";
import { bucketSpans, planExactRange } from "../src/component/lib/rangePlan.js";
import {
  createTestSite,
  drain,
  WRITE_KEY_HASH,
  type TestInstance,
} from "../src/component/testing/setup.js";
import { measure } from "../src/component/testing/meter.js";
import type { Batch } from "../src/component/testing/traffic.js";
import { prng } from "../src/component/testing/traffic.js";
import {
  addInto,
  record,
  sumWhere,
  zero,
  type Counters,
  type Recording,
} from "./probe.js";
import { kib, num, type Report } from "./report.js";
import { DAY, HOUR, pathList, referrerHosts } from "./shape.js";
import { compactAll, freshInstance, type Dataset } from "./seed.js";

export const LIMITS = {
  documentsRead: 32_000,
  bytesRead: 16 * 1024 * 1024,
  indexRanges: 4_096,
};

const isWorkpool = (name: string) => name.startsWith("aggregationPool");

/** Sums several recordings. */
function combine(recs: Recording[]): Recording {
  const out: Recording = {
    total: zero(),
    byFunction: new Map(),
    byTable: new Map(),
    transactions: [],
    peak: zero(),
    cpuMs: 0,
    wallMs: 0,
  };
  for (const r of recs) {
    addInto(out.total, r.total);
    for (const [src, dst] of [
      [r.byFunction, out.byFunction],
      [r.byTable, out.byTable],
    ] as const) {
      for (const [k, c] of src)
        addInto(dst.get(k) ?? dst.set(k, zero()).get(k)!, c);
    }
    out.transactions.push(...r.transactions);
    for (const k of Object.keys(out.peak) as (keyof Counters)[])
      out.peak[k] = Math.max(out.peak[k], r.peak[k]);
    out.cpuMs += r.cpuMs;
    out.wallMs += r.wallMs;
  }
  return out;
}

const perEvent = (c: Counters, n: number) => ({
  w: c.documentsWritten / n,
  r: c.documentsRead / n,
  bw: c.bytesWritten / n,
  br: c.bytesRead / n,
  ir: c.indexRanges / n,
});

function tableUsage(rec: Recording, table: string): Counters {
  return rec.byTable.get(table) ?? zero();
}

// ------------------------------------------------------------------ ingest

/** Sessions whose events are sent `batchSize` at a time (5-event sessions for single-event beacons). */
function fixedBatches(
  batchSize: number,
  events: number,
  start: number,
  gapMs: number,
  seed: number,
): Batch[] {
  const r = prng(seed);
  const paths = pathList(200);
  const refs = referrerHosts(20);
  const sessionLength = batchSize === 1 ? 5 : batchSize;
  const sessions = Math.max(1, Math.round(events / sessionLength));
  const batches: Batch[] = [];
  let at = start;
  for (let s = 0; s < sessions; s++) {
    const visitorId = `iv${seed}-${s % Math.max(1, Math.floor(sessions / 2))}`;
    const sessionId = `is${seed}-${s}`;
    const context = {
      device: r.pick(["desktop", "mobile"]),
      browser: r.pick(["Chrome", "Safari", "Firefox"]),
      os: r.pick(["Windows", "iOS", "macOS"]),
      country: r.pick(["US", "DE", "IN"]),
    };
    const list: Batch["events"] = Array.from(
      { length: sessionLength },
      (_, k) => {
        const track = k > 0 && r.chance(0.2);
        return {
          visitorId,
          sessionId,
          type: track ? "track" : "pageview",
          name: track ? "signup" : "pageview",
          path: track ? undefined : r.skewed(paths),
          referrer: k === 0 && r.chance(0.5) ? r.skewed(refs) : undefined,
          occurredAt: 0,
          eventId: `${sessionId}-${k}`,
          ...(track ? { properties: { plan: r.pick(["free", "pro"]) } } : {}),
        } as Batch["events"][number];
      },
    );
    for (let i = 0; i < list.length; i += batchSize) {
      const slice = list
        .slice(i, i + batchSize)
        .map((e, j) => ({ ...e, occurredAt: at - 1_000 + j }));
      batches.push({
        arrival: at,
        visitorId,
        sessionId,
        context,
        events: slice,
      });
      at += gapMs;
    }
  }
  return batches;
}

async function send(t: TestInstance, b: Batch) {
  // drain() runs the workpool's timers, which moves the fake clock forward;
  // never set it backwards: shift the batch to "now" instead.
  const now = Math.max(b.arrival, Date.now());
  const shift = now - b.arrival;
  vi.setSystemTime(now);
  const result = await t.mutation(api.ingest.ingestBatch, {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: b.visitorId,
    sessionId: b.sessionId,
    context: b.context,
    events: b.events.map(
      ({ visitorId: _v, sessionId: _s, context: _c, ...e }) => ({
        ...e,
        occurredAt: e.occurredAt + shift,
      }),
    ),
  });
  if (result.accepted !== b.events.length)
    throw new Error(
      `ingestBatch accepted ${result.accepted} of ${b.events.length}: ${JSON.stringify(result.errors)}`,
    );
  return result.accepted;
}

type PhaseRun = {
  accepted: number;
  ingest: Recording;
  aggregation: Recording;
  compaction: Recording;
  check: Counters;
};

/**
 * Sends `batches`; aggregation runs after every batch ("idle": each batch
 * finds its stream idle) or once after all of them ("pending"). Then the
 * buckets settle and compaction runs.
 */
/** A goal as `createGoal` takes it (without the site). */
type GoalInput = {
  name: string;
  eventName?: string;
  propertyKey?: string;
  propertyValue?: string;
  pathPattern?: string;
};

async function runPipeline(
  batches: Batch[],
  mode: "pending" | "each",
  goals: GoalInput[] = [],
): Promise<PhaseRun> {
  const start = batches[0].arrival;
  vi.setSystemTime(start - HOUR);
  const t = freshInstance();
  const siteId = await createTestSite(t);
  for (const goal of goals)
    await t.mutation(api.goals.createGoal, { siteId, ...goal });
  // Each new goal's backfill (nothing to add yet) ends before the traffic:
  // defining a goal is a one-off cost, not part of what an event costs.
  if (goals.length > 0) await drain(t);
  const ingest: Recording[] = [];
  const aggregation: Recording[] = [];
  let accepted = 0;
  const whole = await measure(async () => {
    for (const b of batches) {
      const { result, rec } = await record(() => send(t, b));
      accepted += result;
      ingest.push(rec);
      if (mode === "each") aggregation.push((await record(() => drain(t))).rec);
    }
    if (mode === "pending") {
      vi.setSystemTime(
        Math.max(Date.now(), batches[batches.length - 1].arrival + 1_000),
      );
      aggregation.push((await record(() => drain(t))).rec);
    }
  });
  vi.setSystemTime(
    Math.max(Date.now(), batches[batches.length - 1].arrival) +
      3 * HOUR +
      10 * 60_000,
  );
  const compaction = (await record(() => compactAll(t, siteId, start - DAY)))
    .rec;
  return {
    accepted,
    ingest: combine(ingest),
    aggregation: combine(aggregation),
    compaction,
    check: whole.usage,
  };
}

export type IngestOptions = { eventsPerSize: number; seed: number };

export async function ingestSection(
  report: Report,
  opts: IngestOptions,
): Promise<void> {
  report.heading("Ingest: cost per accepted event, by batch size");
  report.note(
    `Each run sends ~${opts.eventsPerSize.toLocaleString("en-US")} events (200 paths, 20 referrers, client eventIds) in batches of N events ` +
      '(N = 1: 5-event sessions sent one event per request). "idle": aggregation runs after every batch, so every batch finds its ' +
      'stream idle and writes the stream row and the workpool enqueue; "busy": batches arrive 0.2 s apart and aggregation runs once ' +
      "after all of them, so only the first batch per shard finds its stream idle. Compaction runs once the buckets have settled. " +
      "Figures are convex-test's transaction metrics (documents and bytes as Convex counts them), per accepted event; " +
      '"events docs" are the ingestBatch writes to the `events` table only, "txn" is the whole ingestBatch transaction ' +
      "(events + aggregationStreams row + workpool enqueue documents).",
  );
  const rows: (string | number)[][] = [];
  const bytes: (string | number)[][] = [];
  for (const size of [1, 10, 50]) {
    for (const mode of ["each", "pending"] as const) {
      const batches = fixedBatches(
        size,
        opts.eventsPerSize,
        Date.UTC(2026, 0, 5, 9),
        mode === "each" ? 60_000 : 200,
        opts.seed + size,
      );
      const run = await runPipeline(batches, mode);
      const n = run.accepted;
      const own = perEvent(tableUsage(run.ingest, "analytics:events"), n);
      const txn = perEvent(run.ingest.total, n);
      const agg = perEvent(run.aggregation.total, n);
      const cmp = perEvent(run.compaction.total, n);
      const all = perEvent(
        addInto(
          addInto(addInto(zero(), run.ingest.total), run.aggregation.total),
          run.compaction.total,
        ),
        n,
      );
      const label = mode === "each" ? "idle" : "busy";
      rows.push([
        size,
        label,
        n,
        own.w,
        txn.w,
        txn.r,
        txn.ir,
        agg.w,
        agg.r,
        cmp.w,
        cmp.r,
        all.w,
        all.r,
        `${num(own.w)}× / ${num(txn.w)}×`,
      ]);
      bytes.push([
        size,
        label,
        kib(own.bw),
        kib(txn.bw),
        kib(txn.br),
        kib(agg.bw),
        kib(agg.br),
        kib(cmp.bw),
        kib(cmp.br),
        kib(all.bw),
        kib(all.br),
      ]);
      report.check(
        `ingestBatch writes exactly 1 events document per accepted event (batch ${size}, ${label})`,
        Math.abs(own.w - 1) < 1e-9,
        `${num(own.w)} events docs/event; whole ingestBatch transaction ${num(txn.w)} docs/event`,
      );
      const sum =
        run.ingest.total.documentsWritten +
        run.aggregation.total.documentsWritten;
      report.check(
        `probe attribution agrees with meter.ts totals (batch ${size}, ${label})`,
        sum === run.check.documentsWritten,
        `${sum} vs ${run.check.documentsWritten} documents written`,
      );
    }
  }
  report.note(
    "Documents per accepted event (W = written, R = read, IR = index ranges):",
  );
  report.table(
    [
      "batch",
      "stream",
      "events",
      "ingestBatch events docs W",
      "ingestBatch txn W",
      "txn R",
      "txn IR",
      "aggregation W",
      "aggregation R",
      "compaction W",
      "compaction R",
      "total W",
      "total R",
      "ratio to lower bound (1 W/event): events docs / txn",
    ],
    rows,
  );
  report.note("Bytes per accepted event:");
  report.table(
    [
      "batch",
      "stream",
      "ingestBatch events docs W",
      "ingestBatch txn W",
      "txn R",
      "aggregation W",
      "aggregation R",
      "compaction W",
      "compaction R",
      "total W",
      "total R",
    ],
    bytes,
  );
}

// ---------------------------------------------------------------- pipeline

export async function pipelineSection(
  report: Report,
  opts: { sessions: number; seed: number },
): Promise<{ cpuMsPer1000: number }> {
  report.heading(
    "Whole pipeline: documents per event, workpool documents included",
  );
  const batches = fixedBatches(
    5,
    opts.sessions * 5,
    Date.UTC(2026, 0, 6, 9),
    200,
    opts.seed,
  );
  const eachBatches = fixedBatches(
    5,
    opts.sessions * 5,
    Date.UTC(2026, 0, 6, 9),
    60_000,
    opts.seed,
  );
  const a = await runPipeline(batches, "pending");
  const b = await runPipeline(eachBatches, "each");
  const rows: (string | number)[][] = [];
  const figures = (run: PhaseRun) => {
    const n = run.accepted;
    const ia = addInto(
      addInto(zero(), run.ingest.total),
      run.aggregation.total,
    );
    const all = addInto({ ...ia }, run.compaction.total);
    return {
      n,
      ia: perEvent(ia, n),
      all: perEvent(all, n),
      wp: perEvent(
        addInto(
          sumWhere(run.ingest, isWorkpool),
          sumWhere(run.aggregation, isWorkpool),
        ),
        n,
      ),
    };
  };
  const fa = figures(a);
  const fb = figures(b);
  for (const [label, f] of [
    [`(a) ${opts.sessions} sessions' batches pending, then aggregation`, fa],
    [`(b) aggregation after every batch`, fb],
  ] as const) {
    rows.push([
      label,
      f.n,
      f.ia.w,
      f.ia.r,
      f.wp.w,
      f.wp.r,
      f.all.w,
      f.all.r,
      kib(f.all.bw),
      kib(f.all.br),
    ]);
  }
  report.note(
    `${opts.sessions} sessions of 5 events, one ~5-event batch per session (a: 0.2 s apart; b: 60 s apart).`,
  );
  report.table(
    [
      "scenario",
      "events",
      "ingest+aggregation W/event",
      "ingest+aggregation R/event",
      "of which workpool W",
      "of which workpool R",
      "+ compaction W/event",
      "+ compaction R/event",
      "bytes W/event",
      "bytes R/event",
    ],
    rows,
  );
  report.check(
    "T5 (a) pending batches: whole pipeline ≤ 2.0 documents written per event, compaction included",
    fa.all.w <= 2.0,
    `${num(fa.all.w)} W/event incl. compaction (${num(fa.ia.w)} without)`,
  );
  report.check(
    "(a) pending batches: whole pipeline ≤ 4 documents read per event",
    fa.all.r <= 4,
    `${num(fa.all.r)} R/event incl. compaction (${num(fa.ia.r)} without)`,
  );
  report.check(
    "T5 (b) aggregation after every batch: ≤ 7.5 documents written per event, compaction included",
    fb.all.w <= 7.5,
    `${num(fb.all.w)} W/event incl. compaction (${num(fb.ia.w)} without)`,
  );

  // Per-function breakdown of (b), the expensive cadence.
  const fnRows = [
    ...combine([b.ingest, b.aggregation, b.compaction]).byFunction,
  ]
    .filter(([, c]) => c.documentsRead + c.documentsWritten > 0)
    .sort(
      ([, x], [, y]) =>
        y.documentsWritten +
        y.documentsRead -
        (x.documentsWritten + x.documentsRead),
    )
    .map(([fn, c]) => [
      fn,
      c.documentsWritten / fb.n,
      c.documentsRead / fb.n,
      c.indexRanges / fb.n,
    ]);
  report.note("Where (b)'s documents go, per event, by function:");
  report.table(["function", "W/event", "R/event", "IR/event"], fnRows);

  const cpu = (run: PhaseRun) =>
    ((run.ingest.cpuMs + run.aggregation.cpuMs) / run.accepted) * 1000;
  report.heading("Time (embedded convex-test backend; relative figure only)");
  report.table(
    [
      "scenario",
      "CPU ms per 1,000 events ingested + aggregated",
      "wall ms per 1,000 events",
    ],
    [
      [
        "(a) pending",
        cpu(a),
        ((a.ingest.wallMs + a.aggregation.wallMs) / a.accepted) * 1000,
      ],
      [
        "(b) after every batch",
        cpu(b),
        ((b.ingest.wallMs + b.aggregation.wallMs) / b.accepted) * 1000,
      ],
    ],
  );
  return { cpuMsPer1000: cpu(a) };
}

// ------------------------------------------------------------------- goals

/**
 * Twenty goals over the pipeline's traffic (pageviews of 200 paths under
 * /docs/section-N/, signups with a plan): the signup event, with each plan,
 * every section by pattern, the home page and every docs page.
 */
export function twentyGoals(): GoalInput[] {
  const goals: GoalInput[] = [
    { name: "signup", eventName: "signup" },
    {
      name: "signup pro",
      eventName: "signup",
      propertyKey: "plan",
      propertyValue: "pro",
    },
    {
      name: "signup free",
      eventName: "signup",
      propertyKey: "plan",
      propertyValue: "free",
    },
    { name: "home", pathPattern: "/" },
    { name: "any docs page", pathPattern: "/docs/**" },
  ];
  for (let i = 0; goals.length < 20; i++)
    goals.push({ name: `section ${i}`, pathPattern: `/docs/section-${i}/*` });
  return goals;
}

/**
 * What 20 goals add to the whole pipeline (README, "Goals"): the same
 * traffic as the pipeline section, without goals and with twenty defined.
 */
export async function goalsSection(
  report: Report,
  opts: { sessions: number; seed: number },
): Promise<void> {
  report.heading("Goals: what 20 goals add per event");
  const start = Date.UTC(2026, 0, 6, 9);
  const runs: (string | number)[][] = [];
  for (const [label, mode, gap] of [
    ["(a) pending batches", "pending", 200],
    ["(b) aggregation after every batch", "each", 60_000],
  ] as const) {
    const batches = fixedBatches(5, opts.sessions * 5, start, gap, opts.seed);
    const per = (run: PhaseRun) =>
      perEvent(
        addInto(
          addInto(addInto(zero(), run.ingest.total), run.aggregation.total),
          run.compaction.total,
        ),
        run.accepted,
      );
    const without = per(await runPipeline(batches, mode));
    const withGoals = per(await runPipeline(batches, mode, twentyGoals()));
    runs.push([
      label,
      without.w,
      withGoals.w,
      withGoals.w - without.w,
      kib(without.bw),
      kib(withGoals.bw),
      kib(withGoals.bw - without.bw),
    ]);
    report.check(
      `T5 ${label.slice(0, 3)} with 20 goals: ≤ ${mode === "pending" ? "2.0" : "7.5"} documents written per event, compaction included`,
      withGoals.w <= (mode === "pending" ? 2.0 : 7.5),
      `${num(withGoals.w)} W/event (${num(without.w)} without goals)`,
    );
  }
  report.note(
    `${opts.sessions} sessions of 5 events as in the pipeline section; ingest, aggregation and compaction included.`,
  );
  report.table(
    [
      "scenario",
      "W/event, no goals",
      "W/event, 20 goals",
      "added W/event",
      "bytes W/event, no goals",
      "bytes W/event, 20 goals",
      "added bytes W/event",
    ],
    runs,
  );
}

// ----------------------------------------------------------------- queries

export type QueryName =
  | "getOverview"
  | "getTimeseries hour"
  | "getTimeseries day"
  | "getTopPages"
  | "getTopReferrers"
  | "getEventPropertyBreakdown";
export const QUERIES: QueryName[] = [
  "getOverview",
  "getTimeseries hour",
  "getTimeseries day",
  "getTopPages",
  "getTopReferrers",
  "getEventPropertyBreakdown",
];

export function runQuery(
  t: TestInstance,
  siteId: string,
  q: QueryName,
  from: number,
  to: number,
): Promise<unknown> {
  const range = { siteId, from, to };
  switch (q) {
    case "getOverview":
      return t.query(api.analytics.getOverview, range);
    case "getTimeseries hour":
      return t.query(api.analytics.getTimeseries, {
        ...range,
        interval: "hour",
      });
    case "getTimeseries day":
      return t.query(api.analytics.getTimeseries, {
        ...range,
        interval: "day",
      });
    case "getTopPages":
      return t.query(api.analytics.getTopPages, { ...range, limit: 10 });
    case "getTopReferrers":
      return t.query(api.analytics.getTopReferrers, { ...range, limit: 10 });
    case "getEventPropertyBreakdown":
      return t.query(api.analytics.getEventPropertyBreakdown, {
        ...range,
        eventName: "signup",
        propertyKey: "plan",
      });
  }
}

/** Buckets the query's plan covers (rollup buckets + raw partial-hour spans). */
export function bucketsOf(q: QueryName, from: number, to: number): number {
  const count = (f: number, t: number) => {
    const p = planExactRange(f, t, "UTC");
    return p.days.length + p.hours.length + p.raw.length;
  };
  if (q === "getTimeseries hour" || q === "getTimeseries day") {
    return bucketSpans(
      from,
      to,
      q === "getTimeseries hour" ? "hour" : "day",
      "UTC",
    ).reduce((n, s) => n + count(s.start, s.end), 0);
  }
  return count(from, to);
}

export type QueryMeasure = {
  q: QueryName;
  range: string;
  aligned: boolean;
  docs: number;
  bytes: number;
  indexRanges: number;
  rawEvents: number;
  buckets: number;
  error?: string;
};

export async function measureQuery(
  t: TestInstance,
  siteId: string,
  q: QueryName,
  from: number,
  to: number,
  range: string,
  aligned: boolean,
): Promise<QueryMeasure> {
  let error: string | undefined;
  const { rec } = await record(async () => {
    try {
      await runQuery(t, siteId, q, from, to);
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e))
        .split("\n")[0]
        .slice(0, 160);
    }
  });
  return {
    q,
    range,
    aligned,
    docs: rec.peak.documentsRead,
    bytes: rec.peak.bytesRead,
    indexRanges: rec.peak.indexRanges,
    rawEvents: tableUsage(rec, "analytics:events").documentsRead,
    buckets: bucketsOf(q, from, to),
    error,
  };
}

export const RANGES = [
  ["24 h", DAY],
  ["7 d", 7 * DAY],
  ["30 d", 30 * DAY],
] as const;

/** Hour-aligned and not aligned ranges ending near `end`. */
export function rangesEndingAt(end: number) {
  const alignedTo = Math.floor(end / HOUR) * HOUR;
  const out: { range: string; aligned: boolean; from: number; to: number }[] =
    [];
  for (const [range, length] of RANGES) {
    out.push({ range, aligned: true, from: alignedTo - length, to: alignedTo });
    const to = alignedTo - 17 * 60_000 - 23_000;
    out.push({ range, aligned: false, from: to - length, to });
  }
  return out;
}

export async function measureDataset(
  d: Dataset,
  end: number,
): Promise<QueryMeasure[]> {
  vi.setSystemTime(d.now);
  const out: QueryMeasure[] = [];
  for (const r of rangesEndingAt(end)) {
    for (const q of QUERIES)
      out.push(
        await measureQuery(d.t, d.siteId, q, r.from, r.to, r.range, r.aligned),
      );
  }
  return out;
}

export function fits(m: QueryMeasure): boolean {
  return (
    !m.error &&
    m.docs <= LIMITS.documentsRead &&
    m.bytes <= LIMITS.bytesRead &&
    m.indexRanges <= LIMITS.indexRanges
  );
}

export function queryTable(
  report: Report,
  label: string,
  d: Dataset,
  ms: QueryMeasure[],
): void {
  report.note(
    `**${label}** — ${d.events.toLocaleString("en-US")} events; seeded by ${d.method} (${(d.seedMs / 1000).toFixed(1)} s).`,
  );
  report.table(
    [
      "query",
      "range",
      "aligned",
      "docs read",
      "bytes read",
      "index ranges",
      "raw events read",
      "buckets",
      "docs/bucket",
      "fits limits",
    ],
    ms.map((m) => [
      m.q,
      m.range,
      m.aligned ? "yes" : "no",
      m.docs,
      kib(m.bytes),
      m.indexRanges,
      m.rawEvents,
      m.buckets,
      m.docs / m.buckets,
      m.error ? `ERROR: ${m.error}` : fits(m) ? "yes" : "NO",
    ]),
  );
}
