import { describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import { analyticsErrorData } from "./lib/errors.js";
import {
  createTestSite,
  drain,
  setupComponent,
  type TestInstance,
} from "./testing/setup.js";
import { generateTraffic, uniqueEvents } from "./testing/traffic.js";
import { replay } from "./testing/replay.js";
import { buildSessions } from "./testing/truth.js";
import {
  truthGoalBreakdown,
  truthGoalConversions,
  type TruthGoal,
} from "./testing/goalTruth.js";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 4, 4);

describe("goal definitions (admin)", () => {
  test("bad input is refused with a message naming the problem", async () => {
    vi.useFakeTimers();
    const t = setupComponent();
    const siteId = await createTestSite(t);
    const bad: [Record<string, unknown>, RegExp][] = [
      [{ name: "x" }, /exactly one of eventName and pathPattern/],
      [
        { name: "x", eventName: "a", pathPattern: "/a" },
        /exactly one of eventName and pathPattern/,
      ],
      [{ name: " ", eventName: "a" }, /name must be 1 to 120/],
      [{ name: "x", eventName: "pageview" }, /not a custom event/],
      [{ name: "x", eventName: "a", propertyKey: "plan" }, /go together/],
      [
        { name: "x", pathPattern: "/a", propertyKey: "k", propertyValue: 1 },
        /eventName goals only/,
      ],
      [{ name: "x", pathPattern: "pricing" }, /must start with "\/"/],
      [{ name: "x", pathPattern: "/a/***" }, /\*\*\*/],
    ];
    for (const [input, message] of bad) {
      const error = await t
        .mutation(api.goals.createGoal, { siteId, ...input } as never)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const data = analyticsErrorData(error);
      expect(data?.code, JSON.stringify(input)).toBe("invalid_argument");
      expect(data?.message, JSON.stringify(input)).toMatch(message);
    }
    await expect(
      t.mutation(api.goals.createGoal, {
        siteId: "nope",
        name: "x",
        eventName: "a",
      }),
    ).rejects.toThrow(/Unknown site/);
    expect(await t.query(api.goals.listGoals, { siteId })).toEqual([]);
    // A breakdown asked for more keys than a table can show.
    const goalId = await t.mutation(api.goals.createGoal, {
      siteId,
      name: "signup",
      eventName: "signup",
    });
    const tooMany = await t
      .query(api.analytics.getGoalBreakdown, {
        siteId,
        from: START,
        to: START + 3_600_000,
        goalId,
        dimension: "source",
        keys: Array.from({ length: 101 }, (_, i) => `k${i}`),
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(analyticsErrorData(tooMany)?.code).toBe("limit_exceeded");
    expect(analyticsErrorData(tooMany)?.message).toMatch(/at most 100/);
  });

  test("create, list, update, delete; names unique; at most 20 per site", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(START);
    const t = setupComponent();
    const siteId = await createTestSite(t);
    const signup = await t.mutation(api.goals.createGoal, {
      siteId,
      name: "Pro signup",
      eventName: "signup",
      propertyKey: "plan",
      propertyValue: "pro",
    });
    const pricing = await t.mutation(api.goals.createGoal, {
      siteId,
      name: "Pricing",
      pathPattern: "/pricing/*",
    });
    expect(await t.query(api.goals.listGoals, { siteId })).toEqual([
      {
        goalId: signup,
        siteId,
        name: "Pro signup",
        kind: "event",
        eventName: "signup",
        propertyKey: "plan",
        propertyValue: "pro",
        createdAt: START,
        updatedAt: START,
      },
      {
        goalId: pricing,
        siteId,
        name: "Pricing",
        kind: "path",
        pathPattern: "/pricing/*",
        createdAt: expect.any(Number),
        updatedAt: expect.any(Number),
      },
    ]);
    await expect(
      t.mutation(api.goals.createGoal, {
        siteId,
        name: "Pricing",
        eventName: "x",
      }),
    ).rejects.toThrow(/already exists/);
    vi.setSystemTime(START + 1000);
    await t.mutation(api.goals.updateGoal, {
      siteId,
      goalId: signup,
      name: "Signup",
      eventName: "signup",
    });
    const [updated] = await t.query(api.goals.listGoals, { siteId });
    expect(updated).toEqual({
      goalId: signup,
      siteId,
      name: "Signup",
      kind: "event",
      eventName: "signup",
      createdAt: START,
      updatedAt: expect.any(Number),
    });
    expect(updated.updatedAt).toBeGreaterThanOrEqual(START + 1000);
    await t.mutation(api.goals.deleteGoal, { siteId, goalId: pricing });
    await expect(
      t.mutation(api.goals.deleteGoal, { siteId, goalId: pricing }),
    ).rejects.toThrow(/Unknown goal/);
    for (let i = 1; i < 20; i++)
      await t.mutation(api.goals.createGoal, {
        siteId,
        name: `g${i}`,
        eventName: `e${i}`,
      });
    await expect(
      t.mutation(api.goals.createGoal, { siteId, name: "g20", eventName: "x" }),
    ).rejects.toThrow(/at most 20 goals/);
    expect(await t.query(api.goals.listGoals, { siteId })).toHaveLength(20);
    // Another site's goal is not this site's.
    const other = await t.mutation(api.sites.createSite, {
      slug: "other",
      name: "Other",
      writeKeyHash: "b".repeat(64),
    });
    await expect(
      t.mutation(api.goals.deleteGoal, { siteId: other, goalId: signup }),
    ).rejects.toThrow(/Unknown goal/);
  });
});

describe("history: a goal added later counts the past (backfill)", () => {
  async function sendHistory(t: TestInstance) {
    const batches = generateTraffic({
      seed: 3,
      start: START,
      days: 3,
      visitors: 30,
      sessionsPerVisitor: [1, 3],
      eventsPerSession: [1, 6],
    });
    await replay(t, batches);
    return uniqueEvents(batches);
  }

  async function expectTrue(
    t: TestInstance,
    siteId: string,
    goals: TruthGoal[],
    events: ReturnType<typeof uniqueEvents>,
  ) {
    const from = START;
    const to = START + 4 * 24 * HOUR;
    const result = await t.query(api.analytics.getGoalConversions, {
      siteId,
      from,
      to,
    });
    expect(result.backfilling).toBe(false);
    const truth = truthGoalConversions(goals, events, from, to);
    expect(
      result.goals.map((g) => ({
        goalId: g.goal.goalId,
        visitors: g.visitors,
        conversions: g.conversions,
        conversionRate: g.conversionRate,
      })),
    ).toEqual(truth.goals);
    // Something to compare: every goal converted in the history sent.
    for (const g of truth.goals) expect(g.conversions).toBeGreaterThan(0);
    const breakdown = await t.query(api.analytics.getGoalBreakdown, {
      siteId,
      from,
      to,
      goalId: goals[0].id,
      dimension: "source",
      limit: 100,
    });
    expect(breakdown.rows).toEqual(
      truthGoalBreakdown(
        goals[0],
        "source",
        buildSessions(events, 30 * 60_000),
        from,
        to,
        100,
      ),
    );
    return truth;
  }

  test("creating and updating a goal backfill it; results say so while it runs", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(START - HOUR);
    const t = setupComponent();
    const siteId = await createTestSite(t);
    const events = await sendHistory(t);
    vi.setSystemTime(START + 4 * 24 * HOUR);
    await t.mutation(api.compaction.compact, { siteId });
    await drain(t);

    const spec = { eventName: "signup" };
    const id = await t.mutation(api.goals.createGoal, {
      siteId,
      name: "Signup",
      ...spec,
    });
    const during = await t.query(api.analytics.getGoalConversions, {
      siteId,
      from: START,
      to: START + 4 * 24 * HOUR,
    });
    expect(during.backfilling).toBe(true);
    await drain(t);
    const truth = await expectTrue(t, siteId, [{ id, ...spec }], events);
    expect(truth.goals[0].conversions).toBeGreaterThan(0);

    // A changed definition is recomputed over the past too, also once compacted.
    const changed = { pathPattern: "/page-1*" };
    await t.mutation(api.goals.updateGoal, {
      siteId,
      goalId: id,
      name: "Pages 1x",
      ...changed,
    });
    expect(
      (
        await t.query(api.analytics.getGoalConversions, {
          siteId,
          from: START,
          to: START + HOUR,
        })
      ).backfilling,
    ).toBe(true);
    await drain(t);
    await expectTrue(t, siteId, [{ id, ...changed }], events);
    await t.mutation(api.compaction.compact, { siteId });
    await drain(t);
    await expectTrue(t, siteId, [{ id, ...changed }], events);
  }, 300_000);

  test("a goal created while a rebuild clears is counted by its replay", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(START - HOUR);
    const t = setupComponent();
    const siteId = await createTestSite(t);
    const events = await sendHistory(t);
    vi.setSystemTime(START + 4 * 24 * HOUR);
    expect(
      (await t.mutation(api.rebuild.rebuildRollups, { siteId })).started,
    ).toBe(true);
    const spec = {
      eventName: "download",
      propertyKey: "plan",
      propertyValue: "pro",
    };
    const id = await t.mutation(api.goals.createGoal, {
      siteId,
      name: "Pro download",
      ...spec,
    });
    expect(
      (
        await t.query(api.analytics.getGoalConversions, {
          siteId,
          from: START,
          to: START + HOUR,
        })
      ).backfilling,
    ).toBe(true);
    await drain(t);
    await expectTrue(t, siteId, [{ id, ...spec }], events);
  }, 300_000);
});

