// convex/analytics.test.ts
/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import analyticsTest from "convex-analytics/test";
import { expect, test, vi } from "vitest";
import { api } from "./_generated/api";

const modules = import.meta.glob("./**/*.ts");

test("a pageview reaches the overview", async () => {
  vi.useFakeTimers();
  vi.stubEnv("ANALYTICS_ADMIN", "me@example.com");
  vi.stubEnv("ANALYTICS_WRITE_KEY", "wk_test_0123456789abcdef");
  const t = convexTest({ modules, transactionLimits: true });
  analyticsTest.register(t); // the component and its workpool and rate limiter
  const admin = t.withIdentity({ email: "me@example.com" });
  const { siteId } = await admin.mutation(api.analytics.provisionSite, {
    slug: "www",
    name: "My site",
  });

  const response = await t.fetch("/analytics/ingest", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-analytics-write-key": "wk_test_0123456789abcdef",
    },
    body: JSON.stringify({
      visitorId: "v1",
      sessionId: "s1",
      events: [{ type: "pageview", path: "/" }],
    }),
  });
  expect(response.status).toBe(202);
  vi.advanceTimersByTime(10_000); // past the few seconds aggregation waits
  await t.finishAllScheduledFunctions(vi.runAllTimers);

  const to = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
  const overview = await admin.query(api.analytics.getOverview, {
    siteId,
    from: to - 86_400_000,
    to,
  });
  expect(overview).toMatchObject({ pageviews: 1, sessions: 1, visitors: 1 });
});
