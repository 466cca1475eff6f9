/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * KEPT BY HAND, in the form `npx convex codegen` writes (codegen needs a live
 * deployment, which this repository's CI cannot reach). It lists the app's modules
 * (`analytics`, `auth`, `crons`, `http`) and the `analytics` component:
 * add a line here when you add a module to `example/convex/`.
 * `npm test` typechecks the example app against the component, so a drift
 * fails there (README, "Repository layout").
 * @module
 */
import type * as analytics from "../analytics.js";
import type * as auth from "../auth.js";
import type * as crons from "../crons.js";
import type * as http from "../http.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
  analytics: typeof analytics;
  auth: typeof auth;
  crons: typeof crons;
  http: typeof http;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = internal.myModule.myFunction;
 * ```
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {
  analytics: import("convex-analytics/_generated/component.js").ComponentApi<"analytics">;
};
