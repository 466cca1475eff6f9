/**
 * The scale targets (README, "Cost and scale"): what every query of a full
 * <Dashboard> load reads, for every preset, at three site sizes.
 *
 * W0, W1 and W2 are 200,000, 1,000,000 and 10,000,000 events a month, shaped
 * like real sites (Zipf-popular paths with a long tail, ~30 % returning
 * visitors, ~5 events per session, ~1.3 sessions per visitor a day, track
 * events with properties, a daily cycle peaking at ~2.5× the mean hour).
 *
 * How rows are built. Ingesting 13 months of W2 through convex-test is out of
 * reach, so four distinct template days are generated, folded into rollup
 * deltas by the aggregation's own functions, flushed as live rows by the real
 * `flushDeltas`, and compacted by the real `compactBucket` (hour units for
 * template day 0, day units for all four); blocks are merged from them with
 * the real `mergeUnits`/`writeUnit` (level 2 from two days, level 3 from two
 * level-2 blocks, higher levels from two copies of the level below, so a
 * block's sketches hold four days' visitors and its counts the block's
 * length). For each query the rows the real range planner asks for are
 * copied into a fresh deployment (hour units by hour of day, day units by
 * day number mod 4, blocks by level), with the current hour as live rows
 * holding the events before NOW, as compaction's defaults leave it; then the query runs and
 * convex-test's metrics say what it read. `bench/workloads.ts` also checks,
 * at W0, that units built this way equal units built by real ingest.
 */
import { vi } from "vitest";
import { api } from "../src/component/_generated/api.js";
import type { Doc } from "../src/component/_generated/dataModel.js";
import { eventSessionKeys } from "../src/component/aggregation.js";
import {
  DAY_LEVEL,
  HOUR_LEVEL,
  MAX_LEVEL,
  SHARED,
  localDayNumber,
  readUnit,
  writeUnit,
  type UnitRef,
} from "../src/component/compactStore.js";
import { UNIT_DIMENSIONS, compactBucket } from "../src/component/compaction.js";
import { planExactRange } from "../src/component/lib/rangePlan.js";
import {
  KEYED,
  OVERVIEW,
  RollupDeltas,
} from "../src/component/lib/rollupDelta.js";
import {
  addEventContribution,
  addSessionContribution,
  clusterSessions,
  summarizeEvent,
} from "../src/component/lib/sessions.js";
import { hashVisitor } from "../src/component/lib/sketch.js";
import {
  GOAL_DIMENSION,
  definitionOf,
  goalBreakdownDimension,
  goalMatcher,
  goalRollupKey,
  goalsOfEvent,
  type GoalBreakdownDimension,
  type GoalSpec,
} from "../src/component/lib/goals.js";
import { listGoalDocs } from "../src/component/goals.js";
import { mergeUnits } from "../src/component/lib/topUnits.js";
import { planSources, type UnitSlot } from "../src/component/rangeSources.js";
import { flushDeltas } from "../src/component/rollups.js";
import {
  createTestSite,
  type TestInstance,
} from "../src/component/testing/setup.js";
import { prng, type Batch } from "../src/component/testing/traffic.js";
import {
  TOP_DIMENSIONS,
  TOP_QUERY_NAMES,
  type TopDimension,
} from "../src/component/validators.js";
import {
  DASHBOARD_CARDS,
  DIMENSIONS,
} from "../src/component/lib/dimensions.js";
import { computeRange, type RangePreset } from "../src/react/range.js";
import { GOAL_RATE_TABLES } from "../src/react/goals.js";
import { record } from "./probe.js";
import { kib, num, type Report } from "./report.js";
import { eventDocs, freshInstance } from "./seed.js";
import { DAY, HOUR } from "./shape.js";

// ---------------------------------------------------------------- workloads

export type Workload = {
  name: "W0" | "W1" | "W2";
  eventsPerMonth: number;
  paths: number;
  referrers: number;
  countries: number;
  campaigns: number;
};

export const WORKLOADS: Workload[] = [
  {
    name: "W0",
    eventsPerMonth: 200_000,
    paths: 200,
    referrers: 20,
    countries: 20,
    campaigns: 10,
  },
  {
    name: "W1",
    eventsPerMonth: 1_000_000,
    paths: 2_000,
    referrers: 200,
    countries: 60,
    campaigns: 40,
  },
  {
    name: "W2",
    eventsPerMonth: 10_000_000,
    paths: 20_000,
    referrers: 2_000,
    countries: 150,
    campaigns: 500,
  },
];

/** A sampler of ranks 0..n-1 with P(r) ∝ 1/(r+1): Zipf with s = 1. */
function zipf(n: number) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cdf[i] = sum += 1 / (i + 1);
  return (u: number) => {
    const x = u * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** Hour-of-day weights: a daily cycle whose peak hour is ~2.5× the mean. */
const HOUR_WEIGHTS = (() => {
  const w = Array.from(
    { length: 24 },
    (_, h) => 0.3 + 2.2 * Math.exp(-(((h - 14) / 4) ** 2)),
  );
  const mean = w.reduce((a, b) => a + b, 0) / 24;
  return w.map((x) => x / mean);
})();

const LANGUAGES = [
  "en-US",
  "de-DE",
  "fr-FR",
  "es-ES",
  "pt-BR",
  "ja-JP",
  "en-GB",
  "it-IT",
  "nl-NL",
  "pl-PL",
];

/**
 * One day of traffic for `w`: template `k` shares ~30 % of its visitors with
 * template k-1. Sessions are whole batches (the tracker's batching does not
 * change rollups).
 */
export function workloadDay(w: Workload, day: number, k: number): Batch[] {
  const r = prng(1_000 + k * 7 + w.eventsPerMonth);
  const eventsPerDay = Math.round(w.eventsPerMonth / 30);
  const sessions = Math.round(eventsPerDay / 5);
  const visitors = Math.max(1, Math.round(sessions / 1.3));
  const path = zipf(w.paths);
  const referrer = zipf(w.referrers);
  const country = zipf(w.countries);
  const campaign = zipf(w.campaigns);
  const hourOf = (u: number) => {
    let acc = 0;
    for (let h = 0; h < 24; h++)
      if ((acc += HOUR_WEIGHTS[h] / 24) >= u) return h;
    return 23;
  };
  const batches: Batch[] = [];
  let serial = 0;
  for (let s = 0; s < sessions; s++) {
    const v = r.int(0, visitors - 1) + Math.round(k * 0.7 * visitors);
    const visitorId = `${w.name}-v${v}`;
    const sessionId = `${w.name}-s${k}-${s}`;
    const context: Record<string, string> = {
      device: r.pick(["desktop", "mobile", "tablet"]),
      browser: r.pick([
        "Chrome",
        "Safari",
        "Firefox",
        "Edge",
        "Samsung Internet",
      ]),
      os: r.pick(["Windows", "iOS", "macOS", "Android", "Linux"]),
      country: `C${country(r.next())}`,
      language: r.pick(LANGUAGES),
      screen: r.pick(["mobile", "tablet", "laptop", "desktop"]),
    };
    if (r.chance(0.15))
      Object.assign(context, {
        utmSource: r.pick(["newsletter", "ads", "partner"]),
        utmMedium: r.pick(["email", "cpc", "social"]),
        utmCampaign: `campaign-${campaign(r.next())}`,
      });
    const ref = r.chance(0.5)
      ? `https://ref-${referrer(r.next())}.example.org/p`
      : undefined;
    const count = r.int(1, 9);
    let t = day + hourOf(r.next()) * HOUR + r.int(0, 55) * 60_000;
    const events: Batch["events"] = [];
    for (let e = 0; e < count; e++) {
      if (e > 0) t += r.int(5, 60) * 1000;
      const kind = r.next();
      const type =
        e === 0 || kind < 0.85
          ? "pageview"
          : kind < 0.95
            ? "track"
            : "identify";
      const props = Object.fromEntries(
        Array.from({ length: r.int(1, 3) }, (_, i) => [
          `p${i}`,
          r.pick(["a", "b", "c", "d"]),
        ]),
      );
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
            ? path(r.next()) === 0
              ? "/"
              : `/p/${path(r.next())}`
            : undefined,
        referrer: e === 0 ? ref : undefined,
        occurredAt: Math.min(t, day + DAY - 1),
        eventId: `${sessionId}-${serial++}`,
        ...(type === "track" ? { properties: props } : {}),
        ...(type === "identify" ? { userId: `u-${v}` } : {}),
      } as Batch["events"][number]);
    }
    batches.push({
      arrival: Math.min(t, day + DAY - 1) + 1_000,
      visitorId,
      sessionId,
      context,
      events,
    });
  }
  return batches;
}

