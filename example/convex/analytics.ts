import { exposeAdminApi, exposeAnalyticsApi } from "convex-analytics";
import { exposeMaintenanceApi } from "convex-analytics/maintenance";
import { components } from "./_generated/api";
import { requireAnalyticsAdmin } from "./auth";

export const {
  getOverview,
  getTimeseries,
  getLiveReport,
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
  getEventPropertyBreakdown,
  getGoalConversions,
  getGoalBreakdown,
  getEventPropertyKeys,
  getRealtime,
  listRawEvents,
  listPageviews,
  listSessions,
  listVisitors,
  exportEvents,
  getBotCounts,
} = exposeAnalyticsApi(components.analytics, { auth: requireAnalyticsAdmin });

export const {
  createSite,
  ensureSite,
  provisionSite,
  updateSite,
  rotateWriteKey,
  getSite,
  getSiteBySlug,
  listSites,
  createGoal,
  updateGoal,
  deleteGoal,
  listGoals,
} = exposeAdminApi(components.analytics, { auth: requireAnalyticsAdmin });

// Internal: only crons and the dashboard of the deployment can run these.
export const { cleanup, compact, repair, rebuildRollups } =
  exposeMaintenanceApi(components.analytics);
