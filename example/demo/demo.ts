/**
 * The end-to-end demo (`npm run demo`): the example app on the embedded
 * convex-test backend, no account or network. It provisions a site, drives
 * the real browser tracker through a week of simulated visits into the HTTP
 * route, runs aggregation and compaction, prints the dashboard's numbers and
 * writes a static HTML report of the dashboard.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { vi } from "vitest";
import {
  renderDashboardHtml,
  type DashboardReportData,
} from "convex-analytics/react/report";
import { TOP_DIMENSIONS, TOP_QUERY_NAMES, type Site } from "convex-analytics";
import { api, internal } from "../convex/_generated/api";
import { ADMIN, drain, setupExampleApp } from "../test/setup";
import { headlineFigures } from "./figures";
import { simulateSites } from "./simulate";

const HOUR = 3_600_000;
export const OUTPUT_DIR = `${process.cwd()}/.demo-output/`;
/** The second site counts cookieless (README, "Privacy and consent"): its tracker stores nothing. */
const DOCS_SITE = {
  origin: "https://docs.example.com",
  writeKey: "wk_docs_cookieless_0123456789",
  storage: "none" as const,
};

/** The part of `getSite` the report shows: how the site counts visitors. */
function countingOf(
  site: Pick<Site, "visitorIdentity" | "visitorIdentitySince"> | null,
): DashboardReportData["counting"] {
  return site
    ? {
        visitorIdentity: site.visitorIdentity,
        visitorIdentitySince: site.visitorIdentitySince,
      }
    : undefined;
}

/**
 * Runs the whole demo and writes its outputs; returns the report data and
 * the headline figures as the dashboard shows them.
 */
