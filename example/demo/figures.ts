import type { DashboardReportData } from "convex-analytics/react/report";
import { KPI_CARDS } from "convex-analytics/react";

/** The headline figures exactly as the dashboard's KPI cards format them (the browser test compares these). */
export function headlineFigures(
  data: DashboardReportData,
): Record<string, string> {
  return Object.fromEntries(
    KPI_CARDS.map((kpi) => [kpi.label, kpi.format(data.overview[kpi.metric])]),
  );
}

function table(
  title: string,
  rows: { key: string; count: number; visitors: number }[],
): string {
  const width = Math.max(12, ...rows.map((r) => r.key.length));
  const lines = rows.map(
    (r) =>
      `  ${r.key.padEnd(width)}  ${String(r.count).padStart(7)}  ${String(r.visitors).padStart(8)}`,
  );
  return [
    `${title}`,
    `  ${"".padEnd(width)}  ${"count".padStart(7)}  ${"visitors".padStart(8)}`,
    ...lines,
  ].join("\n");
}

/** A terminal rendering of the report data. */
export function printReport(
  data: DashboardReportData,
  extra: Record<string, string | number>,
): string {
  const figures = headlineFigures(data);
  const out = [
    "",
    `convex-analytics demo — ${new Date(data.range.from).toISOString().slice(0, 16)} to ${new Date(data.range.to).toISOString().slice(0, 16)} UTC`,
    "",
    ...Object.entries(extra).map(([k, v]) => `  ${k}: ${v}`),
    "",
    ...Object.entries(figures).map(([k, v]) => `  ${k.padEnd(20)} ${v}`),
    "",
    table("Top pages", data.topLists.page ?? []),
    "",
    table("Top sources", data.topLists.source ?? []),
    "",
    table("Top browsers", data.topLists.browser ?? []),
    "",
    table("Top countries", data.topLists.country ?? []),
    "",
    table("Top events", data.topLists.event ?? []),
    "",
  ];
  return out.join("\n");
}
