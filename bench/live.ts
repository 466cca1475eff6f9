/**
 * T4 (README, "Cost and scale"): what a <Dashboard> left open on the 30-day
 * preset re-reads in one hour while W1 traffic flows.
 *
 * The deployment holds the rows the 30-day load reads (bench/workloads.ts
 * builds them from template days), then one hour of W1 traffic, from 14:20,
 * goes through the real `ingestBatch`; the aggregation job runs after every
 * batch, as the workpool runs it in production, and the real compaction runs
 * every 15 minutes, as the default cron does. The dashboard's subscriptions
 * are re-run by the model in bench/readSets.ts: a query re-runs once for
 * every commit that writes into what its last run read (its documents and
 * index ranges). Arguments that change (the realtime minute, the settled
 * part's end) make new subscriptions, whose first run counts as a re-read.
 *
 * Two dashboards are compared: "whole range" (every panel asks for
 * [from, to), as <Dashboard> does without `getLiveReport`), and "live split"
 * (what <Dashboard> does with it: the live part [since, to) from
 * getLiveReport, everything else up to `since`).
 */
import { vi } from "vitest";
import { api } from "../src/component/_generated/api.js";
import { OVERVIEW } from "../src/component/lib/rollupDelta.js";
import type { TestInstance } from "../src/component/testing/setup.js";
import {
  createTestSite,
  WRITE_KEY_HASH,
} from "../src/component/testing/setup.js";
import { internal } from "../src/component/_generated/api.js";
import {
  DIMENSIONS,
  TOP_DIMENSIONS,
  type TopDimension,
} from "../src/component/lib/dimensions.js";
import type { Batch } from "../src/component/testing/traffic.js";
import { record } from "./probe.js";
import {
  onCommittedWrite,
  recordReadSet,
  touches,
  type ReadSet,
} from "./readSets.js";
import { kib, num, type Report } from "./report.js";
import { freshInstance } from "./seed.js";
import { HOUR, DAY } from "./shape.js";
import {
  DEFAULT_TAB_QUERIES,
  NOW,
  placeRows,
  presetRange,
  watermarkAt,
  workloadDay,
  type Templates,
  type Workload,
} from "./workloads.js";

const DEBUG = process.env.BENCH_T4_DEBUG === "1";
const debugCounts = new Map<string, number>();
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const COMPACTION_EVERY_MS = 15 * MINUTE;

type Subscription = {
  name: string;
  /** The live panel (realtime, the live report): counted apart, as T4 allows. */
  live: boolean;
  run: () => Promise<unknown>;
  readSet: ReadSet;
  /** Commits that touched the read set since the last run. */
  pending: number;
  /** What its last run read. */
  last?: { bytes: number; docs: number };
};

/**
 * The whole-range dashboard re-runs every history panel after every
 * aggregation run, reading about the same each time: it is run for real
 * every SAMPLE_EVERY-th time, and the runs in between count what the last
 * real run read (the split dashboard's runs are all real).
 */
const SAMPLE_EVERY = 10;

type Tally = {
  runs: number;
  bytes: number;
  docs: number;
};

type Simulation = {
  firstLoad: Tally;
  reread: Tally;
  liveReread: Tally;
  batches: number;
  events: number;
  compactionRuns: number;
  sinceMoves: number;
  perQuery: Map<string, Tally>;
};

const zeroTally = (): Tally => ({ runs: 0, bytes: 0, docs: 0 });

/** The deployment at 14:20 with the rows a 30-day load reads. */
async function deployment(
  tpl: Templates,
): Promise<{ t: TestInstance; siteId: string }> {
  vi.setSystemTime(NOW);
  const t = freshInstance();
  const siteId = await createTestSite(t);
  await t.run((ctx) =>
    ctx.db.insert("rollupWatermarks", { siteId, ...watermarkAt(NOW) }),
  );
  const { from, to, interval } = presetRange("30d");
  const placed = new Set<string>();
  await placeRows(
    t,
    siteId,
    tpl,
    OVERVIEW,
    [
      { from, to },
      { from: from - (to - from), to: from },
      { from, to, perBucket: interval },
    ],
    placed,
  );
  for (const d of defaultTabs())
    await placeRows(t, siteId, tpl, d, [{ from, to }], placed);
  return { t, siteId };
}