/** The rollup deltas the aggregation computes for these whole sessions. */
export function deltasOfDocs(
  docs: ReturnType<typeof eventDocs>,
  timeZone: string,
  goals: GoalSpec[] = [],
): RollupDeltas {
  const deltas = new RollupDeltas();
  const bySession = new Map<string, typeof docs>();
  const converted = new Map<(typeof docs)[number], string[]>();
  for (const d of docs) {
    converted.set(d, goalsOfEvent(goals, d));
    addEventContribution(
      deltas,
      d,
      hashVisitor(d.visitorId),
      timeZone,
      converted.get(d),
    );
    const list = bySession.get(d.sessionId);
    if (list) list.push(d);
    else bySession.set(d.sessionId, [d]);
  }
  for (const list of bySession.values()) {
    const pieces = list.map((e) => ({
      summary: summarizeEvent(
        {
          ...e,
          keys: eventSessionKeys(e as unknown as Doc<"events">),
          goals: converted.get(e),
        },
        timeZone,
      ),
    }));
    for (const cluster of clusterSessions(pieces, 30 * 60_000))
      addSessionContribution(
        deltas,
        cluster.summary,
        hashVisitor(list[0].visitorId),
        1,
        timeZone,
      );
  }
  return deltas;
}

// ---------------------------------------------------------------- templates

const DAY0 = Date.UTC(2024, 0, 1);
const TEMPLATE_DAYS = 4;
type LiveRow = Omit<Doc<"rollupShards">, "_id" | "_creationTime">;
type TopsDoc = Omit<Doc<"rollupTops">, "_id" | "_creationTime">;
type BandDoc = Omit<Doc<"rollupSketches">, "_id" | "_creationTime">;
/** A stored unit: its counts row and sketch bands, detached from any slot. */
type UnitRows = { tops: TopsDoc; bands: BandDoc[] };

export type Templates = {
  /** `${level}|${slot}|${dimension}`: slot = hour of day (level 0), template day (1), 0 (blocks). */
  units: Map<string, UnitRows>;
  /** Live rows of template day 0 by hour of day. */
  liveHours: Map<number, LiveRow[]>;
  /** Live rows of the hour holding NOW, with only the events before NOW. */
  currentHour: LiveRow[];
  eventsPerDay: number;
  /** The goals defined on the template site (none unless asked for), and their ids. */
  goals: WorkloadGoal[];
  goalIds: string[];
};

/** A goal as `createGoal` takes it (without the site). */
export type WorkloadGoal = {
  name: string;
  eventName?: string;
  propertyKey?: string;
  propertyValue?: string;
  pathPattern?: string;
};

/**
 * Twenty goals over a workload's traffic (README, "Goals"), the most a site
 * may define, chosen to convert often: every custom event name, "signup" by
 * each value of "p0", the home page, every page, and path patterns that
 * split the Zipf-ranked pages (`/p/1*` holds /p/1, /p/10–19, /p/100–199, …).
 */
export function workloadGoals(): WorkloadGoal[] {
  const goals: WorkloadGoal[] = [
    ...["signup", "click", "download", "search"].map((name) => ({
      name,
      eventName: name,
    })),
    ...["a", "b", "c", "d"].map((value) => ({
      name: `signup p0=${value}`,
      eventName: "signup",
      propertyKey: "p0",
      propertyValue: value,
    })),
    { name: "home", pathPattern: "/" },
    { name: "any page", pathPattern: "/p/*" },
  ];
  for (let digit = 1; goals.length < 20; digit++)
    goals.push({ name: `pages ${digit}*`, pathPattern: `/p/${digit}*` });
  return goals;
}

/**
 * Defines `goals` on a fresh site as settled definitions (inserted as
 * `createGoal` stores them, with no backfill running: the templates are the
 * steady state). Ids come from convex-test's per-instance counter, so the
 * same inserts right after `createTestSite` in two fresh instances give the
 * same ids: the template rows' goal keys then name the measuring site's
 * goals.
 */
async function defineGoals(
  t: TestInstance,
  siteId: string,
  goals: WorkloadGoal[],
): Promise<GoalSpec[]> {
  const docs = await t.run(async (ctx) => {
    for (const goal of goals)
      await ctx.db.insert("goals", {
        siteId,
        kind: goal.pathPattern === undefined ? "event" : "path",
        ...goal,
        createdAt: NOW,
        updatedAt: NOW,
      });
    return await listGoalDocs(ctx as never, siteId);
  });
  return docs.map((doc) => ({
    id: goalRollupKey(doc),
    matches: goalMatcher(definitionOf(doc)),
  }));
}

