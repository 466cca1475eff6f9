/// <reference types="vite/client" />
import type { TestConvex } from "convex-test";
import type { GenericSchema, SchemaDefinition } from "convex/server";
import workpool from "@convex-dev/workpool/test";
import rateLimiter from "@convex-dev/rate-limiter/test";
import schema from "./component/schema.js";

const modules = import.meta.glob([
  "./component/**/*.ts",
  "!./component/**/*.test.ts",
  "!./component/testing/**",
]);

/**
 * Registers convex-analytics and its child components (the aggregation
 * workpool and the rate limiter) with a convex-test instance.
 *
 * @param t - the instance from `convexTest(schema, modules)`.
 * @param name - the name the app gives the component in `app.use`.
 */
export function register(
  t: TestConvex<SchemaDefinition<GenericSchema, boolean>>,
  name: string = "analytics",
) {
  t.registerComponent(name, schema, modules);
  workpool.register(t, `${name}/aggregationPool`);
  rateLimiter.register(t, `${name}/rateLimiter`);
}

export default { register, schema, modules };
