/**
 * Cookieless counting, component side: daily salts (one per site and local
 * day, race-safe, pruned a day after the day ends) and what the tables hold
 * after the real ingest route has handled cookieless requests.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import schema from "./schema.js";
import { DAY_MS, HOUR_MS, floorToLocalDay, nextLocalDay } from "./lib/time.js";
import { SALT_PRUNE_PAGE } from "./salts.js";
import { drain, setupComponent, type TestInstance } from "./testing/setup.js";
import { ingestFromHttp } from "../client/http.js";
import { hashWriteKey } from "../client/hash.js";
import { runCleanup } from "../client/maintenance.js";

const RAW_KEY = "wk_cookieless_0123456789";
const CHROME =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36";
const candidate = (digit: string) => digit.repeat(64);

async function createSite(
  t: TestInstance,
  slug: string,
  settings: Record<string, unknown> = {},
) {
  return await t.mutation(api.sites.createSite, {
    slug,
    name: slug,
    writeKeyHash: await hashWriteKey(`${RAW_KEY}-${slug}`),
    visitorIdentity: "cookieless",
    ...settings,
  });
}

/** What an HTTP action's ctx offers the route, backed by this test instance (the component is the app here). */
function routeCtx(t: TestInstance) {
  return { runQuery: t.query, runMutation: t.mutation } as never;
}

async function post(
  t: TestInstance,
  slug: string,
  ip: string | null,
  events: unknown[],
) {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": CHROME,
    "x-analytics-write-key": `${RAW_KEY}-${slug}`,
  };
  if (ip) headers["x-forwarded-for"] = ip;
  const request = new Request(
    "https://deployment.convex.site/analytics/ingest",
    {
      method: "POST",
      headers,
      body: JSON.stringify({ context: { timezone: "Europe/Berlin" }, events }),
    },
  );
  return await ingestFromHttp(routeCtx(t), api as never, request, {
    rateLimit: false,
  });
}

/** Every document of every component table, bytes as hex, one string per document. */
async function dumpAllTables(t: TestInstance): Promise<string[]> {
  const hex = (bytes: ArrayBuffer) =>
    [...new Uint8Array(bytes)]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
  const docs: string[] = [];
  for (const table of Object.keys(schema.tables)) {
    const rows = await t.run(
      async (ctx) => await ctx.db.query(table as never).collect(),
    );
    for (const row of rows)
      docs.push(
        JSON.stringify(row, (_key, value) =>
          value instanceof ArrayBuffer ? hex(value) : value,
        ),
      );
  }
  return docs;
}

beforeEach(() => {
  vi.useFakeTimers();
  // 21:30 UTC on 2 Nov 2026 is 22:30 in Berlin; 16:30 in New York.
  vi.setSystemTime(Date.UTC(2026, 10, 2, 21, 30));
});
afterEach(() => {
  vi.useRealTimers();
});

describe("daily salts", () => {
  test("one salt per site and local day, whoever asks first; a new local day gets a new one", async () => {
    const t = setupComponent();
    const siteId = await createSite(t, "ny", { timezone: "America/New_York" });
    const other = await createSite(t, "berlin", { timezone: "Europe/Berlin" });
    const [first, second] = await Promise.all([
      t.mutation(api.salts.ensureDaySalt, {
        siteId,
        candidate: candidate("1"),
      }),
      t.mutation(api.salts.ensureDaySalt, {
        siteId,
        candidate: candidate("2"),
      }),
    ]);
    expect(second).toEqual(first);
    expect(first.dayStart).toBe(
      floorToLocalDay(Date.now(), "America/New_York"),
    );
    expect(
      await t.query(api.salts.getDaySalt, { siteId, dayStart: first.dayStart }),
    ).toEqual(first);
    const berlin = await t.mutation(api.salts.ensureDaySalt, {
      siteId: other,
      candidate: candidate("3"),
    });
    expect(berlin.salt).toBe(candidate("3"));
    expect(berlin.dayStart).toBe(floorToLocalDay(Date.now(), "Europe/Berlin"));

    // 05:30 UTC next morning: still 2 Nov in New York (00:30 on the 3rd is later), a new day in Berlin.
    vi.setSystemTime(Date.UTC(2026, 10, 3, 3, 30));
    expect(
      await t.mutation(api.salts.ensureDaySalt, {
        siteId,
        candidate: candidate("4"),
      }),
    ).toEqual(first);
    const nextBerlin = await t.mutation(api.salts.ensureDaySalt, {
      siteId: other,
      candidate: candidate("5"),
    });
    expect(nextBerlin).toEqual({
      dayStart: nextLocalDay(berlin.dayStart, "Europe/Berlin"),
      salt: candidate("5"),
    });
    expect(
      await t.run(
        async (ctx) => (await ctx.db.query("dailySalts").collect()).length,
      ),
    ).toBe(3);
    await expect(
      t.mutation(api.salts.ensureDaySalt, { siteId, candidate: "not-hex" }),
    ).rejects.toThrow(/64 hex/);
  });

  test("a salt is deleted a day after its local day ends, by the cleanup cron's path", async () => {
    const t = setupComponent();
    const siteId = await createSite(t, "ny", { timezone: "America/New_York" });
    const { dayStart } = await t.mutation(api.salts.ensureDaySalt, {
      siteId,
      candidate: candidate("7"),
    });
    const dayEnd = nextLocalDay(dayStart, "America/New_York");
    const cleanupCtx = { runMutation: t.mutation } as never;

    vi.setSystemTime(dayEnd + DAY_MS - 1);
    await runCleanup(cleanupCtx, api as never);
    await drain(t);
    expect(await t.query(api.salts.getDaySalt, { siteId, dayStart })).toEqual({
      dayStart,
      salt: candidate("7"),
    });

    vi.setSystemTime(dayEnd + DAY_MS + 1);
    await runCleanup(cleanupCtx, api as never);
    await drain(t);
    expect(
      await t.query(api.salts.getDaySalt, { siteId, dayStart }),
    ).toBeNull();
  });

  test("pruning works in bounded pages that continue themselves", async () => {
    const t = setupComponent();
    const siteId = await createSite(t, "many");
    const count = SALT_PRUNE_PAGE * 2 + 17;
    await t.run(async (ctx) => {
      for (let i = 0; i < count; i++) {
        await ctx.db.insert("dailySalts", {
          siteId,
          dayStart: i * DAY_MS,
          salt: candidate("9"),
          deleteAfter: i * DAY_MS + 2 * DAY_MS,
        });
      }
    });
    expect(await t.mutation(api.salts.pruneExpiredSalts, {})).toEqual({
      deleted: SALT_PRUNE_PAGE,
    });
    await drain(t);
    expect(
      await t.run(
        async (ctx) => (await ctx.db.query("dailySalts").collect()).length,
      ),
    ).toBe(0);
  });
});