const blockSlot = (level: number) => DAY0 - (level + 10) * 1000 * DAY;

async function flushGroup(
  t: TestInstance,
  siteId: string,
  deltas: RollupDeltas,
  pick: (gk: string) => boolean,
) {
  for (const [gk, keyed] of deltas.groups) {
    if (!pick(gk)) continue;
    const one = new RollupDeltas();
    one.groups.set(gk, keyed);
    await t.run((ctx) =>
      flushDeltas(ctx as never, siteId, 0, one).then(() => null),
    );
  }
}

async function compactAllOf(
  t: TestInstance,
  siteId: string,
  interval: "hour" | "day",
  bucketStart: number,
) {
  for (;;) {
    const site = (await t.run((ctx) =>
      ctx.db.get(siteId as never),
    )) as Doc<"sites">;
    const step = await t.run((ctx) =>
      compactBucket(ctx as never, site, interval, bucketStart),
    );
    if (step.all) return;
  }
}

async function liveRowsOfHour(
  t: TestInstance,
  siteId: string,
  hour: number,
): Promise<LiveRow[]> {
  const rows: LiveRow[] = [];
  for (const group of [OVERVIEW, KEYED]) {
    const found = await t.run((ctx) =>
      ctx.db
        .query("rollupShards")
        .withIndex(
          "by_siteId_and_interval_and_dimension_and_bucketStart",
          (q) =>
            q
              .eq("siteId", siteId)
              .eq("interval", "hour")
              .eq("dimension", group)
              .eq("bucketStart", hour),
        )
        .collect(),
    );
    rows.push(...found.map(({ _id, _creationTime, ...rest }) => rest));
  }
  return rows;
}

async function readUnitRows(
  t: TestInstance,
  ref: UnitRef,
): Promise<UnitRows | undefined> {
  return await t.run(async (ctx) => {
    const tops = await ctx.db
      .query("rollupTops")
      .withIndex("by_siteId_and_dimension_and_level_and_bucketStart", (q) =>
        q
          .eq("siteId", ref.siteId)
          .eq("dimension", ref.dimension)
          .eq("level", ref.level)
          .eq("bucketStart", ref.bucketStart),
      )
      .unique();
    if (!tops) return undefined;
    const bands = await ctx.db
      .query("rollupSketches")
      .withIndex(
        "by_siteId_and_dimension_and_level_and_bucketStart_and_band",
        (q) =>
          q
            .eq("siteId", ref.siteId)
            .eq("dimension", ref.dimension)
            .eq("level", ref.level)
            .eq("bucketStart", ref.bucketStart),
      )
      .collect();
    const { _id, _creationTime, ...rest } = tops;
    return {
      tops: rest,
      bands: bands.map(({ _id: _i, _creationTime: _c, ...b }) => b),
    };
  });
}

async function mergeInto(
  t: TestInstance,
  siteId: string,
  dimension: string,
  a: UnitRef,
  b: UnitRef,
  target: UnitRef,
) {
  await t.run(async (ctx) => {
    const left = await readUnit(ctx as never, a);
    const right = await readUnit(ctx as never, b);
    const existing = await readUnit(ctx as never, target);
    await writeUnit(
      ctx as never,
      target,
      mergeUnits(left.unit, right.unit),
      existing,
    );
    return null;
  });
}

/** Builds a workload's template units (see the file comment). */
export async function buildTemplates(
  w: Workload,
  log: (l: string) => void,
  goals: WorkloadGoal[] = [],
): Promise<Templates> {
  const t = freshInstance();
  vi.setSystemTime(DAY0 + 30 * DAY);
  const siteId = await createTestSite(t);
  const specs = await defineGoals(t, siteId, goals);
  const site = (await t.run((ctx) =>
    ctx.db.get(siteId as never),
  )) as Doc<"sites">;
  const liveHours = new Map<number, LiveRow[]>();
  const currentHour: LiveRow[] = [];
  for (let k = 0; k < TEMPLATE_DAYS; k++) {
    const day = DAY0 + k * DAY;
    const docs = workloadDay(w, day, k).flatMap((b) => eventDocs(site, b));
    const deltas = deltasOfDocs(docs, "UTC", specs);
    await flushGroup(t, siteId, deltas, () => true);
    if (k === 0) {
      // The hour holding NOW has only the events before it.
      const nowInDay = day + (NOW % DAY);
      const sofar = docs.filter(
        (d) =>
          d.occurredAt >= Math.floor(nowInDay / HOUR) * HOUR &&
          d.occurredAt < nowInDay,
      );
      const partialSite = await createTestSite(t, {
        slug: "partial-hour",
        writeKeyHash: "b".repeat(64),
      });
      await flushGroup(
        t,
        partialSite,
        deltasOfDocs(sofar, "UTC", specs),
        (gk) => gk.startsWith("hour|"),
      );
      currentHour.push(
        ...(await liveRowsOfHour(
          t,
          partialSite,
          Math.floor(nowInDay / HOUR) * HOUR,
        )),
      );
      for (let h = 0; h < 24; h++)
        liveHours.set(h, await liveRowsOfHour(t, siteId, day + h * HOUR));
    }
    // Hours fold into their hour units and into the day's unit (a UTC day is its hours).
    for (let h = 0; h < 24; h++)
      await compactAllOf(t, siteId, "hour", day + h * HOUR);
    log(`  ${w.name} template day ${k}: ${num(docs.length)} events`);
  }
  const ref = (
    dimension: string,
    level: number,
    bucketStart: number,
  ): UnitRef => ({ siteId, dimension, level, bucketStart });
  for (const dimension of UNIT_DIMENSIONS) {
    await mergeInto(
      t,
      siteId,
      dimension,
      ref(dimension, DAY_LEVEL, DAY0),
      ref(dimension, DAY_LEVEL, DAY0 + DAY),
      ref(dimension, 2, blockSlot(2)),
    );
    await mergeInto(
      t,
      siteId,
      dimension,
      ref(dimension, DAY_LEVEL, DAY0 + 2 * DAY),
      ref(dimension, DAY_LEVEL, DAY0 + 3 * DAY),
      ref(dimension, 2, blockSlot(2) + DAY),
    );
    await mergeInto(
      t,
      siteId,
      dimension,
      ref(dimension, 2, blockSlot(2)),
      ref(dimension, 2, blockSlot(2) + DAY),
      ref(dimension, 3, blockSlot(3)),
    );
    for (let level = 4; level <= MAX_LEVEL; level++) {
      const below = ref(dimension, level - 1, blockSlot(level - 1));
      await mergeInto(
        t,
        siteId,
        dimension,
        below,
        below,
        ref(dimension, level, blockSlot(level)),
      );
    }
  }
  const units = new Map<string, UnitRows>();
  for (const dimension of [...UNIT_DIMENSIONS, SHARED]) {
    const keep = async (level: number, slot: number, bucketStart: number) => {
      const rows = await readUnitRows(t, ref(dimension, level, bucketStart));
      if (rows) units.set(`${level}|${slot}|${dimension}`, rows);
    };
    for (let h = 0; h < 24; h++) await keep(HOUR_LEVEL, h, DAY0 + h * HOUR);
    for (let k = 0; k < TEMPLATE_DAYS; k++)
      await keep(DAY_LEVEL, k, DAY0 + k * DAY);
    for (let level = 2; level <= MAX_LEVEL; level++)
      await keep(level, 0, blockSlot(level));
  }
  return {
    units,
    liveHours,
    currentHour,
    eventsPerDay: Math.round(w.eventsPerMonth / 30),
    goals,
    goalIds: specs.map((g) => g.id),
  };
}

