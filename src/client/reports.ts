import {
  queryGeneric,
  type GenericDataModel,
  type GenericQueryCtx,
  type RegisteredQuery,
} from "convex/server";
import type { Infer, ObjectType } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import {
  APP_REPORT_QUERIES,
  DRILL_DOWN_QUERY_NAMES,
  type DrillDownQueryName,
  type ReportQueryName,
} from "../component/validators.js";

/** What `auth` is told about the call it guards. */
export type AuthOperation = { operation: string; siteId?: string };

/** Throws (or rejects) to refuse the call; whatever it throws reaches the caller. */
export type AuthCheck<Ctx> = (
  ctx: Ctx,
  operation: AuthOperation,
) => void | Promise<void>;

type Specs = typeof APP_REPORT_QUERIES;

/**
 * The app-level report queries, named and typed as the component's, except
 * that the drill-downs take `paginationOpts` (README, "Report functions").
 * (Spelled with RegisteredQuery directly: Convex infers function types from
 * that alias, and an alias of it would hide them.)
 */
export type AnalyticsApi = {
  [K in ReportQueryName]: RegisteredQuery<
    "public",
    ObjectType<Specs[K]["args"]>,
    Promise<Infer<Specs[K]["returns"]>>
  >;
};

const DRILL_DOWNS: ReadonlySet<string> = new Set<DrillDownQueryName>(
  DRILL_DOWN_QUERY_NAMES,
);

type AppPageArgs = ObjectType<Specs["listRawEvents"]["args"]>;

/**
 * A drill-down's `paginationOpts` as the component's page arguments.
 * `id` (the built-in hook's) and the read limits are not passed on: the
 * component bounds its pages itself (at most 200 rows, README "Report
 * functions").
 */
function componentPageArgs({ paginationOpts, ...range }: AppPageArgs) {
  const { cursor, numItems, endCursor } = paginationOpts;
  return { ...range, cursor, numItems, ...(endCursor ? { endCursor } : {}) };
}

/**
 * Returns public queries for every report and drill-down of the component
 * (`getOverview`, `getTimeseries`, `getTop*`, `list*`, `exportEvents`, …),
 * each of which awaits `auth(ctx, { operation, siteId })` before it reads.
 *
 * ```ts
 * export const { getOverview, getTimeseries, getTopPages } =
 *   exposeAnalyticsApi(components.analytics, { auth: requireAdmin });
 * ```
 *
 * The drill-downs (`listRawEvents`, `listPageviews`, `listSessions`,
 * `listVisitors`, `exportEvents`) take `{ siteId, from?, to?, paginationOpts }`
 * and return a `PaginationResult`. Page them with `usePaginatedQuery` from
 * `convex-helpers/react`, not the one from `convex/react`: the component
 * pages with convex-helpers' `paginator` (index-key cursors; the built-in
 * `.paginate()` is not available inside components), and such a page does
 * not remember where it ended. The built-in hook relies on the server's
 * `.paginate()` journal for that, so as new events arrive its first page
 * would slide and drop a row at the boundary with the second. The
 * convex-helpers hook pins each shown page with `endCursor` when it loads
 * the next one, and splits pages that grew, so no row is skipped or repeated.
 *
 * ```tsx
 * const { results, status, loadMore } = usePaginatedQuery(
 *   api.analytics.listSessions, { siteId }, { initialNumItems: 25 });
 * ```
 */
export function exposeAnalyticsApi<
  DataModel extends GenericDataModel = GenericDataModel,
>(
  component: ComponentApi,
  options: { auth: AuthCheck<GenericQueryCtx<DataModel>> },
): AnalyticsApi {
  const entries = (Object.keys(APP_REPORT_QUERIES) as ReportQueryName[]).map(
    (name) => {
      const spec = APP_REPORT_QUERIES[name];
      const wrapped = queryGeneric({
        args: spec.args,
        returns: spec.returns,
        handler: async (
          ctx: GenericQueryCtx<DataModel>,
          args: { siteId: string },
        ) => {
          await options.auth(ctx, { operation: name, siteId: args.siteId });
          const forwarded = DRILL_DOWNS.has(name)
            ? componentPageArgs(args as AppPageArgs)
            : args;
          return await ctx.runQuery(
            component.analytics[name] as never,
            forwarded as never,
          );
        },
      });
      return [name, wrapped] as const;
    },
  );
  return Object.fromEntries(entries) as unknown as AnalyticsApi;
}
