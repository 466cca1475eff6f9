/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type { FunctionReference } from "convex/server";
import type { api } from "./api.js";

/** Every public function of the component, as the parent app sees it. */
type AsComponentFunctions<T, Name extends string | undefined> = {
  [K in keyof T]: T[K] extends FunctionReference<infer Type, "public", infer Args, infer Returns>
    ? FunctionReference<Type, "internal", Args, Returns, Name>
    : AsComponentFunctions<T[K], Name>;
};

/**
 * A utility for referencing a Convex component's exposed API.
 *
 * Useful when expecting a parameter like `components.myComponent`.
 * Usage:
 * ```ts
 * async function myFunction(ctx: QueryCtx, component: ComponentApi) {
 *   return ctx.runQuery(component.someFile.someQuery, { ...args });
 * }
 * ```
 */
export type ComponentApi<Name extends string | undefined = string | undefined> = AsComponentFunctions<
  typeof api,
  Name
>;
