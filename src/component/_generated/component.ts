/* eslint-disable */
/**
 * Generated `ComponentApi` utility.
 *
 * KEPT BY HAND, in the form `npx convex codegen` writes (codegen needs a live
 * deployment, which this repository's CI cannot reach). It derives every
 * type from `api.ts` (run `npm run codegen` after changing the component's
 * modules); edit it only if the form of Convex's `ComponentApi` changes.
 * `npm test` typechecks the example app against the component, so a drift
 * fails there (README, "Repository layout").
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
