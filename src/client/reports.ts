import {
  queryGeneric,
  type GenericDataModel,
  type GenericQueryCtx,
  type RegisteredQuery,
} from "convex/server";
import type { Infer, ObjectType } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import { REPORT_QUERIES, type ReportQueryName } from "../component/validators.js";

/** What `auth` is told about the call it guards. */
export type AuthOperation = { operation: string; siteId?: string };

/** Throws (or rejects) to refuse the call; whatever it throws reaches the caller. */
export type AuthCheck<Ctx> = (ctx: Ctx, operation: AuthOperation) => void | Promise<void>;

type Specs = typeof REPORT_QUERIES;

/**
 * The app-level report queries, named and typed exactly as the component's.
 * (Spelled with RegisteredQuery directly: Convex infers function types from
 * that alias, and an alias of it would hide them.)
 */
export type AnalyticsApi = {
  [K in ReportQueryName]: RegisteredQuery<"public", ObjectType<Specs[K]["args"]>, Promise<Infer<Specs[K]["returns"]>>>;
};

/**
 * Returns public queries for every report and drill-down of the component
 * (`getOverview`, `getTimeseries`, `getTop*`, `list*`, `exportEvents`, …),
 * each of which awaits `auth(ctx, { operation, siteId })` before it reads.
 *
 * ```ts
 * export const { getOverview, getTimeseries, getTopPages } =
 *   exposeAnalyticsApi(components.analytics, { auth: requireAdmin });
 * ```
 */
export function exposeAnalyticsApi<DataModel extends GenericDataModel = GenericDataModel>(
  component: ComponentApi,
  options: { auth: AuthCheck<GenericQueryCtx<DataModel>> },
): AnalyticsApi {
  const entries = (Object.keys(REPORT_QUERIES) as ReportQueryName[]).map((name) => {
    const spec = REPORT_QUERIES[name];
    const wrapped = queryGeneric({
      args: spec.args,
      returns: spec.returns,
      handler: async (ctx: GenericQueryCtx<DataModel>, args: { siteId: string }) => {
        await options.auth(ctx, { operation: name, siteId: args.siteId });
        return await ctx.runQuery(component.analytics[name] as never, args as never);
      },
    });
    return [name, wrapped] as const;
  });
  return Object.fromEntries(entries) as unknown as AnalyticsApi;
}