export async function runDemo(
  options: { visitors?: number; outputDir?: string } = {},
) {
  const outputDir = options.outputDir ?? OUTPUT_DIR;
  vi.useFakeTimers({
    toFake: [
      "Date",
      "setTimeout",
      "clearTimeout",
      "setInterval",
      "clearInterval",
    ],
  });
  const end = Math.floor(Date.UTC(2026, 10, 28, 14, 20) / HOUR) * HOUR;
  vi.setSystemTime(end - 8 * 86_400_000);
  const t = setupExampleApp();
  const admin = t.withIdentity(ADMIN);
  const { siteId } = await admin.mutation(api.analytics.provisionSite, {
    slug: "shop",
    name: "Example shop",
    allowedOrigins: ["https://shop.example.com"],
  });

  // Two goals (README, "Goals"): a signup event and the pricing page (with or without a query string).
  const goalIds = {
    signup: await admin.mutation(api.analytics.createGoal, {
      siteId,
      name: "Signup",
      eventName: "signup",
    }),
    pricing: await admin.mutation(api.analytics.createGoal, {
      siteId,
      name: "Pricing page",
      pathPattern: "/pricing*",
    }),
  };

  const docsSiteId = await admin.mutation(api.analytics.createSite, {
    slug: "docs",
    name: "Example docs",
    writeKey: DOCS_SITE.writeKey,
    allowedOrigins: [DOCS_SITE.origin],
    visitorIdentity: "cookieless",
  });

  const visitors = options.visitors ?? 450;
  const [visits, docsVisits] = await simulateSites(
    t,
    [
      { visitors, seed: 2026 },
      { visitors: Math.round(visitors / 3), seed: 2027, site: DOCS_SITE },
    ],
    { days: 7, end },
  );
  vi.setSystemTime(end + 5 * 60_000);
  await drain(t);
  await t.mutation(internal.analytics.compact, { since: 0 });
  await drain(t);

  const range = { siteId, from: end - 7 * 24 * HOUR, to: end };
  const topLists = Object.fromEntries(
    await Promise.all(
      TOP_DIMENSIONS.map(async (d) => [
        d,
        await admin.query(api.analytics[TOP_QUERY_NAMES[d]], {
          ...range,
          limit: 10,
        }),
      ]),
    ),
  );
  const goals = await goalFigures(admin, range, goalIds);
  const data: DashboardReportData = {
    goals: {
      conversions: goals.conversions,
      previous: goals.previous,
      selectedGoalId: goalIds.signup,
      rates: { source: goals.rateBySource[goalIds.signup] },
    },
    title: "Example shop — last 7 days",
    range: { from: range.from, to: range.to, interval: "day" },
    timeZone: "UTC",
    overview: await admin.query(api.analytics.getOverview, {
      ...range,
      compare: true,
    }),
    timeseries: await admin.query(api.analytics.getTimeseries, {
      ...range,
      interval: "day",
    }),
    topLists,
    realtime: await admin.query(api.analytics.getRealtime, {
      siteId,
      now: end,
    }),
    propertyBreakdown: {
      eventName: "cta_click",
      propertyKey: "plan",
      rows: await admin.query(api.analytics.getEventPropertyBreakdown, {
        ...range,
        eventName: "cta_click",
        propertyKey: "plan",
      }),
    },
    generatedAt: end,
    counting: countingOf(await admin.query(api.analytics.getSite, { siteId })),
  };
  const docsRange = { ...range, siteId: docsSiteId };
  const docs: DashboardReportData = {
    title: "Example docs (cookieless) — last 7 days",
    range: data.range,
    timeZone: "UTC",
    overview: await admin.query(api.analytics.getOverview, {
      ...docsRange,
      compare: true,
    }),
    timeseries: await admin.query(api.analytics.getTimeseries, {
      ...docsRange,
      interval: "day",
    }),
    topLists: Object.fromEntries(
      await Promise.all(
        TOP_DIMENSIONS.map(async (d) => [
          d,
          await admin.query(api.analytics[TOP_QUERY_NAMES[d]], {
            ...docsRange,
            limit: 10,
          }),
        ]),
      ),
    ),
    generatedAt: end,
    counting: countingOf(
      await admin.query(api.analytics.getSite, { siteId: docsSiteId }),
    ),
  };
  const bots = await admin.query(api.analytics.getBotCounts, range);
  vi.useRealTimers();

  const headline = headlineFigures(data);
  mkdirSync(outputDir, { recursive: true });
  const reportPath = `${outputDir}report.html`;
  writeFileSync(reportPath, renderDashboardHtml(data));
  writeFileSync(
    `${outputDir}figures.json`,
    JSON.stringify({ headline, data }, null, 2),
  );
  const docsReportPath = `${outputDir}docs-report.html`;
  writeFileSync(docsReportPath, renderDashboardHtml(docs));
  return {
    data,
    goals,
    headline,
    reportPath,
    visits,
    botRequests: bots.requests,
    cookieless: {
      data: docs,
      headline: headlineFigures(docs),
      reportPath: docsReportPath,
      visits: docsVisits,
    },
  };
}

/** Each goal's conversions over the range (and the one before) and its conversion rate by source. */
async function goalFigures(
  admin: ReturnType<ReturnType<typeof setupExampleApp>["withIdentity"]>,
  range: { siteId: string; from: number; to: number },
  goalIds: Record<string, string>,
) {
  const conversions = await admin.query(
    api.analytics.getGoalConversions,
    range,
  );
  const previous = await admin.query(api.analytics.getGoalConversions, {
    siteId: range.siteId,
    from: range.from - (range.to - range.from),
    to: range.from,
  });
  const bySource: Record<
    string,
    {
      key: string;
      visitors: number;
      converters: number;
      conversionRate: number;
    }[]
  > = {};
  const rateBySource: Record<string, Record<string, number>> = {};
  for (const goalId of Object.values(goalIds)) {
    const { rows } = await admin.query(api.analytics.getGoalBreakdown, {
      ...range,
      goalId,
      dimension: "source",
    });
    bySource[goalId] = rows;
    rateBySource[goalId] = Object.fromEntries(
      rows.map((r) => [r.key, r.conversionRate]),
    );
  }
  return { conversions, previous, bySource, rateBySource };
}