// ---------------------------------------------------------------- measuring

/** "Now" for every preset: a weekday afternoon, 13 months after the first day. */
export const NOW = Date.UTC(2025, 2, 12, 14, 20);
const PRESETS: { preset: RangePreset | "400d"; label: string }[] = [
  { preset: "today", label: "Today" },
  { preset: "24h", label: "Last 24 hours" },
  { preset: "7d", label: "Last 7 days" },
  { preset: "30d", label: "Last 30 days" },
  { preset: "90d", label: "Last 90 days" },
  { preset: "12mo", label: "Last 12 months" },
  { preset: "400d", label: "Custom 400 days" },
];

/** The range <Dashboard> asks for (src/react/range.ts); the custom one is 400 whole days up to today. */
export function presetRange(preset: (typeof PRESETS)[number]["preset"]) {
  if (preset !== "400d") return computeRange(preset, NOW, { timeZone: "UTC" });
  const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const custom = computeRange("custom", NOW, {
    timeZone: "UTC",
    custom: { fromDate: day(NOW - 399 * DAY), toDate: day(NOW) },
  });
  return { ...custom, to: Math.ceil(NOW / HOUR) * HOUR };
}

/**
 * Compaction's state at NOW (14:20) with its defaults, a run every 15
 * minutes and a 10-minute grace: the 14:15 run compacted every hour that
 * ended by 14:05, so only the current hour is live; days before today are
 * compacted, and blocks exist up to two days ago.
 */
export function watermarkAt(now: number) {
  const hoursBefore = Math.floor(now / HOUR) * HOUR;
  const today = Math.floor(now / DAY) * DAY;
  return {
    hoursBefore,
    daysBefore: today,
    blocksBeforeDay: localDayNumber(today, "UTC") - 2,
  };
}

type Measured = {
  query: string;
  docs: number;
  bytes: number;
  indexRanges: number;
  error?: string;
  byTable: Record<string, number>;
  /** Top lists: rows flagged approximate (T6: none at W1). */
  approximateRows?: number;
};

function templateKey(slot: UnitSlot, dimension: string): string {
  if (slot.level === HOUR_LEVEL)
    return `0|${new Date(slot.bucketStart).getUTCHours()}|${dimension}`;
  if (slot.level === DAY_LEVEL)
    return `1|${((localDayNumber(slot.bucketStart, "UTC") % TEMPLATE_DAYS) + TEMPLATE_DAYS) % TEMPLATE_DAYS}|${dimension}`;
  return `${slot.level}|0|${dimension}`;
}

/** Inserts the unit rows and live rows `ranges` read for `dimension`, in bounded transactions. */
export async function placeRows(
  t: TestInstance,
  siteId: string,
  tpl: Templates,
  dimension: string,
  ranges: { from: number; to: number; perBucket?: "hour" | "day" }[],
  /** Rows already placed in this deployment (shared unit rows, live rows), to place each once. */
  placed = new Set<string>(),
) {
  const mark = watermarkAt(NOW);
  const slots = new Map<string, UnitSlot>();
  const live = new Set<number>();
  for (const range of ranges) {
    const plans = range.perBucket
      ? bucketPlans(range.from, range.to, range.perBucket)
      : [planExactRange(range.from, range.to, "UTC")];
    for (const plan of plans) {
      const sources = planSources(plan, mark, "UTC", !range.perBucket);
      for (const u of sources.units)
        slots.set(`${u.level}|${u.bucketStart}`, u);
      for (const h of sources.liveHours) if (h >= mark.hoursBefore) live.add(h);
    }
  }
  const tops: TopsDoc[] = [];
  const bands: BandDoc[] = [];
  for (const slot of slots.values()) {
    // A small unit lives in its bucket's shared row: place that row whole.
    const own = tpl.units.get(templateKey(slot, dimension));
    const shared = tpl.units.get(templateKey(slot, SHARED));
    const rows =
      own ??
      (shared?.tops.keys.some((k) => k.startsWith(`${dimension}\t`))
        ? shared
        : undefined);
    if (!rows) continue;
    const placedKey = `${slot.level}|${slot.bucketStart}|${rows.tops.dimension}`;
    if (placed.has(placedKey)) continue;
    placed.add(placedKey);
    tops.push({
      ...rows.tops,
      siteId,
      bucketStart: slot.bucketStart,
      level: slot.level,
    });
    for (const b of rows.bands)
      bands.push({
        ...b,
        siteId,
        bucketStart: slot.bucketStart,
        level: slot.level,
      });
  }
  const liveRows: LiveRow[] = [];
  const group = dimension === OVERVIEW ? OVERVIEW : KEYED;
  for (const h of live) {
    if (placed.has(`live|${group}|${h}`)) continue;
    placed.add(`live|${group}|${h}`);
    const rows =
      h === Math.floor(NOW / HOUR) * HOUR
        ? tpl.currentHour
        : (tpl.liveHours.get(new Date(h).getUTCHours()) ?? []);
    for (const row of rows)
      if (row.dimension === group)
        liveRows.push({ ...row, siteId, bucketStart: h });
  }
  await insertBounded(t, "rollupTops", tops);
  await insertBounded(t, "rollupSketches", bands);
  await insertBounded(t, "rollupShards", liveRows);
}

function bucketPlans(from: number, to: number, interval: "hour" | "day") {
  const step = interval === "hour" ? HOUR : DAY;
  const plans = [];
  for (let s = from; s < to; s += step)
    plans.push(planExactRange(s, Math.min(s + step, to), "UTC"));
  return plans;
}

