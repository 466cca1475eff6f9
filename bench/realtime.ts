/**
 * Realtime cost: what one getRealtime call reads once a site has had steady
 * traffic for 40 minutes, at W2's mean rate, at W2's peak and at 50,000
 * events an hour.
 *
 * Traffic is the benchmark's usual shape (bench/shape.ts, sessions of ~5
 * events, batches of 1–5), its event documents built exactly as ingestBatch
 * builds them and inserted at their arrival (5-second slots). The real
 * aggregation job (ingest.aggregateEventBatch) consumes every shard every
 * 30 seconds, and once more 5 seconds before the query: that run leaves
 * the events of the last 10 seconds unconsumed, about the most a deployment
 * leaves (an event settles after 5 s; a job starts 6 s after the batch that
 * woke it). The query then runs with
 * `now` at the current minute, as <Dashboard> calls it, and its figures are
 * checked against counts made here from the events sent.
 */
import { vi } from "vitest";
import { api, internal } from "../src/component/_generated/api.js";
import type { Doc } from "../src/component/_generated/dataModel.js";
import { createTestSite } from "../src/component/testing/setup.js";
import type { TestInstance } from "../src/component/testing/setup.js";
import { record } from "./probe.js";
import { Report, kib } from "./report.js";
import { freshInstance, eventDocs } from "./seed.js";
import { generateShape } from "./shape.js";
import type { Mode } from "./run.js";

const MIN = 60_000;
/** A weekday 14:20 UTC, like the scale section. */
const NOW = Date.UTC(2026, 1, 4, 14, 20);
const HISTORY_MS = 40 * MIN;
const SLOT_MS = 5_000;
const AGGREGATE_EVERY_MS = 30_000;

type Rate = { label: string; perHour: number };

/** The quick run (inside `npm test`) measures a small site only: convex-test's table scans make large runs slow. */
const QUICK_RATE: Rate = { label: "W1 mean (1 M/month)", perHour: 1_400 };
const RATES: Rate[] = [
  { label: "W2 mean (10 M/month)", perHour: 14_000 },
  { label: "W2 peak (2.5× mean)", perHour: 35_000 },
  { label: "50,000 events/hour", perHour: 50_000 },
];

type EventRow = ReturnType<typeof eventDocs>[number];

async function aggregateSettled(
  t: TestInstance,
  siteId: string,
  shards: number,
) {
  for (let shard = 0; shard < shards; shard++) {
    for (;;) {
      const run = await t.mutation(internal.aggregateJob.aggregateEventBatch, {
        siteId,
        shard,
      });
      if (run.processed === 0) break;
    }
  }
}

/** getRealtime's answer for `now`, counted from the stored events (README, "Metric definitions"). */
function expectedOf(events: EventRow[], now: number) {
  const end = Math.floor(now / MIN) * MIN + MIN;
  const start = end - 30 * MIN;
  const visitors = new Set<string>();
  let pageviews = 0;
  for (const e of events) {
    if (e.occurredAt < start || e.occurredAt >= end) continue;
    if (e.type === "pageview") pageviews++;
    if (e.occurredAt >= end - 6 * MIN) visitors.add(e.visitorId);
  }
  return { visitors: visitors.size, pageviews };
}

