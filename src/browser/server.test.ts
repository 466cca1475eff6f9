// @vitest-environment node
import { expect, test } from "vitest";
import { createAnalytics } from "./index.js";

test("outside a browser createAnalytics returns a tracker that does nothing", async () => {
  expect(typeof window).toBe("undefined");
  const analytics = createAnalytics({
    endpoint: "https://app.example/analytics/ingest",
    writeKey: "wk",
  });
  analytics.page();
  analytics.track("signup", { plan: "pro" });
  analytics.identify("u_1");
  analytics.reset();
  await expect(analytics.flush()).resolves.toBeUndefined();
  await expect(analytics.stop()).resolves.toBeUndefined();
});