async function insertBounded(
  t: TestInstance,
  table: "rollupTops" | "rollupSketches" | "rollupShards",
  docs: { bytes: number }[],
) {
  for (let i = 0; i < docs.length;) {
    let bytes = 0;
    let j = i;
    while (
      j < docs.length &&
      (j === i || bytes + docs[j].bytes < 6 * 1024 * 1024) &&
      j - i < 4_000
    )
      bytes += docs[j++].bytes + 300;
    const slice = docs.slice(i, j);
    await t.run(async (ctx) => {
      for (const d of slice) await ctx.db.insert(table, d as never);
    });
    i = j;
  }
}

async function measured(
  query: string,
  run: () => Promise<unknown>,
): Promise<Measured> {
  let error: string | undefined;
  let approximateRows: number | undefined;
  const { rec } = await record(async () => {
    try {
      const result = (await run()) as
        | { approximate?: boolean }[]
        | { rows?: { approximate?: boolean }[] }
        | { goals?: { approximate?: boolean }[] };
      // Top lists are arrays; a goal breakdown has `rows`, conversions `goals`.
      const rows = Array.isArray(result)
        ? result
        : typeof result !== "object" || result === null
          ? undefined
          : "rows" in result
            ? result.rows
            : "goals" in result
              ? result.goals
              : undefined;
      if (rows) approximateRows = rows.filter((r) => r.approximate).length;
    } catch (e) {
      error = (e instanceof Error ? e.message : String(e))
        .split("\n")[0]
        .slice(0, 120);
    }
  });
  const byTable: Record<string, number> = {};
  for (const [table, c] of rec.byTable)
    byTable[table.split(":").pop()!] = c.bytesRead;
  return {
    query,
    docs: rec.peak.documentsRead,
    bytes: rec.peak.bytesRead,
    indexRanges: rec.peak.indexRanges,
    error,
    byTable,
    approximateRows,
  };
}

async function siteAtNow(
  tpl: Templates,
): Promise<{ t: TestInstance; siteId: string }> {
  vi.setSystemTime(NOW);
  const t = freshInstance();
  const siteId = await createTestSite(t);
  const ids = (await defineGoals(t, siteId, tpl.goals)).map((g) => g.id);
  if (ids.join() !== tpl.goalIds.join())
    throw new Error(
      "the measuring site's goal ids differ from the template's: goal rows would name no goal",
    );
  const mark = watermarkAt(NOW);
  await t.run((ctx) => ctx.db.insert("rollupWatermarks", { siteId, ...mark }));
  return { t, siteId };
}

/** Every query of a full load for one preset (getOverview with and without comparison). */
export async function measurePreset(
  tpl: Templates,
  preset: (typeof PRESETS)[number]["preset"],
): Promise<Measured[]> {
  const range = presetRange(preset);
  const { from, to, interval } = range;
  const previous = { from: from - (to - from), to: from };
  const out: Measured[] = [];
  {
    const { t, siteId } = await siteAtNow(tpl);
    await placeRows(t, siteId, tpl, OVERVIEW, [
      range,
      previous,
      { from, to, perBucket: interval },
    ]);
    out.push(
      await measured("getOverview", () =>
        t.query(api.analytics.getOverview, { siteId, from, to }),
      ),
    );
    out.push(
      await measured("getOverview (compare)", () =>
        t.query(api.analytics.getOverview, { siteId, from, to, compare: true }),
      ),
    );
    out.push(
      await measured(`getTimeseries ${interval}`, () =>
        t.query(api.analytics.getTimeseries, { siteId, from, to, interval }),
      ),
    );
  }
  for (const dimension of TOP_DIMENSIONS) {
    const { t, siteId } = await siteAtNow(tpl);
    await placeRows(t, siteId, tpl, dimension, [range]);
    const name = TOP_QUERY_NAMES[dimension as TopDimension];
    out.push(
      await measured(name, () =>
        t.query(api.analytics[name], { siteId, from, to, limit: 10 }),
      ),
    );
  }
  return out;
}

/**
 * A property breakdown and its key list for one preset: the values of the
 * workload's "signup" event by "p0", and the keys "signup" carries.
 */
export async function measureBreakdown(
  tpl: Templates,
  preset: (typeof PRESETS)[number]["preset"],
): Promise<Measured[]> {
  const { from, to } = presetRange(preset);
  const out: Measured[] = [];
  {
    const { t, siteId } = await siteAtNow(tpl);
    await placeRows(t, siteId, tpl, "property", [{ from, to }]);
    out.push(
      await measured("getEventPropertyBreakdown", () =>
        t.query(api.analytics.getEventPropertyBreakdown, {
          siteId,
          from,
          to,
          eventName: "signup",
          propertyKey: "p0",
          limit: 10,
        }),
      ),
    );
  }
  {
    const { t, siteId } = await siteAtNow(tpl);
    await placeRows(t, siteId, tpl, "propertyKey", [{ from, to }]);
    out.push(
      await measured("getEventPropertyKeys", () =>
        t.query(api.analytics.getEventPropertyKeys, {
          siteId,
          from,
          to,
          eventName: "signup",
        }),
      ),
    );
  }
  return out;
}

/**
 * What the Goals panel adds to a load (README, "Goals"): the range's and the
 * previous period's conversions, and, with the goal that converts most
 * picked ("any page"), its breakdown for every table that shows a rate.
 */
export async function measureGoals(
  tpl: Templates,
  preset: (typeof PRESETS)[number]["preset"],
): Promise<Measured[]> {
  const range = presetRange(preset);
  const { from, to } = range;
  const previous = { from: from - (to - from), to: from };
  const out: Measured[] = [];
  for (const [label, r] of [
    ["getGoalConversions", range],
    ["getGoalConversions (previous)", previous],
  ] as const) {
    const { t, siteId } = await siteAtNow(tpl);
    const placed = new Set<string>();
    await placeRows(t, siteId, tpl, OVERVIEW, [r], placed);
    await placeRows(t, siteId, tpl, GOAL_DIMENSION, [r], placed);
    out.push(
      await measured(label, () =>
        t.query(api.analytics.getGoalConversions, {
          siteId,
          from: r.from,
          to: r.to,
        }),
      ),
    );
  }
  const goalId = tpl.goalIds[tpl.goals.findIndex((g) => g.name === "any page")];
  for (const dimension of Object.values(GOAL_RATE_TABLES)) {
    const { t, siteId } = await siteAtNow(tpl);
    const placed = new Set<string>();
    const d = dimension as GoalBreakdownDimension;
    await placeRows(t, siteId, tpl, goalBreakdownDimension(d), [range], placed);
    await placeRows(t, siteId, tpl, d, [range], placed);
    // The dashboard asks for the rates of the rows its table shows.
    const shown = await t.query(
      api.analytics[TOP_QUERY_NAMES[d as TopDimension]],
      { siteId, from, to, limit: 10 },
    );
    out.push(
      await measured(`getGoalBreakdown ${d}`, () =>
        t.query(api.analytics.getGoalBreakdown, {
          siteId,
          from,
          to,
          goalId,
          dimension: d,
          keys: shown.map((row) => row.key),
        }),
      ),
    );
  }
  return out;
}