function defaultTabs(): TopDimension[] {
  return TOP_DIMENSIONS.filter((d) =>
    DEFAULT_TAB_QUERIES.has(DIMENSIONS[d].query),
  );
}

/** The queries each dashboard subscribes to, given the live report's `since` (split) and the realtime minute. */
function wantedQueries(
  t: TestInstance,
  siteId: string,
  mode: "whole" | "split",
  since: number | undefined,
  chartFrom: number | undefined,
  minute: number,
): { key: string; name: string; live: boolean; run: () => Promise<unknown> }[] {
  const { from, to, interval } = presetRange("30d");
  const q = api.analytics;
  type Wanted = {
    key: string;
    name: string;
    live: boolean;
    run: () => Promise<unknown>;
  };
  const out: Wanted[] = [
    {
      key: `realtime|${minute}`,
      name: "getRealtime",
      live: true,
      run: () => t.query(q.getRealtime, { siteId, now: minute }),
    },
  ];
  const tablesTo = mode === "whole" ? to : since!;
  for (const d of defaultTabs()) {
    const name = DIMENSIONS[d].query;
    out.push({
      key: `${name}|${tablesTo}`,
      name,
      live: false,
      run: () => t.query(q[name], { siteId, from, to: tablesTo, limit: 10 }),
    });
  }
  if (mode === "whole") {
    out.push(
      {
        key: "overview",
        name: "getOverview (compare)",
        live: false,
        run: () => t.query(q.getOverview, { siteId, from, to, compare: true }),
      },
      {
        key: "timeseries",
        name: "getTimeseries",
        live: false,
        run: () => t.query(q.getTimeseries, { siteId, from, to, interval }),
      },
    );
    return out;
  }
  out.push(
    {
      key: "live",
      name: "getLiveReport",
      live: true,
      run: () => t.query(q.getLiveReport, { siteId, from, to, interval }),
    },
    {
      key: `settled|${since}`,
      name: "getOverview (settled part)",
      live: false,
      run: () =>
        t.query(q.getOverview, { siteId, from, to: since!, parts: true }),
    },
    {
      key: "previous",
      name: "getOverview (previous period)",
      live: false,
      run: () =>
        t.query(q.getOverview, { siteId, from: from - (to - from), to: from }),
    },
    {
      key: `chart|${chartFrom}`,
      name: "getTimeseries (settled days)",
      live: false,
      run: () =>
        t.query(q.getTimeseries, { siteId, from, to: chartFrom!, interval }),
    },
  );
  return out;
}

/** One hour of W1 traffic from 14:20, as the tracker would send it. */
function hourOfTraffic(w: Workload): Batch[] {
  const day = Math.floor(NOW / DAY) * DAY;
  return workloadDay(w, day, 0)
    .filter((b) => b.arrival >= NOW && b.arrival < NOW + HOUR)
    .sort((a, b) => a.arrival - b.arrival);
}

async function runSubscription(
  sub: Subscription,
  tally: Tally,
  perQuery: Map<string, Tally>,
): Promise<unknown> {
  let readSet: ReadSet | undefined;
  const { rec, result } = await record(async () => {
    const run = await recordReadSet(sub.run);
    readSet = run.readSet;
    return run.result;
  });
  sub.readSet = readSet!;
  sub.last = { bytes: rec.total.bytesRead, docs: rec.total.documentsRead };
  // A query re-runs once per touching commit; each re-run reads what this one read.
  addRuns(tally, perQuery, sub.name, Math.max(1, sub.pending), sub.last);
  sub.pending = 0;
  return result;
}

function addRuns(
  tally: Tally,
  perQuery: Map<string, Tally>,
  name: string,
  times: number,
  read: { bytes: number; docs: number },
): void {
  let q = perQuery.get(name);
  if (!q) perQuery.set(name, (q = zeroTally()));
  for (const t of [tally, q]) {
    t.runs += times;
    t.bytes += times * read.bytes;
    t.docs += times * read.docs;
  }
}

