// @vitest-environment node
/**
 * The demo's static report in a real browser: headless Chromium opens the
 * HTML the demo wrote, at desktop and phone widths, and the numbers a person
 * sees must be the demo's figures. Screenshots go to .test-output/.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { beforeAll, expect, test } from "vitest";
import { KPI_CARDS, formatNumber, formatPercent } from "convex-analytics/react";
import { runDemo } from "../demo/demo";

const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = `${process.cwd()}/.test-output/`;
const runnable = existsSync(CHROMIUM) || !!process.env.CI;
if (!runnable)
  console.warn(
    `report browser test skipped: ${CHROMIUM} missing (apt-get install -y chromium)`,
  );

let demo: Awaited<ReturnType<typeof runDemo>>;

beforeAll(async () => {
  demo = await runDemo({ visitors: 150, outputDir: `${OUTPUT}demo/` });
}, 300_000);

test.runIf(runnable).each([
  { width: 1280, height: 900 },
  { width: 360, height: 780 },
])(
  "the report shows the demo's figures at $width px",
  async ({ width, height }) => {
    mkdirSync(OUTPUT, { recursive: true });
    const userDataDir = await mkdtemp(
      join(tmpdir(), "convex-analytics-report-"),
    );
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 60_000,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width, height },
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(15_000);
      await page.goto(`file://${demo.reportPath}`);
      for (const kpi of KPI_CARDS) {
        const shown = await page
          .locator(`[data-metric="${kpi.metric}"] .ca-kpi-value`)
          .first()
          .innerText();
        expect(shown.trim(), kpi.label).toBe(demo.headline[kpi.label]);
      }
      // The top page row shows the same count as the query returned.
      const top = demo.data.topLists.page![0];
      const row = page
        .locator("tr", { has: page.getByText(top.key, { exact: true }) })
        .first();
      expect(await row.innerText()).toContain(formatNumber(top.count));
      // The Goals panel: each goal's rate; Signup (picked) adds its rate to the sources table.
      for (const g of demo.goals.conversions.goals) {
        const rate = page
          .locator(
            `[data-goal="${g.goal.goalId}"] [data-metric="conversionRate"]`,
          )
          .first();
        expect(await rate.innerText(), g.goal.name).toBe(
          formatPercent(g.conversionRate),
        );
      }
      const signup = demo.data.goals!.selectedGoalId!;
      const source = demo.goals.bySource[signup][0];
      const sourceRate = page
        .locator('[data-dimension="source"] tr', {
          has: page.getByText(source.key, { exact: true }),
        })
        .locator('[data-metric="conversionRate"]');
      expect(await sourceRate.innerText()).toBe(
        formatPercent(source.conversionRate),
      );
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - window.innerWidth,
      );
      expect(overflow, "no horizontal scrolling").toBeLessThanOrEqual(0);
      await page.screenshot({
        path: `${OUTPUT}report-${width}.png`,
        fullPage: true,
      });
    } finally {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    }
  },
  120_000,
);

test("the demo's second site counts cookieless, and each report says how its site counts", () => {
  expect(demo.cookieless.data.counting?.visitorIdentity).toBe("cookieless");
  expect(demo.cookieless.visits).toBeGreaterThan(0);
  expect(demo.cookieless.data.overview.visitors).toBeGreaterThan(0);
  expect(readFileSync(demo.cookieless.reportPath, "utf8")).toMatch(
    /data-counting="cookieless"[^>]*>Visitors counted without cookies/,
  );
  expect(readFileSync(demo.reportPath, "utf8")).toContain(
    'data-counting="device"',
  );
});

test("the demo's numbers are the queries' numbers", () => {
  expect(demo.data.overview.events).toBeGreaterThan(500);
  expect(demo.botRequests).toBeGreaterThan(0);
  const pageviews = demo.data.timeseries.reduce((n, b) => n + b.pageviews, 0);
  expect(pageviews).toBe(demo.data.overview.pageviews);
});
