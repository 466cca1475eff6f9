/**
 * A goal's backfill (README, "Goals") counts the raw events kept under the
 * goal's key and nothing else: goal figures equal an independent truth
 * (testing/goalTruth.ts) after creating, redefining and deleting goals on a
 * site with days of history in zones that are not UTC, with traffic that
 * keeps arriving while it runs; every other row and session stays as it
 * was; and its pages stay bounded.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";
import {
  generateTraffic,
  uniqueEvents,
  type Batch,
} from "./testing/traffic.js";
import { replay } from "./testing/replay.js";
import { buildSessions, type SentEvent } from "./testing/truth.js";
import {
  expectReportMatchesTruth,
  reportsFor,
  type Range,
} from "./testing/reports.js";
import {
  truthGoalBreakdown,
  truthGoalConversions,
  type TruthGoal,
} from "./testing/goalTruth.js";
import { GOAL_BREAKDOWN_DIMENSIONS } from "./lib/goals.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIMEOUT = 30 * MINUTE;
const START = Date.UTC(2026, 2, 5); // spans the US DST switch of 2026-03-08
const DAYS = 6;
/** Batches arriving before this are history; the rest arrive during the backfill. */
const CUT = START + 4 * DAY + 11 * HOUR;
/** Goal dimensions' entry-key prefixes in live rows (`dimension\tkey`). */
const GOAL_ENTRY = /^goal(_[a-zA-Z]+)?\t/;

afterEach(() => vi.useRealTimers());

type GoalSpec = Omit<TruthGoal, "id">;

async function send(t: TestInstance, batch: Batch) {
  vi.setSystemTime(Math.max(Date.now(), batch.arrival));
  const result = await t.mutation(api.ingest.ingestBatch, {
    writeKeyHash: WRITE_KEY_HASH,
    visitorId: batch.visitorId,
    sessionId: batch.sessionId,
    context: batch.context,
    events: batch.events.map(
      ({ visitorId: _v, sessionId: _s, ...e }) => e,
    ) as never,
  });
  return result;
}

/** Runs the next scheduled function only: a backfill page or an aggregation step. */
async function step(t: TestInstance) {
  vi.advanceTimersToNextTimer();
  await t.finishInProgressScheduledFunctions();
}

async function compactAt(t: TestInstance, siteId: string, now: number) {
  vi.setSystemTime(now);
  await t.mutation(api.compaction.compact, { siteId });
  await drain(t);
}

function rangesOf(): Range[] {
  return [
    { from: START, to: START + (DAYS + 1) * DAY },
    { from: START + 2 * DAY, to: START + 4 * DAY },
    { from: START + 5 * HOUR + 17 * MINUTE, to: START + 53 * HOUR },
    { from: START + 3 * DAY + 20 * HOUR, to: START + 5 * DAY + 3 * HOUR },
  ];
}

/** Conversions and the source and entry-page breakdowns equal the truth on every range. */
async function expectGoalsTrue(
  t: TestInstance,
  siteId: string,
  goals: TruthGoal[],
  events: SentEvent[],
  label: string,
  ranges: Range[] = rangesOf(),
) {
  const sessions = buildSessions(events, TIMEOUT);
  for (const { from, to } of ranges) {
    const at = `${label} [${from}, ${to})`;
    const result = await t.query(api.analytics.getGoalConversions, {
      siteId,
      from,
      to,
    });
    expect(result.backfilling, at).toBe(false);
    const truth = truthGoalConversions(goals, events, from, to);
    expect(result.visitors, at).toBe(truth.visitors);
    expect(
      result.goals.map((g) => ({
        goalId: g.goal.goalId,
        visitors: g.visitors,
        conversions: g.conversions,
        conversionRate: g.conversionRate,
      })),
      at,
    ).toEqual(truth.goals);
    for (const goal of goals) {
      for (const dimension of ["source", "entryPage", "country"] as const) {
        const breakdown = await t.query(api.analytics.getGoalBreakdown, {
          siteId,
          from,
          to,
          goalId: goal.id,
          dimension,
          limit: 100,
        });
        expect(breakdown.rows, `${at} ${dimension}`).toEqual(
          truthGoalBreakdown(goal, dimension, sessions, from, to, 100),
        );
      }
    }
  }
}

/**
 * Everything but goal figures, as stored: live rows without their goal
 * entries, sessions without their per-goal counts, and the compact units,
 * sketches, visitors and streams whole.
 */
