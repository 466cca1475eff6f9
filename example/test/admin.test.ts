import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { api } from "../convex/_generated/api";
import * as analytics from "../convex/analytics";
import * as sites from "../../src/component/sites";
import * as goals from "../../src/component/goals";
import { settingsThatDiffer } from "../../src/client/admin";
import { analyticsErrorData } from "convex-analytics";
import { ADMIN, setupExampleApp, type ExampleApp } from "./setup";

let t: ExampleApp;
beforeEach(() => {
  vi.useFakeTimers();
  t = setupExampleApp();
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

/** The `returns` validator a registered function exports, as JSON. */
function returnsOf(fn: unknown): unknown {
  return JSON.parse((fn as { exportReturns(): string }).exportReturns());
}

test("admin wrappers declare the same return type as the component function they wrap", () => {
  const wrapped = [
    "createSite",
    "ensureSite",
    "updateSite",
    "rotateWriteKey",
    "getSite",
    "getSiteBySlug",
    "listSites",
  ] as const;
  for (const name of wrapped) {
    expect(returnsOf(analytics[name]), name).toEqual(returnsOf(sites[name]));
  }
  const goalFunctions = [
    "createGoal",
    "updateGoal",
    "deleteGoal",
    "listGoals",
  ] as const;
  for (const name of goalFunctions) {
    expect(returnsOf(analytics[name]), name).toEqual(returnsOf(goals[name]));
  }
});

test("rotateWriteKey returns whether the key changed, and passes onlyIfChanged through", async () => {
  const admin = t.withIdentity(ADMIN);
  const siteId = await admin.mutation(api.analytics.createSite, {
    slug: "docs",
    name: "Docs",
    writeKey: "wk_docs_site_key_0123456789",
  });
  expect(
    await admin.mutation(api.analytics.rotateWriteKey, {
      siteId,
      writeKey: "wk_docs_site_key_0123456789",
      onlyIfChanged: true,
    }),
  ).toBe(false);
  expect(
    await admin.mutation(api.analytics.rotateWriteKey, {
      siteId,
      writeKey: "wk_rotated_key_0123456789",
      onlyIfChanged: true,
    }),
  ).toBe(true);
  expect(
    await admin.mutation(api.analytics.rotateWriteKey, {
      siteId,
      writeKey: "wk_rotated_key_0123456789",
    }),
  ).toBe(true);
});

test("provisionSite applies changed settings, names them in `updated`, and keeps settings left out", async () => {
  const admin = t.withIdentity(ADMIN);
  const first = await admin.mutation(api.analytics.provisionSite, {
    slug: "shop",
    name: "Shop",
    allowedOrigins: ["https://shop.example.com"],
    timezone: "Europe/Berlin",
    rawEventRetentionDays: 30,
  });
  expect(first).toMatchObject({ created: true, rotated: false, updated: [] });
  const { siteId } = first;

  const changed = {
    slug: "shop",
    name: "Shop & Co",
    allowedOrigins: [
      "https://shop.example.com",
      "https://www.shop.example.com",
    ],
    timezone: "America/New_York",
  };
  expect(await admin.mutation(api.analytics.provisionSite, changed)).toEqual({
    siteId,
    created: false,
    rotated: false,
    updated: ["name", "allowedOrigins", "timezone"],
  });
  expect(await admin.query(api.analytics.getSite, { siteId })).toMatchObject({
    name: "Shop & Co",
    allowedOrigins: [
      "https://shop.example.com",
      "https://www.shop.example.com",
    ],
    timezone: "America/New_York",
    rawEventRetentionDays: 30, // not passed this time: kept
  });

  // Running the same script again changes nothing.
  expect(await admin.mutation(api.analytics.provisionSite, changed)).toEqual({
    siteId,
    created: false,
    rotated: false,
    updated: [],
  });
  // The order of origins is part of the setting.
  const reordered = {
    ...changed,
    allowedOrigins: [...changed.allowedOrigins].reverse(),
  };
  expect(
    (await admin.mutation(api.analytics.provisionSite, reordered)).updated,
  ).toEqual(["allowedOrigins"]);
  // A bad value is refused as updateSite refuses it, and nothing is applied.
  await expect(
    admin.mutation(api.analytics.provisionSite, {
      slug: "shop",
      name: "Renamed",
      timezone: "Mars/Base",
    }),
  ).rejects.toThrow(/IANA/);
  expect((await admin.query(api.analytics.getSite, { siteId }))?.name).toBe(
    "Shop & Co",
  );
});

test("errors reach the app as { code, message }, from the component and from the wrappers", async () => {
  const admin = t.withIdentity(ADMIN);
  const site = { slug: "docs", name: "Docs" };
  await admin.mutation(api.analytics.createSite, {
    ...site,
    writeKey: "wk_docs_site_key_0123456789",
  });
  // Raised inside the component, caught by the app.
  const taken = await admin
    .mutation(api.analytics.createSite, {
      ...site,
      writeKey: "wk_another_key_0123456789",
    })
    .catch(analyticsErrorData);
  expect(taken).toEqual({
    code: "conflict",
    message: 'A site with slug "docs" already exists',
  });
  // Raised by the app-side wrapper.
  const short = await admin
    .mutation(api.analytics.createSite, {
      slug: "x",
      name: "X",
      writeKey: "wk",
    })
    .catch(analyticsErrorData);
  expect(short).toEqual({
    code: "invalid_argument",
    message: "A write key needs at least 16 characters",
  });
  vi.stubEnv("ANALYTICS_WRITE_KEY", "");
  const unset = await admin
    .mutation(api.analytics.provisionSite, site)
    .catch(analyticsErrorData);
  expect(unset).toEqual({
    code: "not_configured",
    message:
      "Set the ANALYTICS_WRITE_KEY environment variable to the site's write key",
  });
});

test("settingsThatDiffer compares what is stored, reading a missing visitorIdentity as the device default", () => {
  const site = {
    _id: "s1",
    _creationTime: 0,
    slug: "shop",
    name: "Shop",
    status: "active" as const,
    allowedOrigins: ["https://a.example"],
    timezone: "UTC",
    sessionTimeoutMs: 1_800_000,
    rawEventRetentionDays: 90,
    hourlyRollupRetentionDays: 400,
    rollupShardCount: 4,
  };
  expect(
    settingsThatDiffer(site, {
      visitorIdentity: "device",
      name: "Shop",
      allowedOrigins: ["https://a.example"],
    }),
  ).toEqual([]);
  expect(
    settingsThatDiffer(site, {
      visitorIdentity: "cookieless",
      rollupShardCount: 8,
      timezone: undefined,
    }),
  ).toEqual(["rollupShardCount", "visitorIdentity"]);
});