/** Presets the breakdown is measured for. */
const BREAKDOWN_PRESETS = ["30d", "12mo", "400d"] as const;

// ---------------------------------------------------------------- the section

/** The top lists the default <Dashboard> subscribes to: each card's first tab. */
export const DEFAULT_TAB_QUERIES = new Set<string>(
  DASHBOARD_CARDS.map(
    (card) =>
      DIMENSIONS[TOP_DIMENSIONS.find((d) => DIMENSIONS[d].card === card)!]
        .query,
  ),
);

/** Bytes of a full load: getOverview with comparison, the timeseries, and the default tabs' top lists. */
function fullLoadBytes(ms: Measured[]): number {
  return ms
    .filter(
      (m) =>
        m.query === "getOverview (compare)" ||
        m.query.startsWith("getTimeseries") ||
        DEFAULT_TAB_QUERIES.has(m.query),
    )
    .reduce((sum, m) => sum + m.bytes, 0);
}

const HALF_LIMITS = {
  bytes: 8 * 1024 * 1024,
  docs: 16_000,
  indexRanges: 2_048,
};

export async function workloadSection(
  report: Report,
  mode: "quick" | "full",
  log: (l: string) => void,
  only?: string[],
): Promise<Map<string, Map<string, Measured[]>>> {
  report.heading(
    "Scale targets: every view of a full dashboard load at W0, W1, W2",
  );
  report.note(
    "Reads of each query of a <Dashboard> load (getOverview with and without the previous-period comparison, the timeseries, and every top list at 10 rows; " +
      '"full load" sums what the default dashboard subscribes to: getOverview with comparison, the timeseries and one top list per card, its open tab), ' +
      `at ${new Date(NOW).toISOString().slice(0, 16)} UTC, for every preset. Rows built as bench/workloads.ts describes (template days through the real aggregation and compaction, copied to the slots the real range planner reads; the current hour live, holding the events before 14:20). ` +
      "T1: every query at W2 reads ≤ 8 MiB, ≤ 16,000 documents, ≤ 2,048 index ranges. T2: at W1 each 30-day top list ≤ 1 MiB and the whole 30-day load ≤ 6 MiB. T3: W1 → W2 bytes of a 30-day top list grow ≤ 3×.",
  );
  await templateEquivalence(report, mode === "full" ? 2 : 1);
  log("  template equivalence done");
  const workloads = (
    mode === "full" ? WORKLOADS : WORKLOADS.slice(0, 1)
  ).filter((w) => !only || only.includes(w.name));
  const presets =
    mode === "full"
      ? PRESETS
      : PRESETS.filter((p) => ["30d", "90d", "12mo"].includes(p.preset));
  const byWorkload = new Map<string, Map<string, Measured[]>>();
  const breakdowns = new Map<string, Measured[]>();
  for (const w of workloads) {
    const tpl = await buildTemplates(w, log);
    const perPreset = new Map<string, Measured[]>();
    const rows: (string | number)[][] = [];
    for (const p of presets) {
      const ms = await measurePreset(tpl, p.preset);
      perPreset.set(p.preset, ms);
      const worst = ms.reduce((a, b) => (b.bytes > a.bytes ? b : a));
      const load = fullLoadBytes(ms);
      rows.push([
        p.label,
        kib(worst.bytes),
        worst.query,
        num(Math.max(...ms.map((m) => m.docs))),
        num(Math.max(...ms.map((m) => m.indexRanges))),
        kib(load),
        ms.some((m) => m.error) ? ms.find((m) => m.error)!.error! : "—",
      ]);
      log(
        `  ${w.name} ${p.label}: largest ${kib(worst.bytes)} (${worst.query})`,
      );
    }
    byWorkload.set(w.name, perPreset);
    const breakdownRows: (string | number)[][] = [];
    const breakdownMs: Measured[] = [];
    for (const preset of BREAKDOWN_PRESETS) {
      for (const m of await measureBreakdown(tpl, preset)) {
        breakdownMs.push(m);
        breakdownRows.push([
          PRESETS.find((p) => p.preset === preset)!.label,
          m.query,
          num(m.docs),
          kib(m.bytes),
          num(m.indexRanges),
          m.approximateRows ?? 0,
          m.error ?? "—",
        ]);
      }
    }
    breakdowns.set(w.name, breakdownMs);
    log(`  ${w.name} breakdowns measured`);
    report.note(
      `**${w.name}** (${num(w.eventsPerMonth)} events/month, ${num(w.paths)} paths, ${num(w.referrers)} referrer hosts, ${num(w.countries)} countries, ${num(w.campaigns)} campaigns):`,
    );
    report.table(
      [
        "preset",
        "largest query bytes",
        "which",
        "most documents",
        "most index ranges",
        "full load bytes (with comparison)",
        "errors",
      ],
      rows,
    );
    report.note(
      `${w.name}: property breakdown ("signup" by "p0", 10 rows) and key list ("signup"), from the property rollups:`,
    );
    report.table(
      [
        "preset",
        "query",
        "documents",
        "bytes",
        "index ranges",
        "approximate rows",
        "errors",
      ],
      breakdownRows,
    );
    const detail = perPreset.get("30d");
    if (detail) {
      report.note(`${w.name}, last 30 days, per query:`);
      const part = (m: Measured, table: string) => kib(m.byTable[table] ?? 0);
      report.table(
        [
          "query",
          "documents",
          "bytes",
          "index ranges",
          "of which counts rows",
          "sketch bands",
          "live rows",
        ],
        detail.map((m) => [
          m.query,
          num(m.docs),
          kib(m.bytes),
          num(m.indexRanges),
          part(m, "rollupTops"),
          part(m, "rollupSketches"),
          part(m, "rollupShards"),
        ]),
      );
    }
  }
  const w0 = byWorkload.get("W0");
  if (w0) {
    const top30 = Math.max(
      ...(w0.get("30d") ?? [])
        .filter((m) => m.query.startsWith("getTop"))
        .map((m) => m.bytes),
    );
    report.check(
      "W0: each 30-day top list reads ≤ 1 MiB",
      top30 <= 1024 * 1024,
      `largest ${kib(top30)}`,
    );
    const long = ["90d", "12mo"].flatMap((p) => w0.get(p) ?? []);
    const bad = long.filter(
      (m) =>
        m.error ||
        m.bytes > HALF_LIMITS.bytes ||
        m.docs > HALF_LIMITS.docs ||
        m.indexRanges > HALF_LIMITS.indexRanges,
    );
    const worst = long.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    report.check(
      "W0: every 90-day and 12-month query fits with half of Convex's limits to spare",
      long.length > 0 && bad.length === 0,
      `largest ${kib(worst.bytes)} (${worst.query}); ${bad.length} over`,
    );
  }
  const w2 = byWorkload.get("W2");
  if (w2) {
    const all = [...w2.values()].flat();
    const over = all.filter(
      (m) =>
        m.bytes > HALF_LIMITS.bytes ||
        m.docs > HALF_LIMITS.docs ||
        m.indexRanges > HALF_LIMITS.indexRanges ||
        m.error,
    );
    const worst = all.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    report.check(
      "T1: at W2 every query of every preset's full load reads ≤ 8 MiB, ≤ 16,000 documents, ≤ 2,048 index ranges",
      over.length === 0,
      `largest ${kib(worst.bytes)} (${worst.query}); ${over.length} over`,
    );
  }
  const w2Breakdowns = breakdowns.get("W2");
  if (w2Breakdowns) {
    const over = w2Breakdowns.filter(
      (m) =>
        m.bytes > HALF_LIMITS.bytes ||
        m.docs > HALF_LIMITS.docs ||
        m.indexRanges > HALF_LIMITS.indexRanges ||
        m.error,
    );
    const worst = w2Breakdowns.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    report.check(
      "T1 (breakdown): at W2 a 12-month (and 400-day) property breakdown and key list read ≤ 8 MiB, ≤ 16,000 documents, ≤ 2,048 index ranges",
      over.length === 0,
      `largest ${kib(worst.bytes)}, ${num(worst.docs)} documents, ${num(worst.indexRanges)} index ranges (${worst.query}); ${over.length} over`,
    );
  }
  for (const [name, perPreset] of byWorkload) {
    const flagged = [...perPreset].flatMap(([preset, ms]) =>
      ms
        .filter((m) => (m.approximateRows ?? 0) > 0)
        .map((m) => `${preset} ${m.query}`),
    );
    report.note(
      `${name}: top lists (10 rows) that could not prove themselves exact: ${flagged.length === 0 ? "none" : flagged.join(", ")}.`,
    );
    if (name === "W1")
      report.check(
        "T6: at W1 every top list of every preset is proven exact (no approximate rows)",
        flagged.length === 0,
        flagged.length === 0 ? "none flagged" : flagged.join(", "),
      );
  }
  const w1 = byWorkload.get("W1")?.get("30d");
  if (w1) {
    const tops = w1.filter((m) => m.query.startsWith("getTop"));
    const largest = Math.max(...tops.map((m) => m.bytes));
    const load = fullLoadBytes(w1);
    report.check(
      "T2: at W1 each 30-day top list ≤ 1 MiB",
      largest <= 1024 * 1024,
      `largest ${kib(largest)}`,
    );
    report.check(
      "T2: at W1 the whole 30-day load ≤ 6 MiB",
      load <= 6 * 1024 * 1024,
      `${kib(load)}`,
    );
    const w2top = byWorkload
      .get("W2")
      ?.get("30d")
      ?.filter((m) => m.query.startsWith("getTop"));
    if (w2top) {
      const ratio = Math.max(...w2top.map((m) => m.bytes)) / largest;
      report.check(
        "T3: W1 → W2, bytes of a 30-day top list grow ≤ 3×",
        ratio <= 3,
        `${num(ratio)}× (${kib(largest)} → ${kib(Math.max(...w2top.map((m) => m.bytes)))})`,
      );
    }
  }
  return byWorkload;
}