async function nonGoalState(t: TestInstance) {
  return await t.run(async (ctx) => {
    const live = (await ctx.db.query("rollupShards").collect())
      .map((row) => ({
        ...row,
        entries: row.entries.filter((e) => !GOAL_ENTRY.test(e.key)),
      }))
      .filter((row) => row.entries.length > 0);
    const sessions = (await ctx.db.query("sessions").collect()).map((s) => ({
      ...s,
      buckets: s.buckets.map(({ goals: _goals, ...b }) => b),
    }));
    return {
      live,
      sessions,
      tops: await ctx.db.query("rollupTops").collect(),
      sketches: await ctx.db.query("rollupSketches").collect(),
      visitors: await ctx.db.query("visitors").collect(),
      streams: await ctx.db.query("aggregationStreams").collect(),
    };
  });
}

async function createGoal(
  t: TestInstance,
  siteId: string,
  name: string,
  spec: GoalSpec,
): Promise<TruthGoal> {
  const id = await t.mutation(api.goals.createGoal, { siteId, name, ...spec });
  return { id, ...spec };
}

async function updateGoal(
  t: TestInstance,
  siteId: string,
  goal: TruthGoal,
  name: string,
  spec: GoalSpec,
): Promise<TruthGoal> {
  await t.mutation(api.goals.updateGoal, {
    siteId,
    goalId: goal.id,
    name,
    ...spec,
  });
  return { id: goal.id, ...spec };
}

async function isBackfilling(t: TestInstance, siteId: string) {
  return (
    await t.query(api.analytics.getGoalConversions, {
      siteId,
      from: START,
      to: START + HOUR,
    })
  ).backfilling;
}

