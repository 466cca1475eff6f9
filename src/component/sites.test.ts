import { expect, test } from "vitest";
import { api } from "./_generated/api.js";
import { setupComponent } from "./testing/setup.js";

const KEY = "c".repeat(64);
const base = { slug: "docs", name: "Docs", writeKeyHash: KEY };

test("createSite validates its settings with clear errors", async () => {
  const t = setupComponent();
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ slug: "Not A Slug" }, /slug/],
    [{ slug: "-dash" }, /slug/],
    [{ timezone: "Mars/Base" }, /not an IANA time zone/],
    [{ rollupShardCount: 0 }, /rollupShardCount/],
    [{ rollupShardCount: 65 }, /rollupShardCount/],
    [{ rawEventRetentionDays: 0 }, /rawEventRetentionDays/],
    [{ hourlyRollupRetentionDays: 0.5 }, /hourlyRollupRetentionDays/],
    [{ sessionTimeoutMs: 1_000 }, /sessionTimeoutMs/],
    [{ allowedOrigins: ["example.com"] }, /allowed origin/],
    [{ writeKeyHash: "short" }, /SHA-256/],
    [{ name: " " }, /name/],
  ];
  for (const [override, message] of bad) {
    await expect(
      t.mutation(api.sites.createSite, { ...base, ...override } as never),
      JSON.stringify(override),
    ).rejects.toThrow(message);
  }
  expect(await t.query(api.sites.listSites, {})).toEqual([]);
});

test("defaults, uniqueness, ensureSite idempotency, updates and key rotation", async () => {
  const t = setupComponent();
  const siteId = await t.mutation(api.sites.createSite, {
    ...base,
    timezone: "Asia/Kolkata",
    rollupShardCount: 64,
  });
  const site = await t.query(api.sites.getSite, { siteId });
  expect(site).toMatchObject({
    slug: "docs",
    timezone: "Asia/Kolkata",
    rollupShardCount: 64,
    status: "active",
    sessionTimeoutMs: 1_800_000,
    rawEventRetentionDays: 90,
  });
  expect(site).not.toHaveProperty("writeKeyHash");
  await expect(t.mutation(api.sites.createSite, base)).rejects.toThrow(
    /already exists/,
  );
  await expect(
    t.mutation(api.sites.createSite, { ...base, slug: "other" }),
  ).rejects.toThrow(/already used/);
  expect(
    await t.mutation(api.sites.ensureSite, { ...base, name: "Ignored" }),
  ).toEqual({ siteId, created: false });
  const second = await t.mutation(api.sites.ensureSite, {
    ...base,
    slug: "blog",
    writeKeyHash: "d".repeat(64),
  });
  expect(second.created).toBe(true);
  await t.mutation(api.sites.updateSite, {
    siteId,
    dailyRollupRetentionDays: 730,
    status: "disabled",
  });
  expect(
    await t.query(api.sites.getSiteBySlug, { slug: "docs" }),
  ).toMatchObject({ dailyRollupRetentionDays: 730, status: "disabled" });
  await expect(
    t.mutation(api.sites.updateSite, { siteId, timezone: "Nowhere/City" }),
  ).rejects.toThrow(/IANA/);
  expect(
    await t.mutation(api.sites.rotateWriteKey, {
      siteId,
      writeKeyHash: KEY,
      onlyIfChanged: true,
    }),
  ).toBe(false);
  expect(
    await t.mutation(api.sites.rotateWriteKey, {
      siteId,
      writeKeyHash: "e".repeat(64),
    }),
  ).toBe(true);
  await expect(
    t.mutation(api.sites.rotateWriteKey, {
      siteId,
      writeKeyHash: "d".repeat(64),
    }),
  ).rejects.toThrow(/already used/);
  expect((await t.query(api.sites.listSites, {})).map((s) => s.slug)).toEqual([
    "docs",
    "blog",
  ]);
  expect(await t.query(api.sites.getSite, { siteId: "not-an-id" })).toBeNull();
});

test("a site records its visitor counting and the time it last switched", async () => {
  const t = setupComponent();
  const siteId = await t.mutation(api.sites.createSite, base);
  const created = await t.query(api.sites.getSite, { siteId });
  expect(created?.visitorIdentity).toBe("device");
  expect(created).not.toHaveProperty("visitorIdentitySince");
  await t.mutation(api.sites.updateSite, {
    siteId,
    visitorIdentity: "device",
    name: "Renamed",
  });
  expect(await t.query(api.sites.getSite, { siteId })).not.toHaveProperty(
    "visitorIdentitySince",
  );
  const before = Date.now();
  await t.mutation(api.sites.updateSite, {
    siteId,
    visitorIdentity: "cookieless",
  });
  const switched = await t.query(api.sites.getSite, { siteId });
  expect(switched?.visitorIdentity).toBe("cookieless");
  expect(switched!.visitorIdentitySince!).toBeGreaterThanOrEqual(before);
  await expect(
    t.mutation(api.sites.updateSite, {
      siteId,
      visitorIdentity: "cookies" as never,
    }),
  ).rejects.toThrow();
});