async function measureRate(rate: Rate, seed: number) {
  const from = NOW - HISTORY_MS;
  // convex-test's creation times never go back: start the clock before the traffic.
  vi.setSystemTime(from - MIN);
  const t = freshInstance();
  const siteId = await createTestSite(t);
  const site = (await t.run((ctx) =>
    ctx.db.get(siteId as never),
  )) as Doc<"sites">;
  const batches = generateShape({
    seed,
    start: from,
    days: 1,
    events: Math.round((rate.perHour * HISTORY_MS) / (60 * MIN)),
    windowMs: HISTORY_MS,
    visitorPrefix: `rt${seed}`,
  })
    .filter((b) => b.arrival >= from && b.arrival < NOW)
    .sort((a, b) => a.arrival - b.arrival);
  const sent: EventRow[] = [];
  let next = 0;
  for (let slot = from + SLOT_MS; slot <= NOW; slot += SLOT_MS) {
    // The slot's events arrive at its end (their _creationTime).
    vi.setSystemTime(slot);
    const rows: EventRow[] = [];
    while (next < batches.length && batches[next].arrival < slot)
      rows.push(...eventDocs(site, batches[next++]));
    if (rows.length > 0) {
      await t.run(async (ctx) => {
        for (const row of rows) await ctx.db.insert("events", row);
      });
      sent.push(...rows);
    }
    const due =
      (slot - from) % AGGREGATE_EVERY_MS === 0 || slot === NOW - SLOT_MS;
    if (slot < NOW && due)
      await aggregateSettled(t, siteId, site.rollupShardCount);
  }
  const { result, rec } = await record(() =>
    t.query(api.analytics.getRealtime, {
      siteId,
      now: Math.floor(NOW / MIN) * MIN,
    }),
  );
  const want = expectedOf(sent, NOW);
  const got = result.pageviewsPerMinute.reduce((n, m) => n + m.pageviews, 0);
  const table = (name: string) =>
    rec.byTable.get(`analytics:${name}`)?.documentsRead ?? 0;
  return {
    rate,
    events: sent.length,
    docs: rec.total.documentsRead,
    bytes: rec.total.bytesRead,
    indexRanges: rec.total.indexRanges,
    shardRows: table("aggregationStreams"),
    rawEvents: table("events"),
    truncated: result.truncated,
    correct: result.visitors === want.visitors && got === want.pageviews,
    visitors: result.visitors,
  };
}

/**
 * The realtime section: one row per rate (quick mode: W1's mean only, to
 * keep `npm test` short), and a check that the answer at the highest rate
 * measured is complete, correct and far inside Convex's limits.
 */
export async function realtimeSection(
  report: Report,
  mode: Mode,
  log: (line: string) => void = () => {},
): Promise<void> {
  report.heading("Realtime: what one getRealtime call reads");
  report.note(
    "40 minutes of steady traffic (sessions of ~5 events, batches of 1–5, 4 shards); the real aggregation consumes every 30 s and " +
      "last ran 5 s before the query, leaving the last 10 s of events to the raw tail. `now` is the current minute, as <Dashboard> passes it. " +
      '"correct": visitors now and the 30 minutes\' pageviews equal counts made from the events sent.',
  );
  const rates = mode === "full" ? RATES : [QUICK_RATE];
  const rows = [];
  for (const [i, rate] of rates.entries()) {
    rows.push(await measureRate(rate, 900 + i));
    log(`realtime at ${rate.perHour}/hour done`);
  }
  report.table(
    [
      "traffic",
      "events sent",
      "documents read",
      "realtime rows",
      "raw events",
      "bytes read",
      "index ranges",
      "visitors now",
      "truncated",
      "correct",
    ],
    rows.map((r) => [
      r.rate.label,
      r.events,
      r.docs,
      r.shardRows,
      r.rawEvents,
      kib(r.bytes),
      r.indexRanges,
      r.visitors,
      r.truncated ? "yes" : "no",
      r.correct ? "yes" : "NO",
    ]),
  );
  const top = rows[rows.length - 1];
  report.check(
    `getRealtime at ${top.rate.label}: complete, correct, ≤ 1,000 documents and ≤ 1 MiB`,
    !top.truncated &&
      top.correct &&
      top.docs <= 1_000 &&
      top.bytes <= 1024 * 1024,
    `${top.docs} documents (${top.shardRows} realtime rows, ${top.rawEvents} raw events), ${kib(top.bytes)}, ` +
      `${top.truncated ? "truncated" : "not truncated"}, ${top.correct ? "correct" : "WRONG"}`,
  );
}
