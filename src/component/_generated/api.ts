/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * WRITTEN BY `scripts/gen-component-api.mjs` (`npm run codegen`), in the form
 * `npx convex codegen` writes: codegen needs a live deployment, which this
 * repository's CI cannot reach. Do not edit it: after adding, removing or
 * renaming a module of the component, run `npm run codegen`. A test checks
 * that this file equals the script's output, and `npm test` typechecks the
 * example app against it (README, "Repository layout").
 * @module
 */

import type * as aggregateJob from "../aggregateJob.js";
import type * as aggregation from "../aggregation.js";
import type * as analytics from "../analytics.js";
import type * as bots from "../bots.js";
import type * as compactStore from "../compactStore.js";
import type * as compaction from "../compaction.js";
import type * as compactionSweep from "../compactionSweep.js";
import type * as eventExport from "../eventExport.js";
import type * as goalBackfill from "../goalBackfill.js";
import type * as goalReports from "../goalReports.js";
import type * as goals from "../goals.js";
import type * as ingest from "../ingest.js";
import type * as leases from "../leases.js";
import type * as lib_dimensions from "../lib/dimensions.js";
import type * as lib_errors from "../lib/errors.js";
import type * as lib_goals from "../lib/goals.js";
import type * as lib_limits from "../lib/limits.js";
import type * as lib_objects from "../lib/objects.js";
import type * as lib_propertyCap from "../lib/propertyCap.js";
import type * as lib_rangePlan from "../lib/rangePlan.js";
import type * as lib_rollupDelta from "../lib/rollupDelta.js";
import type * as lib_sessions from "../lib/sessions.js";
import type * as lib_settle from "../lib/settle.js";
import type * as lib_sketch from "../lib/sketch.js";
import type * as lib_time from "../lib/time.js";
import type * as lib_topUnits from "../lib/topUnits.js";
import type * as lib_totals from "../lib/totals.js";
import type * as lib_validation from "../lib/validation.js";
import type * as maintenance from "../maintenance.js";
import type * as rangeReports from "../rangeReports.js";
import type * as rangeSources from "../rangeSources.js";
import type * as rateLimits from "../rateLimits.js";
import type * as rawEdges from "../rawEdges.js";
import type * as realtime from "../realtime.js";
import type * as rebuild from "../rebuild.js";
import type * as repair from "../repair.js";
import type * as rollups from "../rollups.js";
import type * as salts from "../salts.js";
import type * as siteSweep from "../siteSweep.js";
import type * as sites from "../sites.js";
import type * as validators from "../validators.js";
import type * as workpool from "../workpool.js";
import type * as writeKeys from "../writeKeys.js";

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
  aggregateJob: typeof aggregateJob;
  aggregation: typeof aggregation;
  analytics: typeof analytics;
  bots: typeof bots;
  compactStore: typeof compactStore;
  compaction: typeof compaction;
  compactionSweep: typeof compactionSweep;
  eventExport: typeof eventExport;
  goalBackfill: typeof goalBackfill;
  goalReports: typeof goalReports;
  goals: typeof goals;
  ingest: typeof ingest;
  leases: typeof leases;
  "lib/dimensions": typeof lib_dimensions;
  "lib/errors": typeof lib_errors;
  "lib/goals": typeof lib_goals;
  "lib/limits": typeof lib_limits;
  "lib/objects": typeof lib_objects;
  "lib/propertyCap": typeof lib_propertyCap;
  "lib/rangePlan": typeof lib_rangePlan;
  "lib/rollupDelta": typeof lib_rollupDelta;
  "lib/sessions": typeof lib_sessions;
  "lib/settle": typeof lib_settle;
  "lib/sketch": typeof lib_sketch;
  "lib/time": typeof lib_time;
  "lib/topUnits": typeof lib_topUnits;
  "lib/totals": typeof lib_totals;
  "lib/validation": typeof lib_validation;
  maintenance: typeof maintenance;
  rangeReports: typeof rangeReports;
  rangeSources: typeof rangeSources;
  rateLimits: typeof rateLimits;
  rawEdges: typeof rawEdges;
  realtime: typeof realtime;
  rebuild: typeof rebuild;
  repair: typeof repair;
  rollups: typeof rollups;
  salts: typeof salts;
  siteSweep: typeof siteSweep;
  sites: typeof sites;
  validators: typeof validators;
  workpool: typeof workpool;
  writeKeys: typeof writeKeys;
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
  aggregationPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"aggregationPool">;
  rateLimiter: import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;
};
