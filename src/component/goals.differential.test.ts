/**
 * Goal conversions equal an independent truth computed from the raw events
 * (testing/goalTruth.ts, README "Goals"), on random ranges in two zones,
 * from live rows, part-way through compaction and after all of it.
 */
import { beforeAll, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  type TestInstance,
} from "./testing/setup.js";
import { generateTraffic, prng, uniqueEvents } from "./testing/traffic.js";
import { replay } from "./testing/replay.js";
import {
  buildSessions,
  type SentEvent,
  type TruthSession,
} from "./testing/truth.js";
import {
  truthGoalBreakdown,
  truthGoalConversions,
  type TruthGoal,
} from "./testing/goalTruth.js";
import { GOAL_BREAKDOWN_DIMENSIONS } from "./lib/goals.js";

const HOUR = 3_600_000;
const TIMEOUT = 30 * 60_000;
const START = Date.UTC(2026, 2, 1); // spans the US DST switch of 2026-03-08
const DAYS = 8;

/** One goal of every kind: event, event with a property, exact path, patterns. */
const GOALS: Omit<TruthGoal, "id">[] = [
  { eventName: "signup" },
  { eventName: "download", propertyKey: "plan", propertyValue: "pro" },
  { eventName: "click", propertyKey: "step", propertyValue: 2 },
  { pathPattern: "/page-3" },
  { pathPattern: "/page-1*" },
  { pathPattern: "/**" },
];

function closeTo(actual: object, expected: Record<string, number>) {
  for (const [k, v] of Object.entries(expected))
    expect((actual as Record<string, number>)[k], k).toBeCloseTo(v, 9);
}

describe.each([
  { timezone: "America/New_York", visitors: 70, seed: 5 },
  { timezone: "Asia/Kolkata", visitors: 40, seed: 13 },
])(
  "goal figures equal raw-event truth ($timezone)",
  ({ timezone, visitors, seed }) => {
    let t: TestInstance;
    let siteId: string;
    let events: SentEvent[];
    let sessions: TruthSession[];
    let goals: TruthGoal[];

    beforeAll(async () => {
      vi.useFakeTimers();
      vi.setSystemTime(START - HOUR);
      t = setupComponent();
      siteId = await createTestSite(t, { timezone });
      goals = [];
      for (const [i, g] of GOALS.entries()) {
        const id = await t.mutation(api.goals.createGoal, {
          siteId,
          name: `goal ${i}`,
          ...g,
        });
        goals.push({ id, ...g });
      }
      const batches = generateTraffic({
        seed,
        start: START,
        days: DAYS,
        visitors,
        sessionsPerVisitor: [1, 4],
        eventsPerSession: [1, 8],
      });
      await replay(t, batches);
      events = uniqueEvents(batches);
      sessions = buildSessions(events, TIMEOUT);
    }, 600_000);

    async function expectRandomRangesTrue(label: string) {
      const r = prng(seed * 17);
      for (let i = 0; i < 21; i++) {
        const aligned = r.chance(0.6);
        const from =
          START +
          (aligned
            ? r.int(0, (DAYS - 1) * 24) * HOUR
            : r.int(0, (DAYS - 1) * 24 * 60) * 60_000);
        const to =
          from +
          (aligned ? r.int(1, DAYS * 24) : r.int(5, DAYS * 24 * 60) / 60) *
            HOUR;
        const result = await t.query(api.analytics.getGoalConversions, {
          siteId,
          from,
          to,
        });
        const truth = truthGoalConversions(goals, events, from, to);
        expect(result.visitors, `${label} visitors`).toBe(truth.visitors);
        expect(result.backfilling).toBe(false);
        expect(result.goals.map((g) => g.goal.goalId)).toEqual(
          goals.map((g) => g.id),
        );
        result.goals.forEach((row, k) => {
          expect(row.approximate, label).toBeUndefined();
          const { goalId: _id, ...expected } = truth.goals[k];
          closeTo(row, expected);
        });
        const goal = goals[i % goals.length];
        const dimension =
          GOAL_BREAKDOWN_DIMENSIONS[i % GOAL_BREAKDOWN_DIMENSIONS.length];
        const breakdown = await t.query(api.analytics.getGoalBreakdown, {
          siteId,
          from,
          to,
          goalId: goal.id,
          dimension,
          limit: 100,
        });
        const truthRows = truthGoalBreakdown(
          goal,
          dimension,
          sessions,
          from,
          to,
          100,
        );
        expect(breakdown.rows, `${label}: ${dimension} ${from}-${to}`).toEqual(
          truthRows,
        );
        // Asked for the keys a table shows: exactly those that converted.
        const shown = truthRows.filter((_, k) => k % 2 === 0).map((r) => r.key);
        const onlyShown = await t.query(api.analytics.getGoalBreakdown, {
          siteId,
          from,
          to,
          goalId: goal.id,
          dimension,
          keys: [...shown, "/never-visited"],
        });
        expect(onlyShown.rows, `${label}: ${dimension} keys`).toEqual(
          truthRows.filter((r) => shown.includes(r.key)),
        );
      }
    }

    async function compactAt(now: number) {
      vi.setSystemTime(now);
      await t.mutation(api.compaction.compact, { siteId });
      await drain(t);
    }

    test("the truth has conversions of every goal to compare", () => {
      const all = truthGoalConversions(
        goals,
        events,
        START,
        START + DAYS * 24 * HOUR,
      );
      for (const g of all.goals)
        expect(g.conversions, g.goalId).toBeGreaterThan(0);
    });

    test("random ranges from live rows", async () => {
      await expectRandomRangesTrue("live rows");
    }, 600_000);

    test("the same part-way through compaction and after all of it", async () => {
      await compactAt(START + 4 * 24 * HOUR + 3 * HOUR);
      await expectRandomRangesTrue("part-way");
      await compactAt(START + (DAYS + 4) * 24 * HOUR);
      const levels = await t.run(async (ctx) =>
        (await ctx.db.query("rollupTops").collect())
          .filter((r) => r.dimension.startsWith("goal"))
          .map((r) => r.level),
      );
      // Goal dimensions have hour and day units and blocks of their own.
      expect(Math.max(...levels)).toBeGreaterThanOrEqual(3);
      expect(
        await t.run(
          async (ctx) => (await ctx.db.query("rollupShards").collect()).length,
        ),
      ).toBe(0);
      await expectRandomRangesTrue("compacted");
    }, 600_000);
  },
);