describe.each([
  { timezone: "America/New_York", seed: 21 },
  { timezone: "Asia/Kolkata", seed: 8 },
])("goal backfill ($timezone)", ({ timezone, seed }) => {
  const traffic = () =>
    generateTraffic({
      seed,
      start: START,
      days: DAYS,
      visitors: 110,
      sessionsPerVisitor: [1, 4],
      eventsPerSession: [1, 8],
    });

  test("with traffic arriving while it runs, goal figures equal the truth and the other figures too", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(START - HOUR);
    const t = setupComponent();
    const siteId = await createTestSite(t, { timezone, rollupShardCount: 4 });
    let signup = await createGoal(t, siteId, "Signup", { eventName: "signup" });
    const batches = traffic();
    const history = batches.filter((b) => b.arrival < CUT);
    const late = batches.filter((b) => b.arrival >= CUT);
    expect(late.length).toBeGreaterThan(20);
    await replay(t, history);
    // Part compacted into hours and days, part into blocks, part live.
    await compactAt(t, siteId, CUT);
    vi.setSystemTime(late[0].arrival);

    // Some events are in but not aggregated when the goals change.
    for (const batch of late.slice(0, 5)) await send(t, batch);
    signup = await updateGoal(t, siteId, signup, "Pro download", {
      eventName: "download",
      propertyKey: "plan",
      propertyValue: "pro",
    });
    const pages = await createGoal(t, siteId, "Pages 1x", {
      pathPattern: "/page-1*",
    });
    const gone = await createGoal(t, siteId, "Clicks", { eventName: "click" });
    let all = await createGoal(t, siteId, "All pages", { pathPattern: "/**" });
    all = await updateGoal(t, siteId, all, "Page 3", {
      pathPattern: "/page-3",
    });
    await t.mutation(api.goals.deleteGoal, { siteId, goalId: gone.id });
    expect(await isBackfilling(t, siteId)).toBe(true);
    // The rest arrives between backfill pages and aggregation steps.
    for (const batch of late.slice(5)) {
      await send(t, batch);
      await step(t);
    }
    await drain(t);
    expect(await isBackfilling(t, siteId)).toBe(false);

    const events = uniqueEvents(batches);
    const goals = [signup, pages, all];
    for (const g of truthGoalConversions(goals, events, START, CUT).goals)
      expect(g.conversions, g.goalId).toBeGreaterThan(0);
    await expectGoalsTrue(t, siteId, goals, events, "after the backfill");
    for (const report of await reportsFor(t, siteId, rangesOf()))
      expectReportMatchesTruth(report, events, buildSessions(events, TIMEOUT));

    await compactAt(t, siteId, START + (DAYS + 5) * DAY);
    // The backfill lowered the block watermark: its rows in days that had
    // blocks are folded in too, and no live row is left to read.
    expect(
      await t.run(async (ctx) => ctx.db.query("rollupShards").collect()),
    ).toEqual([]);
    await expectGoalsTrue(t, siteId, goals, events, "compacted");
    expect(
      await t.run(async (ctx) => ctx.db.query("maintenanceLeases").collect()),
    ).toEqual([]);
  }, 600_000);

  test("leaves every other row and session as it was; a full rebuild then agrees", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(START - HOUR);
    const t = setupComponent();
    const siteId = await createTestSite(t, { timezone, rollupShardCount: 2 });
    let first = await createGoal(t, siteId, "Signup", { eventName: "signup" });
    const batches = traffic().filter((b) => b.arrival < CUT);
    await replay(t, batches);
    await compactAt(t, siteId, CUT);
    const before = await nonGoalState(t);
    const reportsBefore = await reportsFor(t, siteId, rangesOf());

    first = await updateGoal(t, siteId, first, "Step 2", {
      eventName: "click",
      propertyKey: "step",
      propertyValue: 2,
    });
    const second = await createGoal(t, siteId, "Page 1", {
      pathPattern: "/page-1",
    });
    // A rebuild would clear under the backfill: it waits for it.
    expect(
      (await t.mutation(api.rebuild.rebuildRollups, { siteId })).started,
    ).toBe(false);
    await drain(t);
    expect(await nonGoalState(t)).toEqual(before);
    expect(await reportsFor(t, siteId, rangesOf())).toEqual(reportsBefore);

    const events = uniqueEvents(batches);
    const goals = [first, second];
    await expectGoalsTrue(t, siteId, goals, events, "backfilled");
    await compactAt(t, siteId, START + (DAYS + 5) * DAY);
    await expectGoalsTrue(t, siteId, goals, events, "compacted");
    const sessions = buildSessions(events, TIMEOUT);
    for (const report of await reportsFor(t, siteId, rangesOf()))
      expectReportMatchesTruth(report, events, sessions);

    // A full rebuild recomputes everything, goals included, from the raw events.
    const figures = async () =>
      await Promise.all(
        rangesOf().map(async ({ from, to }) => ({
          conversions: await t.query(api.analytics.getGoalConversions, {
            siteId,
            from,
            to,
          }),
          breakdowns: await Promise.all(
            GOAL_BREAKDOWN_DIMENSIONS.map((dimension) =>
              t.query(api.analytics.getGoalBreakdown, {
                siteId,
                from,
                to,
                goalId: first.id,
                dimension,
                limit: 100,
              }),
            ),
          ),
        })),
      );
    const backfilled = await figures();
    expect(
      (await t.mutation(api.rebuild.rebuildRollups, { siteId })).started,
    ).toBe(true);
    await drain(t);
    await compactAt(t, siteId, START + (DAYS + 6) * DAY);
    expect(await figures()).toEqual(backfilled);
    for (const report of await reportsFor(t, siteId, rangesOf()))
      expectReportMatchesTruth(report, events, sessions);
  }, 600_000);
});

