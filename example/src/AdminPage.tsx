import { useQuery } from "convex/react";
import { Dashboard } from "convex-analytics/react";
import { api } from "../convex/_generated/api";
import { ExportPanel } from "./ExportPanel";

/**
 * The admin page: the drop-in dashboard over the app's authenticated report
 * queries (its drill-down panel pages `listSessions` & co.), and the app's
 * own paged list of raw events below it.
 */
export function AdminPage() {
  const sites = useQuery(api.analytics.listSites, {});
  if (sites === undefined) return <p>Loading…</p>;
  if (sites.length === 0)
    return <p>No site yet: run `provisionSite` (see the README).</p>;
  const site = sites[0];
  return (
    <>
      <Dashboard
        api={api.analytics}
        siteId={site._id}
        timezone={site.timezone}
        title={site.name}
        setup={{ writeKey: import.meta.env.VITE_ANALYTICS_WRITE_KEY as string }}
      />
      <ExportPanel siteId={site._id} />
    </>
  );
}
