/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import { vi } from "vitest";
import workpool from "@convex-dev/workpool/test";
import rateLimiter from "@convex-dev/rate-limiter/test";
import schema from "../schema.js";
import { api } from "../_generated/api.js";

export const componentModules = import.meta.glob([
  "../**/*.ts",
  "!../**/*.test.ts",
  "!./**",
]);

/** A convex-test instance with the component as the app, limits enforced. */
export function setupComponent() {
  const t = convexTest({
    schema,
    modules: componentModules,
    transactionLimits: true,
  });
  workpool.register(t as never, "aggregationPool");
  rateLimiter.register(t as never, "rateLimiter");
  return t;
}

export type TestInstance = ReturnType<typeof setupComponent>;

/** Runs every scheduled job (aggregation, follow-ups) to completion. */
export async function drain(t: TestInstance): Promise<void> {
  await t.finishAllScheduledFunctions(vi.runAllTimers);
}

export const WRITE_KEY_HASH = "a".repeat(64);

export async function createTestSite(
  t: TestInstance,
  settings: Record<string, unknown> = {},
) {
  return await t.mutation(api.sites.createSite, {
    slug: "test-site",
    name: "Test site",
    writeKeyHash: WRITE_KEY_HASH,
    ...settings,
  });
}