test("backfill pages stay bounded over a few thousand events, with conversions arriving between them", async () => {
  vi.useFakeTimers();
  const day = Date.UTC(2026, 4, 11);
  vi.setSystemTime(day);
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    timezone: "Europe/Berlin",
    rollupShardCount: 2,
  });
  const sent: SentEvent[] = [];
  // 60 visitors × 50 pageviews, one a minute: 3,000 candidate events.
  for (let v = 0; v < 60; v++) {
    const batch: Batch = {
      arrival: day + 2 * HOUR + v * MINUTE,
      visitorId: `v${v}`,
      sessionId: `s${v}`,
      context: { device: "desktop", utmSource: v % 3 ? "ads" : "news" },
      events: Array.from({ length: 50 }, (_, k) => ({
        visitorId: `v${v}`,
        sessionId: `s${v}`,
        type: "pageview" as const,
        name: "pageview",
        path: k % 2 ? `/docs/${k}` : `/blog/${k}`,
        occurredAt: day + v * MINUTE + k * 1000,
      })),
    };
    expect((await send(t, batch)).accepted).toBe(50);
    sent.push(...uniqueEvents([batch]));
  }
  vi.setSystemTime(day + 3 * HOUR);
  await drain(t);

  const goal = await createGoal(t, siteId, "Docs", { pathPattern: "/docs/**" });
  await step(t);
  // One more visitor converts after the first page ran.
  const more: Batch = {
    arrival: Date.now() + MINUTE,
    visitorId: "late",
    sessionId: "late-s",
    context: { device: "mobile" },
    events: [
      {
        visitorId: "late",
        sessionId: "late-s",
        type: "pageview",
        name: "pageview",
        path: "/docs/new",
        occurredAt: day + 90 * MINUTE,
      },
    ],
  };
  await send(t, more);
  sent.push(...uniqueEvents([more]));
  await drain(t);

  const runs = await t.run(async (ctx) =>
    (await ctx.db.system.query("_scheduled_functions").collect()).filter((f) =>
      f.name.includes("backfillPage"),
    ),
  );
  // 3,001 candidates in pages of 500 (the last may find the index empty).
  expect(runs.length).toBeGreaterThanOrEqual(7);
  expect(runs.length).toBeLessThanOrEqual(8);
  expect(runs.every((r) => r.state.kind === "success")).toBe(true);
  await expectGoalsTrue(t, siteId, [goal], sent, "bounded", [
    { from: day, to: day + DAY },
    { from: day + 17 * MINUTE + 5_000, to: day + 95 * MINUTE },
  ]);
}, 600_000);

test("a goal created while a rebuild from a later day clears: the backfill counts the days before it, the replay the rest", async () => {
  vi.useFakeTimers();
  vi.setSystemTime(START - HOUR);
  const t = setupComponent();
  const siteId = await createTestSite(t, { timezone: "Europe/Paris" });
  const batches = generateTraffic({
    seed: 5,
    start: START,
    days: 4,
    visitors: 50,
    sessionsPerVisitor: [1, 3],
    eventsPerSession: [1, 6],
  });
  await replay(t, batches);
  await compactAt(t, siteId, START + 6 * DAY);
  const rebuild = await t.mutation(api.rebuild.rebuildRollups, {
    siteId,
    from: START + 2 * DAY + 5 * HOUR,
  });
  expect(rebuild.started).toBe(true);
  const goal = await createGoal(t, siteId, "Downloads", {
    eventName: "download",
  });
  expect(await isBackfilling(t, siteId)).toBe(true);
  await drain(t);
  await compactAt(t, siteId, START + 7 * DAY);
  const events = uniqueEvents(batches);
  for (const [from, to] of [
    [START, rebuild.from!],
    [rebuild.from!, START + 5 * DAY],
    [START, START + 5 * DAY],
  ]) {
    const result = await t.query(api.analytics.getGoalConversions, {
      siteId,
      from,
      to,
    });
    const truth = truthGoalConversions([goal], events, from, to).goals[0];
    expect(truth.conversions).toBeGreaterThan(0);
    expect(result.backfilling).toBe(false);
    expect(result.goals[0]).toMatchObject({
      visitors: truth.visitors,
      conversions: truth.conversions,
    });
  }
}, 300_000);

test("a page where every candidate converts in a session and hour of its own stays within the limits", async () => {
  vi.useFakeTimers();
  const first = Date.UTC(2026, 0, 5, 7);
  const sessions = 520;
  vi.setSystemTime(first + (sessions + 2) * HOUR);
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    timezone: "Asia/Kolkata",
    rollupShardCount: 1,
  });
  const sent: SentEvent[] = [];
  for (let i = 0; i < sessions; i++) {
    const occurredAt = first + i * HOUR + (i % 50) * MINUTE;
    const batch: Batch = {
      arrival: occurredAt + MINUTE,
      visitorId: `v${i % 400}`,
      sessionId: `s${i}`,
      context: { utmSource: `src-${i % 5}`, country: "IN" },
      events: [
        {
          visitorId: `v${i % 400}`,
          sessionId: `s${i}`,
          type: "pageview",
          name: "pageview",
          path: `/p/${i % 7}`,
          occurredAt,
        },
      ],
    };
    const result = await t.mutation(api.ingest.ingestBatch, {
      writeKeyHash: WRITE_KEY_HASH,
      visitorId: batch.visitorId,
      sessionId: batch.sessionId,
      context: batch.context,
      receivedAt: batch.arrival,
      events: batch.events.map(({ visitorId: _v, sessionId: _s, ...e }) => e),
    });
    expect(result.accepted).toBe(1);
    sent.push(...uniqueEvents([batch]));
  }
  await drain(t);
  const goal = await createGoal(t, siteId, "Any page", { pathPattern: "/**" });
  await drain(t);
  const ranges = [
    { from: first, to: first + (sessions + 1) * HOUR },
    { from: first + 5 * DAY + 20 * MINUTE, to: first + 9 * DAY },
  ];
  await expectGoalsTrue(t, siteId, [goal], sent, "one per session", ranges);
}, 600_000);

