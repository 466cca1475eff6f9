import { expect, test } from "vitest";
import { checkEvent, cleanProperties, referrerHost } from "./validation.js";
import { LIMITS } from "./limits.js";

const NOW = Date.UTC(2026, 5, 1, 12);
const ok = (e: Parameters<typeof checkEvent>[0], policy = {}) => {
  const r = checkEvent(e, NOW, policy);
  if (!r.ok) throw new Error(r.reason);
  return r.event;
};
const reason = (e: Parameters<typeof checkEvent>[0]) => {
  const r = checkEvent(e, NOW, {});
  return r.ok ? null : r.reason;
};

test("time: future is clamped, missing is arrival, older than 24 h is rejected", () => {
  expect(
    ok({ type: "pageview", path: "/", occurredAt: NOW + 60_000 }).occurredAt,
  ).toBe(NOW);
  expect(ok({ type: "pageview", path: "/" }).occurredAt).toBe(NOW);
  expect(
    ok({ type: "pageview", path: "/", occurredAt: NOW - LIMITS.maxLateMs })
      .occurredAt,
  ).toBe(NOW - LIMITS.maxLateMs);
  expect(
    reason({
      type: "pageview",
      path: "/",
      occurredAt: NOW - LIMITS.maxLateMs - 1,
    }),
  ).toMatch(/24 hours/);
});

test("names: 120 characters pass, 121 are rejected; track needs a name", () => {
  expect(ok({ type: "track", name: "n".repeat(120) }).name.length).toBe(120);
  expect(reason({ type: "track", name: "n".repeat(121) })).toMatch(
    /longer than 120/,
  );
  expect(reason({ type: "track" })).toMatch(/need a name/);
  expect(ok({ type: "pageview", path: "/" }).name).toBe("pageview");
});

test("path, referrer and title are truncated to 2,000 characters", () => {
  const e = ok({
    type: "pageview",
    path: "/" + "p".repeat(3_000),
    referrer: "r".repeat(2_500),
    title: "t".repeat(2_001),
  });
  expect([e.path!.length, e.referrer!.length, e.title!.length]).toEqual([
    2_000, 2_000, 2_000,
  ]);
});

test("properties: 32 keys, 64-character keys, 512-character strings, primitives only", () => {
  const keys = (n: number) =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  expect(cleanProperties(keys(32), {}).ok).toBe(true);
  expect(cleanProperties(keys(33), {})).toMatchObject({
    ok: false,
    reason: expect.stringMatching(/33 keys/),
  });
  expect(cleanProperties({ ["k".repeat(65)]: 1 }, {}).ok).toBe(false);
  expect(cleanProperties({ ["k".repeat(64)]: 1 }, {}).ok).toBe(true);
  const long = cleanProperties({ s: "x".repeat(600) }, {});
  expect(long.ok && long.properties!.s).toHaveLength(512);
  expect(cleanProperties({ a: [1] }, {})).toMatchObject({
    ok: false,
    reason: expect.stringMatching(/array/),
  });
  expect(cleanProperties({ a: { b: 1 } }, {})).toMatchObject({
    ok: false,
    reason: expect.stringMatching(/object/),
  });
  expect(cleanProperties({ a: Number.NaN }, {}).ok).toBe(false);
  expect(cleanProperties({ a: null, b: true, c: 1.5, d: "s" }, {})).toEqual({
    ok: true,
    properties: { a: null, b: true, c: 1.5, d: "s" },
  });
});

test("allow and deny lists filter property keys", () => {
  expect(
    cleanProperties({ plan: "pro", email: "a@b.c" }, { denied: ["email"] }),
  ).toEqual({ ok: true, properties: { plan: "pro" } });
  expect(
    cleanProperties({ plan: "pro", other: 1 }, { allowed: ["plan"] }),
  ).toEqual({ ok: true, properties: { plan: "pro" } });
});

test("identify needs a userId; ids are bounded", () => {
  expect(reason({ type: "identify" })).toMatch(/userId/);
  expect(
    reason({ type: "pageview", path: "/", eventId: "e".repeat(129) }),
  ).toMatch(/eventId/);
});

test("referrer hosts", () => {
  expect(referrerHost("https://www.Google.com/search?q=1")).toBe("google.com");
  expect(referrerHost("not a url")).toBeUndefined();
});
