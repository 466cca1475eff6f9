// src/AnalyticsPage.tsx (rendered inside your ConvexProvider)
import { Dashboard } from "convex-analytics/react";
import { api } from "../convex/_generated/api";

export function AnalyticsPage({ siteId }: { siteId: string }) {
  return (
    <Dashboard api={api.analytics} siteId={siteId} timezone="Europe/Berlin" />
  );
}