// ---------------------------------------------------------------- goals

const sumBytes = (ms: Measured[]) => ms.reduce((sum, m) => sum + m.bytes, 0);

const overHalfLimits = (m: Measured) =>
  !!m.error ||
  m.bytes > HALF_LIMITS.bytes ||
  m.docs > HALF_LIMITS.docs ||
  m.indexRanges > HALF_LIMITS.indexRanges;

/**
 * The scale targets with the most goals a site may define (README, "Goals"):
 * templates built again with twenty goals, so goal entries share the live
 * keyed rows the top lists read and the goal units exist; every query of a
 * full load plus the Goals panel (both periods) and, with a goal picked, its
 * breakdown for each rate table. `baseline` holds the same loads measured
 * without goals, for the added bytes.
 */
export async function goalLoadSection(
  report: Report,
  mode: "quick" | "full",
  log: (l: string) => void,
  baseline: Map<string, Map<string, Measured[]>>,
  only?: string[],
): Promise<void> {
  const names = mode === "full" ? ["W1", "W2"] : ["W0"];
  const workloads = WORKLOADS.filter(
    (w) => names.includes(w.name) && (!only || only.includes(w.name)),
  );
  if (workloads.length === 0) return;
  report.heading("Scale targets with 20 goals defined");
  report.note(
    'Twenty goals over the workload\'s traffic (bench/workloads.ts, `workloadGoals`: every custom event, "signup" by each p0 value, the home page, every page, nine path patterns). ' +
      '"With the Goals panel" = the full load above (its top lists now also read the goal entries in the live rows) plus getGoalConversions for the range and the previous period; "with a goal picked" adds, for the "any page" goal, getGoalBreakdown for the sources, campaigns and entry pages tables (the rates of the 10 rows each table shows, as <Dashboard> asks).',
  );
  const presets =
    mode === "full" ? PRESETS : PRESETS.filter((p) => p.preset === "30d");
  for (const w of workloads) {
    const tpl = await buildTemplates(w, log, workloadGoals());
    const rows: (string | number)[][] = [];
    const all: Measured[] = [];
    const goalQueriesOf = new Map<string, Measured[]>();
    let last30: { ms: Measured[]; load: number } | undefined;
    for (const p of presets) {
      const ms = await measurePreset(tpl, p.preset);
      const gs = await measureGoals(tpl, p.preset);
      goalQueriesOf.set(p.preset, gs);
      all.push(...ms, ...gs);
      const worst = [...ms, ...gs].reduce((a, b) =>
        b.bytes > a.bytes ? b : a,
      );
      const before = baseline.get(w.name)?.get(p.preset);
      const panel = sumBytes(
        gs.filter((m) => m.query.startsWith("getGoalConversions")),
      );
      const load = fullLoadBytes(ms) + panel;
      const picked = load + sumBytes(gs) - panel;
      rows.push([
        p.label,
        kib(worst.bytes),
        worst.query,
        num(Math.max(...[...ms, ...gs].map((m) => m.docs))),
        num(Math.max(...[...ms, ...gs].map((m) => m.indexRanges))),
        before ? kib(fullLoadBytes(before)) : "—",
        kib(load),
        kib(picked),
        [...ms, ...gs].find((m) => m.error)?.error ?? "—",
      ]);
      if (p.preset === "30d") last30 = { ms, load };
      log(
        `  ${w.name} with goals, ${p.label}: largest ${kib(worst.bytes)} (${worst.query})`,
      );
    }
    report.note(`**${w.name} with 20 goals**:`);
    report.table(
      [
        "preset",
        "largest query bytes",
        "which",
        "most documents",
        "most index ranges",
        "full load, no goals defined",
        "full load with the Goals panel",
        "with a goal picked",
        "errors",
      ],
      rows,
    );
    const goalQueries30 = goalQueriesOf.get("30d");
    if (goalQueries30) {
      report.note(`${w.name} with 20 goals, last 30 days, the goal queries:`);
      report.table(
        ["query", "documents", "bytes", "index ranges", "approximate rows"],
        goalQueries30.map((m) => [
          m.query,
          num(m.docs),
          kib(m.bytes),
          num(m.indexRanges),
          m.approximateRows ?? 0,
        ]),
      );
    }
    if (w.name === "W1" && last30) {
      const tops = last30.ms.filter((m) => m.query.startsWith("getTop"));
      const largest = Math.max(...tops.map((m) => m.bytes));
      report.check(
        "T2 with 20 goals: at W1 each 30-day top list ≤ 1 MiB, and the 30-day load with the Goals panel ≤ 6 MiB",
        largest <= 1024 * 1024 && last30.load <= 6 * 1024 * 1024,
        `largest top list ${kib(largest)}; load ${kib(last30.load)}`,
      );
    }
    const over = all.filter(overHalfLimits);
    const worst = all.reduce((a, b) => (b.bytes > a.bytes ? b : a));
    report.check(
      `T1 with 20 goals: at ${w.name} every query of every preset's full load and the Goals panel read ≤ 8 MiB, ≤ 16,000 documents, ≤ 2,048 index ranges`,
      over.length === 0,
      `largest ${kib(worst.bytes)}, ${num(worst.docs)} documents (${worst.query}); ${over.length} over`,
    );
  }
}

