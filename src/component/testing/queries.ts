import { api } from "../_generated/api.js";
import type { TopDimension } from "../validators.js";

/** The top-list query of each dimension, for table-driven tests. */
export const TOP_QUERY = {
  page: api.analytics.getTopPages,
  entryPage: api.analytics.getTopEntryPages,
  exitPage: api.analytics.getTopExitPages,
  referrer: api.analytics.getTopReferrers,
  source: api.analytics.getTopSources,
  medium: api.analytics.getTopMediums,
  campaign: api.analytics.getTopCampaigns,
  event: api.analytics.getTopEvents,
  device: api.analytics.getTopDevices,
  browser: api.analytics.getTopBrowsers,
  os: api.analytics.getTopOs,
  country: api.analytics.getTopCountries,
} as const satisfies Record<TopDimension, unknown>;
