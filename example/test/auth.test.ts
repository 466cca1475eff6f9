import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "../convex/_generated/api";
import * as analytics from "../convex/analytics";
import { ADMIN, setupExampleApp, type ExampleApp } from "./setup";
import { REPORT_QUERIES, TOP_DIMENSIONS } from "convex-analytics";

let t: ExampleApp;
let siteId: string;
let goalId: string;
const HOUR = 3_600_000;

beforeEach(async () => {
  vi.useFakeTimers();
  t = setupExampleApp();
  siteId = await t.withIdentity(ADMIN).mutation(api.analytics.createSite, {
    slug: "docs",
    name: "Docs",
    writeKey: "wk_docs_site_key_0123456789",
  });
  goalId = await t.withIdentity(ADMIN).mutation(api.analytics.createGoal, {
    siteId,
    name: "Signup",
    eventName: "signup",
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

/** Arguments that satisfy each report query's validator. */
function argsFor(name: keyof typeof REPORT_QUERIES) {
  const from = Date.UTC(2026, 0, 1);
  const range = { siteId, from, to: from + 24 * HOUR };
  if (name === "getTimeseries" || name === "getLiveReport")
    return { ...range, interval: "hour" as const };
  if (name === "getEventPropertyBreakdown")
    return { ...range, eventName: "signup", propertyKey: "plan" };
  if (name === "getEventPropertyKeys") return { ...range, eventName: "signup" };
  if (name === "getRealtime") return { siteId, now: from };
  if (name === "getGoalBreakdown")
    return { ...range, goalId, dimension: "source" as const };
  if (name.startsWith("list") || name === "exportEvents")
    return { siteId, paginationOpts: { cursor: null, numItems: 10 } };
  return range;
}

test("every report wrapper asks auth with its operation and siteId, and refuses when auth throws", async () => {
  const names = Object.keys(REPORT_QUERIES) as (keyof typeof REPORT_QUERIES)[];
  expect(names.length).toBe(14 + TOP_DIMENSIONS.length);
  for (const name of names) {
    expect(analytics[name], name).toBeDefined();
    await t
      .withIdentity(ADMIN)
      .query(api.analytics[name], argsFor(name) as never);
    await expect(
      t.query(api.analytics[name], argsFor(name) as never),
      name,
    ).rejects.toThrow(`Sign in to use ${name}`);
    // The example's auth names the operation and site it refused.
    await expect(
      t
        .withIdentity({ email: "stranger@example.com" })
        .query(api.analytics[name], argsFor(name) as never),
    ).rejects.toThrow(`is not an analytics admin (${name} on site ${siteId})`);
  }
});

test("admin wrappers ask auth with their operation and refuse anonymous callers", async () => {
  const calls: [string, () => Promise<unknown>][] = [
    [
      "createSite",
      () =>
        t.mutation(api.analytics.createSite, {
          slug: "x",
          name: "X",
          writeKey: "wk_x_site_key_0123456789",
        }),
    ],
    [
      "ensureSite",
      () =>
        t.mutation(api.analytics.ensureSite, {
          slug: "x",
          name: "X",
          writeKey: "wk_x_site_key_0123456789",
        }),
    ],
    [
      "provisionSite",
      () => t.mutation(api.analytics.provisionSite, { slug: "x", name: "X" }),
    ],
    [
      "updateSite",
      () => t.mutation(api.analytics.updateSite, { siteId, name: "Y" }),
    ],
    [
      "rotateWriteKey",
      () =>
        t.mutation(api.analytics.rotateWriteKey, {
          siteId,
          writeKey: "wk_new_key_0123456789ab",
        }),
    ],
    ["getSite", () => t.query(api.analytics.getSite, { siteId })],
    [
      "getSiteBySlug",
      () => t.query(api.analytics.getSiteBySlug, { slug: "docs" }),
    ],
    ["listSites", () => t.query(api.analytics.listSites, {})],
    [
      "createGoal",
      () =>
        t.mutation(api.analytics.createGoal, {
          siteId,
          name: "Pricing",
          pathPattern: "/pricing",
        }),
    ],
    [
      "updateGoal",
      () =>
        t.mutation(api.analytics.updateGoal, {
          siteId,
          goalId,
          name: "Pricing",
          pathPattern: "/pricing",
        }),
    ],
    [
      "deleteGoal",
      () => t.mutation(api.analytics.deleteGoal, { siteId, goalId }),
    ],
    ["listGoals", () => t.query(api.analytics.listGoals, { siteId })],
  ];
  for (const [operation, call] of calls)
    await expect(call(), operation).rejects.toThrow(
      `Sign in to use ${operation}`,
    );
  const stranger = t.withIdentity({ email: "stranger@example.com" });
  await expect(
    stranger.mutation(api.analytics.updateSite, { siteId, name: "Y" }),
  ).rejects.toThrow(`(updateSite on site ${siteId})`);
  await expect(stranger.query(api.analytics.listSites, {})).rejects.toThrow(
    "(listSites)",
  );
  const admin = t.withIdentity(ADMIN);
  await admin.mutation(api.analytics.updateSite, { siteId, name: "Docs 2" });
  expect((await admin.query(api.analytics.getSite, { siteId }))?.name).toBe(
    "Docs 2",
  );
});

test("provisionSite is idempotent and follows the environment's write key", async () => {
  const admin = t.withIdentity(ADMIN);
  const first = await admin.mutation(api.analytics.provisionSite, {
    slug: "shop",
    name: "Shop",
  });
  expect(first).toMatchObject({ created: true, rotated: false });
  expect(
    await admin.mutation(api.analytics.provisionSite, {
      slug: "shop",
      name: "Shop",
    }),
  ).toEqual({ ...first, created: false });
  vi.stubEnv("ANALYTICS_WRITE_KEY", "wk_changed_key_0123456789");
  expect(
    await admin.mutation(api.analytics.provisionSite, {
      slug: "shop",
      name: "Shop",
    }),
  ).toMatchObject({ rotated: true });
  vi.stubEnv("ANALYTICS_WRITE_KEY", "");
  await expect(
    admin.mutation(api.analytics.provisionSite, { slug: "shop", name: "Shop" }),
  ).rejects.toThrow("ANALYTICS_WRITE_KEY");
});

test("the raw write key never reaches the component", async () => {
  const stored = await t.run(async (ctx) =>
    JSON.stringify(await ctx.db.system.query("_scheduled_functions").collect()),
  );
  expect(stored).not.toContain("wk_docs_site_key_0123456789");
  const site = await t
    .withIdentity(ADMIN)
    .query(api.analytics.getSite, { siteId });
  expect(JSON.stringify(site)).not.toContain("wk_docs");
});
