/**
 * Every error the component raises on purpose carries `{ code, message }`
 * (README, "Errors"): one call per code, through the public functions.
 */
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import { ConvexError } from "convex/values";
import { api } from "./_generated/api.js";
import { analyticsErrorData } from "./lib/errors.js";
import { LIMITS } from "./lib/limits.js";
import {
  createTestSite,
  setupComponent,
  WRITE_KEY_HASH,
  type TestInstance,
} from "./testing/setup.js";

const NOW = Date.UTC(2026, 3, 14, 9, 30);
const HOUR = 3_600_000;
let t: TestInstance;
let siteId: string;

beforeEach(async () => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  t = setupComponent();
  siteId = await createTestSite(t, {
    allowedOrigins: ["https://shop.example"],
  });
});
afterEach(() => vi.useRealTimers());

/** The `{ code, message }` a call failed with (the test fails if it did not fail). */
async function failureOf(call: Promise<unknown>) {
  const error = await call.then(
    () => new Error("expected the call to fail"),
    (thrown: unknown) => thrown,
  );
  const data = analyticsErrorData(error);
  expect(data, String(error)).not.toBeNull();
  return data!;
}

const pageview = { type: "pageview", path: "/" } as const;
const batch = (extra: object = {}) => ({
  writeKeyHash: WRITE_KEY_HASH,
  origin: "https://shop.example",
  visitorId: "v1",
  sessionId: "s1",
  events: [pageview],
  ...extra,
});

test("invalid_argument: a malformed argument", async () => {
  expect(
    await failureOf(
      t.mutation(api.ingest.ingestBatch, batch({ visitorId: "" })),
    ),
  ).toMatchObject({
    code: "invalid_argument",
    message: expect.stringMatching(/visitorId/),
  });
  expect(
    await failureOf(
      t.query(api.analytics.getOverview, { siteId, from: NOW, to: NOW }),
    ),
  ).toEqual({
    code: "invalid_argument",
    message: "The range is empty: `to` must be after `from`",
  });
  expect(
    await failureOf(
      t.mutation(api.sites.updateSite, { siteId, timezone: "Mars/Base" }),
    ),
  ).toEqual({
    code: "invalid_argument",
    message: 'timezone "Mars/Base" is not an IANA time zone',
  });
  expect(
    await failureOf(
      t.query(api.analytics.exportEvents, {
        siteId,
        cursor: "not a cursor",
        numItems: 10,
      }),
    ),
  ).toMatchObject({ code: "invalid_argument" });
});

test("limit_exceeded: more than a documented limit", async () => {
  const tooMany = Array.from(
    { length: LIMITS.maxEventsPerBatch + 1 },
    () => pageview,
  );
  expect(
    await failureOf(
      t.mutation(api.ingest.ingestBatch, batch({ events: tooMany })),
    ),
  ).toEqual({
    code: "limit_exceeded",
    message: `A batch holds at most 50 events; got 51`,
  });
  expect(
    await failureOf(
      t.query(api.analytics.getOverview, {
        siteId,
        from: NOW - 801 * 24 * HOUR,
        to: NOW,
      }),
    ),
  ).toEqual({
    code: "limit_exceeded",
    message: "The range is longer than 800 days",
  });
});

test("unauthorized and forbidden: the write key and the origin", async () => {
  expect(
    await failureOf(
      t.mutation(
        api.ingest.ingestBatch,
        batch({ writeKeyHash: "b".repeat(64) }),
      ),
    ),
  ).toEqual({ code: "unauthorized", message: "Unknown or disabled write key" });
  expect(
    await failureOf(
      t.mutation(
        api.ingest.ingestBatch,
        batch({ origin: "https://elsewhere.example" }),
      ),
    ),
  ).toEqual({
    code: "forbidden",
    message: "Origin https://elsewhere.example is not allowed for this site",
  });
});

test("not_found: a site id that names no site", async () => {
  expect(
    await failureOf(
      t.query(api.analytics.getOverview, {
        siteId: "nope",
        from: NOW - HOUR,
        to: NOW,
      }),
    ),
  ).toEqual({ code: "not_found", message: "Unknown site nope" });
});

test("conflict: a slug or write key another site uses", async () => {
  const other = {
    slug: "other",
    name: "Other",
    writeKeyHash: "c".repeat(64),
  };
  expect(
    await failureOf(
      t.mutation(api.sites.createSite, { ...other, slug: "test-site" }),
    ),
  ).toEqual({
    code: "conflict",
    message: 'A site with slug "test-site" already exists',
  });
  expect(
    await failureOf(
      t.mutation(api.sites.createSite, {
        ...other,
        writeKeyHash: WRITE_KEY_HASH,
      }),
    ),
  ).toEqual({
    code: "conflict",
    message: "That write key is already used by another site",
  });
});

test("analyticsErrorData reads only the component's errors", () => {
  expect(analyticsErrorData(new Error("plain"))).toBeNull();
  expect(analyticsErrorData(new ConvexError("a string"))).toBeNull();
  expect(
    analyticsErrorData(new ConvexError({ code: "teapot", message: "no" })),
  ).toBeNull();
  expect(
    analyticsErrorData(
      new ConvexError({ code: "not_found", message: "Unknown site x" }),
    ),
  ).toEqual({ code: "not_found", message: "Unknown site x" });
});
