/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import { vi } from "vitest";
import analyticsTest from "convex-analytics/test";

const appModules = import.meta.glob([
  "../convex/**/*.ts",
  "!../convex/**/*.test.ts",
]);

export const ADMIN = { email: "owner@example.com", name: "Owner" };
export const WRITE_KEY = "wk_example_0123456789abcdef";
export const ORIGIN = "https://shop.example.com";

/** The example app on convex-test, with the component and its children registered. */
export function setupExampleApp() {
  vi.stubEnv("ANALYTICS_ADMINS", ADMIN.email);
  vi.stubEnv("ANALYTICS_WRITE_KEY", WRITE_KEY);
  const t = convexTest({ modules: appModules, transactionLimits: true });
  analyticsTest.register(t);
  return t;
}

export type ExampleApp = ReturnType<typeof setupExampleApp>;

export async function drain(t: ExampleApp) {
  await t.finishAllScheduledFunctions(vi.runAllTimers);
}