export async function simulateOpenHour(
  tpl: Templates,
  w: Workload,
  mode: "whole" | "split",
  log: (l: string) => void,
): Promise<Simulation> {
  const { t, siteId } = await deployment(tpl);
  const sim: Simulation = {
    firstLoad: zeroTally(),
    reread: zeroTally(),
    liveReread: zeroTally(),
    batches: 0,
    events: 0,
    compactionRuns: 0,
    sinceMoves: 0,
    perQuery: new Map(),
  };
  const subs = new Map<string, Subscription>();
  // A query re-runs once per commit that writes into its read set, however many documents it touches.
  const stop = onCommittedWrite((db, writes) => {
    for (const sub of subs.values()) {
      const hit = writes.find((w) =>
        touches(sub.readSet, db, w.id, w.before, w.after),
      );
      if (!hit) continue;
      sub.pending++;
      if (DEBUG && !sub.live) {
        const doc = hit.after ?? hit.before;
        const key = `${sub.name} <- ${hit.id.replace(/^\d+/, "")} ${JSON.stringify(doc).slice(0, 160)}`;
        debugCounts.set(key, (debugCounts.get(key) ?? 0) + 1);
      }
    }
  });
  let since: number | undefined;
  let chartFrom: number | undefined;
  let first = true;
  let samples = 0;
  /** Brings the subscriptions up to date, as the client would. */
  const settle = async () => {
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
    for (;;) {
      let live: { since: number; timeseriesFrom: number } | undefined;
      const wanted = wantedQueries(t, siteId, mode, since, chartFrom, minute);
      const keys = new Set(wanted.map((q) => q.key));
      for (const key of [...subs.keys()]) if (!keys.has(key)) subs.delete(key);
      for (const q of wanted) {
        let sub = subs.get(q.key);
        const fresh = !sub;
        if (!sub) {
          sub = {
            ...q,
            readSet: { ids: new Map(), ranges: [] },
            pending: 0,
          };
          subs.set(q.key, sub);
        }
        if (!fresh && sub.pending === 0) continue;
        const skipped =
          mode === "whole" && !sub.live && sub.last && ++samples % SAMPLE_EVERY;
        if (skipped && sub.last) {
          addRuns(sim.reread, sim.perQuery, sub.name, sub.pending, sub.last);
          sub.pending = 0;
          continue;
        }
        const tally = sub.live
          ? first
            ? zeroTally()
            : sim.liveReread
          : first
            ? sim.firstLoad
            : sim.reread;
        const result = await runSubscription(sub, tally, sim.perQuery);
        if (q.key === "live") live = result as typeof live;
      }
      if (!live) break;
      if (live.since === since && live.timeseriesFrom === chartFrom) break;
      if (since !== undefined) sim.sinceMoves++;
      since = live.since;
      chartFrom = live.timeseriesFrom;
    }
    first = false;
  };
  // The client learns `since` from the live report before it asks for the rest.
  if (mode === "split") {
    const { from, to, interval } = presetRange("30d");
    const live = await t.query(api.analytics.getLiveReport, {
      siteId,
      from,
      to,
      interval,
    });
    since = live.since;
    chartFrom = live.timeseriesFrom;
  }
  await settle();
  let nextCompaction =
    Math.ceil(NOW / COMPACTION_EVERY_MS) * COMPACTION_EVERY_MS;
  /** Lets the clock run to `target`, the workpool and aggregation jobs running as their timers fire. */
  const runUntil = async (target: number) => {
    while (Date.now() < target) {
      if (nextCompaction <= Date.now()) {
        await t.action(internal.compaction.compactShards, { siteId, since: 0 });
        await t.finishInProgressScheduledFunctions();
        sim.compactionRuns++;
        nextCompaction += COMPACTION_EVERY_MS;
        await settle();
      }
      await vi.advanceTimersByTimeAsync(Math.min(SECOND, target - Date.now()));
      await t.finishInProgressScheduledFunctions();
      await settle();
    }
  };
  for (const batch of hourOfTraffic(w)) {
    await runUntil(batch.arrival);
    await t.mutation(api.ingest.ingestBatch, {
      writeKeyHash: WRITE_KEY_HASH,
      visitorId: batch.visitorId,
      sessionId: batch.sessionId,
      context: batch.context,
      events: batch.events.map(
        ({ visitorId: _v, sessionId: _s, context: _c, ...e }) => e,
      ),
    });
    sim.batches++;
    sim.events += batch.events.length;
    await settle();
    if (sim.batches % 100 === 0)
      log(
        `    ${mode}: ${sim.batches} batches, ${new Date(Date.now()).toISOString().slice(11, 19)}`,
      );
  }
  await runUntil(NOW + HOUR);
  stop();
  if (DEBUG)
    for (const [k, n] of [...debugCounts]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 30))
      log(`${n} ${k}`);
  return sim;
}