test("a goal created while a rebuild replays: the backfill owes what the replay had done and what it keeps", async () => {
  vi.useFakeTimers();
  vi.setSystemTime(START - HOUR);
  const t = setupComponent();
  const siteId = await createTestSite(t, {
    timezone: "America/New_York",
    rollupShardCount: 1,
  });
  const batches = generateTraffic({
    seed: 9,
    start: START,
    days: 4,
    visitors: 120,
    sessionsPerVisitor: [1, 3],
    eventsPerSession: [1, 6],
    // Many events of the day before `from` arrive after it: the replay keeps them.
    lateBatchShare: 0.9,
  });
  await replay(t, batches);
  vi.setSystemTime(START + 6 * DAY);
  const rebuild = await t.mutation(api.rebuild.rebuildRollups, {
    siteId,
    from: START + DAY + 7 * HOUR,
  });
  expect(rebuild.started).toBe(true);
  const stream = async () =>
    (await t.run(async (ctx) => ctx.db.query("aggregationStreams").first()))!;
  // Until the replay has started, and then some of it.
  while ((await stream()).replayUntil === undefined) await step(t);
  await step(t);
  const replaying = await stream();
  expect(replaying.replayUntil).toBeGreaterThan(replaying.cursor);
  const goal = await createGoal(t, siteId, "Any page", { pathPattern: "/**" });
  await drain(t);
  const events = uniqueEvents(batches);
  for (const [from, to] of [
    [START, rebuild.from!],
    [rebuild.from!, START + 5 * DAY],
  ]) {
    const result = await t.query(api.analytics.getGoalConversions, {
      siteId,
      from,
      to,
    });
    const truth = truthGoalConversions([goal], events, from, to).goals[0];
    expect(truth.conversions).toBeGreaterThan(0);
    expect(result.backfilling).toBe(false);
    expect(result.goals[0]).toMatchObject({
      visitors: truth.visitors,
      conversions: truth.conversions,
    });
  }
}, 300_000);

test("an event aggregation skipped as poison is not counted by a backfill either", async () => {
  vi.useFakeTimers();
  const now = Date.UTC(2026, 4, 20, 12);
  vi.setSystemTime(now);
  const t = setupComponent();
  const siteId = await createTestSite(t, { rollupShardCount: 1 });
  const sent: SentEvent[] = [];
  for (const v of ["a", "b"]) {
    const batch: Batch = {
      arrival: now,
      visitorId: v,
      sessionId: `${v}-s`,
      context: {},
      events: [
        {
          visitorId: v,
          sessionId: `${v}-s`,
          type: "track",
          name: "signup",
          occurredAt: now - HOUR,
        },
      ],
    };
    await send(t, batch);
    sent.push(...uniqueEvents([batch]));
  }
  vi.setSystemTime(now + MINUTE);
  await drain(t);
  // What isolation leaves behind (poison.test.ts): an event behind the
  // stream's cursor that was never counted, and its failure record.
  await t.run(async (ctx) => {
    const id = await ctx.db.insert("events", {
      siteId,
      visitorId: "ghost",
      sessionId: "ghost-s",
      type: "track",
      name: "signup",
      occurredAt: now - HOUR,
      receivedAt: now,
      shard: 0,
    });
    const stream = (await ctx.db.query("aggregationStreams").first())!;
    const ghost = (await ctx.db.get("events", id))!;
    await ctx.db.patch("aggregationStreams", stream._id, {
      cursor: ghost._creationTime,
    });
    await ctx.db.insert("aggregationFailures", {
      siteId,
      shard: 0,
      error: "poison",
      failedAt: now,
      skippedEventId: id,
    });
  });
  const goal = await createGoal(t, siteId, "Signup", { eventName: "signup" });
  await drain(t);
  await expectGoalsTrue(t, siteId, [goal], sent, "poison", [
    { from: now - DAY, to: now },
  ]);
});