test("a breakdown key its own dimension's unit left out is marked approximate, not shown as exact", async () => {
  vi.useFakeTimers();
  const hour = START + 10 * HOUR;
  vi.setSystemTime(hour);
  const t = setupComponent();
  const siteId = await createTestSite(t, { rollupShardCount: 1 });
  const goalId = await t.mutation(api.goals.createGoal, {
    siteId,
    name: "Signup",
    eventName: "signup",
  });
  const send = async (v: number, source: string, events: object[]) =>
    await t.mutation(api.ingest.ingestBatch, {
      writeKeyHash: "a".repeat(64),
      visitorId: `v${v}`,
      sessionId: `s${v}`,
      context: { utmSource: source },
      events: events as never,
    });
  // 220 sources with three pageviews each fill the hour unit's 200 keys...
  for (let v = 0; v < 220; v++) {
    vi.setSystemTime(hour + 1000 + v * 10);
    await send(v, `src-${String(v).padStart(3, "0")}`, [
      { type: "pageview", name: "pageview", path: "/", occurredAt: hour + v },
      {
        type: "pageview",
        name: "pageview",
        path: "/a",
        occurredAt: hour + v + 1,
      },
      {
        type: "pageview",
        name: "pageview",
        path: "/b",
        occurredAt: hour + v + 2,
      },
    ]);
  }
  // ...so the one visitor from a rare source, who signs up, is left out of it.
  await send(999, "rare", [
    { type: "track", name: "signup", occurredAt: hour + 500 },
  ]);
  vi.setSystemTime(hour + 2 * HOUR);
  await drain(t);
  await t.mutation(api.compaction.compact, { siteId });
  await drain(t);
  const range = { siteId, from: hour, to: hour + HOUR };
  const top = await t.query(api.analytics.getTopSources, {
    ...range,
    limit: 100,
  });
  expect(top.every((r) => r.approximate)).toBe(true);
  const breakdown = await t.query(api.analytics.getGoalBreakdown, {
    ...range,
    goalId,
    dimension: "source",
  });
  expect(breakdown.rows).toHaveLength(1);
  expect(breakdown.rows[0]).toMatchObject({
    key: "rare",
    converters: 1,
    conversions: 1,
    approximate: true,
  });
  // Its conversions by goal stay exact.
  const conversions = await t.query(api.analytics.getGoalConversions, range);
  expect(conversions.goals[0]).toMatchObject({ visitors: 1, conversions: 1 });
  expect(conversions.goals[0].approximate).toBeUndefined();
}, 300_000);