describe("the ingest route in cookieless mode", () => {
  test("no table holds the IP, and nothing of a deleted day's salt is left anywhere", async () => {
    const t = setupComponent();
    const siteId = await createSite(t, "shop", { timezone: "Europe/Berlin" });
    const ip = "198.51.100.23";
    const first = await post(t, "shop", `${ip}, 10.0.0.1`, [
      { type: "pageview", path: "/", eventId: "e-1" },
    ]);
    expect(first.status).toBe(202);
    const dayOne = await t.run(
      async (ctx) => (await ctx.db.query("dailySalts").collect())[0],
    );
    expect(dayOne.siteId).toBe(siteId);

    // The next local day (Berlin), same IP and browser.
    vi.setSystemTime(Date.UTC(2026, 10, 3, 9));
    expect(
      (
        await post(t, "shop", ip, [
          { type: "pageview", path: "/pricing", eventId: "e-2" },
        ])
      ).status,
    ).toBe(202);
    await vi.advanceTimersByTimeAsync(10_000);
    await drain(t);

    const events = await t.run(
      async (ctx) => await ctx.db.query("events").collect(),
    );
    expect(events.map((e) => e.path)).toEqual(["/", "/pricing"]);
    expect(events[0].visitorId).toMatch(/^[0-9a-f]{32}$/);
    expect(events[1].visitorId).not.toBe(events[0].visitorId); // another day, another visitor
    expect(events[0].sessionId).toBe(events[0].visitorId);

    const before = await dumpAllTables(t);
    expect(before.some((doc) => doc.includes(dayOne.salt))).toBe(true); // the probe finds a salt while it exists

    // A day after day one ended, the cleanup cron deletes its salt.
    vi.setSystemTime(dayOne.deleteAfter + HOUR_MS);
    await runCleanup({ runMutation: t.mutation } as never, api as never);
    await drain(t);
    const after = await dumpAllTables(t);
    expect(after.length).toBeGreaterThan(5);
    for (const doc of after) {
      expect(doc).not.toContain(ip);
      expect(doc).not.toContain("198.51.100");
      expect(doc).not.toContain(dayOne.salt);
    }
    expect(
      await t.query(api.salts.getDaySalt, {
        siteId,
        dayStart: dayOne.dayStart,
      }),
    ).toBeNull();
  });

  test("a cookieless request without a usable IP gets a clear 400 and writes nothing", async () => {
    const t = setupComponent();
    await createSite(t, "shop");
    for (const ip of [null, "unknown", "not-an-ip, also-not"]) {
      const response = await post(t, "shop", ip, [
        { type: "pageview", path: "/" },
      ]);
      expect(response.status).toBe(400);
      expect((await response.json()).error).toMatch(
        /without cookies.*IP address.*x-forwarded-for/,
      );
    }
    expect(
      await t.run(
        async (ctx) => (await ctx.db.query("events").collect()).length,
      ),
    ).toBe(0);
    expect(
      await t.run(
        async (ctx) => (await ctx.db.query("dailySalts").collect()).length,
      ),
    ).toBe(0);
  });
});