// ---------------------------------------------------------------- equivalence

type UnitSnapshot = {
  key: string;
  keys: string[];
  values: number[];
  restMax: number;
  sketches: string[];
};

async function unitSnapshots(
  t: TestInstance,
  siteId: string,
): Promise<UnitSnapshot[]> {
  const { decodeSketch } = await import("../src/component/lib/sketch.js");
  return await t.run(async (ctx) => {
    const tops = (await ctx.db.query("rollupTops").collect()).filter(
      (r) => r.siteId === siteId,
    );
    const bands = (await ctx.db.query("rollupSketches").collect()).filter(
      (r) => r.siteId === siteId,
    );
    return tops
      .map((r) => {
        const id = `${r.dimension}|${r.level}|${r.bucketStart}`;
        const sketches = bands
          .filter((b) => `${b.dimension}|${b.level}|${b.bucketStart}` === id)
          .flatMap((b) =>
            b.keys.map((k, i) => {
              const s = decodeSketch(b.sketches[i]);
              const body =
                s.kind === "exact"
                  ? [...s.counts].sort((x, y) => x[0] - y[0]).join(";")
                  : Array.from(s.registers).join(",");
              return `${k}=${body}`;
            }),
          )
          .sort();
        return {
          key: id,
          keys: r.keys,
          values: r.values,
          restMax: r.restMax,
          sketches,
        };
      })
      .sort((a, b) => (a.key < b.key ? -1 : 1));
  });
}

/**
 * The rows this benchmark builds equal the rows real ingest builds: one
 * window of W0's template day, sent through ingestBatch (4 shards,
 * aggregation as it runs in production) and compacted by the real chain,
 * against the same events folded by the benchmark's path.
 */
export async function templateEquivalence(
  report: Report,
  hours: number,
): Promise<void> {
  const w = WORKLOADS[0];
  const from = DAY0 + 12 * HOUR;
  const to = from + hours * HOUR;
  const batches = workloadDay(w, DAY0, 0).filter((b) =>
    b.events.every((e) => e.occurredAt >= from && e.occurredAt < to),
  );
  // (a) the benchmark's path
  vi.setSystemTime(DAY0 + 3 * DAY);
  const a = freshInstance();
  const siteA = await createTestSite(a, { rollupShardCount: 4 });
  // Goals too: the goal units built by the benchmark's path must match.
  const goals = await defineGoals(a, siteA, workloadGoals());
  const site = (await a.run((ctx) =>
    ctx.db.get(siteA as never),
  )) as Doc<"sites">;
  const docs = batches.flatMap((b) => eventDocs(site, b));
  await flushGroup(a, siteA, deltasOfDocs(docs, "UTC", goals), () => true);
  for (let h = from; h < to; h += HOUR) await compactAllOf(a, siteA, "hour", h);
  // (b) real ingest, aggregation and compaction
  vi.setSystemTime(from);
  const b = freshInstance();
  const siteB = await createTestSite(b, { rollupShardCount: 4 });
  await defineGoals(b, siteB, workloadGoals());
  const { replay } = await import("../src/component/testing/replay.js");
  const sent = await replay(
    b,
    [...batches].sort((x, y) => x.arrival - y.arrival),
  );
  vi.setSystemTime(DAY0 + 1 * DAY + 3 * HOUR);
  await b.mutation(api.compaction.compact, { siteId: siteB });
  const { drain } = await import("../src/component/testing/setup.js");
  await drain(b);
  const ua = (await unitSnapshots(a, siteA)).filter(
    (u) => Number(u.key.split("|")[1]) <= DAY_LEVEL,
  );
  const ub = (await unitSnapshots(b, siteB)).filter(
    (u) => Number(u.key.split("|")[1]) <= DAY_LEVEL,
  );
  const same = JSON.stringify(ua) === JSON.stringify(ub);
  report.check(
    `W0 rows built by the benchmark's path equal rows built by real ingest (${num(sent.accepted)} events, ${hours} h, 20 goals, every hour and day unit of every dimension, goal units included)`,
    same && ua.length > 0 && sent.accepted === docs.length,
    same
      ? `${ua.length} units identical (counts, bounds, sketches)`
      : `differ: ${ua.length} vs ${ub.length} units`,
  );
}
