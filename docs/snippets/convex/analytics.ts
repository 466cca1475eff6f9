// convex/analytics.ts
import type { Auth } from "convex/server";
import {
  exposeAdminApi,
  exposeAnalyticsApi,
  type AuthOperation,
} from "convex-analytics";
import { exposeMaintenanceApi } from "convex-analytics/maintenance";
import { components } from "./_generated/api";

// Your own check: throw to refuse. It gets { operation, siteId }.
async function auth(ctx: { auth: Auth }, { operation }: AuthOperation) {
  const user = await ctx.auth.getUserIdentity();
  if (!user || user.email !== process.env.ANALYTICS_ADMIN)
    throw new Error(`Not allowed: ${operation}`);
}

export const {
  getOverview,
  getTimeseries,
  getLiveReport,
  getRealtime,
  getBotCounts,
  getEventPropertyBreakdown,
  getGoalConversions,
  getGoalBreakdown,
  getEventPropertyKeys,
  getTopPages,
  getTopEntryPages,
  getTopExitPages,
  getTopReferrers,
  getTopSources,
  getTopMediums,
  getTopCampaigns,
  getTopEvents,
  getTopDevices,
  getTopBrowsers,
  getTopOs,
  getTopCountries,
  getTopHostnames,
  getTopTerms,
  getTopContents,
  getTopLanguages,
  getTopScreens,
  listRawEvents,
  listPageviews,
  listSessions,
  listVisitors,
  exportEvents,
} = exposeAnalyticsApi(components.analytics, { auth });
export const {
  createSite,
  provisionSite,
  updateSite,
  rotateWriteKey,
  getSite,
  listSites,
  createGoal,
  updateGoal,
  deleteGoal,
  listGoals,
} = exposeAdminApi(components.analytics, { auth });
export const { cleanup, compact, repair, rebuildRollups } =
  exposeMaintenanceApi(components.analytics); // internal