/** T4 at W1: the whole-range dashboard against the live split. */
export async function liveSection(
  report: Report,
  tpl: Templates,
  w: Workload,
  log: (l: string) => void,
): Promise<void> {
  const split = await simulateOpenHour(tpl, w, "split", log);
  log(`  T4 live split: ${summary(split)}`);
  if (DEBUG) return;
  const whole = await simulateOpenHour(tpl, w, "whole", log);
  log(`  T4 whole range: ${summary(whole)}`);
  // One full load: what the whole-range dashboard's panels read when it opens.
  const fullLoad = whole.firstLoad.bytes;
  report.heading("T4: a dashboard left open (30-day preset, W1, one hour)");
  report.note(
    `${num(split.events)} events in ${num(split.batches)} batches from ${new Date(NOW).toISOString().slice(11, 16)} UTC, aggregation after every batch, compaction every 15 minutes (${split.compactionRuns} runs). ` +
      "Re-runs counted by the model in bench/readSets.ts: a subscription re-runs once per commit that writes into what its last run read. " +
      `The whole-range dashboard's history panels are run for real every ${SAMPLE_EVERY}th re-run, the others counted at what the last real run read. ` +
      `One full load (whole range, with comparison) reads ${kib(fullLoad)}.`,
  );
  const row = (label: string, s: Simulation) => [
    label,
    num(s.reread.runs),
    kib(s.reread.bytes),
    num(s.reread.docs),
    (s.reread.bytes / fullLoad).toFixed(2),
    num(s.liveReread.runs),
    kib(s.liveReread.bytes),
    num(s.sinceMoves),
  ];
  report.table(
    [
      "dashboard",
      "re-runs (history panels)",
      "bytes re-read",
      "documents re-read",
      "× one full load",
      "re-runs (live panel)",
      "live panel bytes",
      "settled-part moves",
    ],
    [row("whole range (before)", whole), row("live split (after)", split)],
  );
  report.note("Live split, per query (runs in the hour, first load included):");
  report.table(
    ["query", "runs", "bytes read", "documents read"],
    [...split.perQuery].map(([name, q]) => [
      name,
      num(q.runs),
      kib(q.bytes),
      num(q.docs),
    ]),
  );
  const ratio = split.reread.bytes / fullLoad;
  report.check(
    "T4 — history panels re-read ≤ 3 × one full load in an hour (W1, 30 days)",
    ratio <= 3,
    `${ratio.toFixed(2)} × (${kib(split.reread.bytes)} of ${kib(fullLoad)}); before the split: ${(whole.reread.bytes / fullLoad).toFixed(1)} ×`,
  );
}

function summary(s: Simulation): string {
  const perQuery = [...s.perQuery]
    .map(([name, q]) => `${name} ${q.runs}× ${kib(q.bytes)}`)
    .join("; ");
  return `first load ${kib(s.firstLoad.bytes)}, re-read ${s.reread.runs}× ${kib(s.reread.bytes)}, live ${s.liveReread.runs}× ${kib(s.liveReread.bytes)}, ${s.batches} batches, ${s.events} events, ${s.compactionRuns} compactions, ${s.sinceMoves} moves; ${perQuery}`;
}
