/** `npm run demo`: runs the demo and prints the dashboard's numbers. */
import { test } from "vitest";
import { printReport } from "./figures";
import { runDemo } from "./demo";

test("demo", async () => {
  const started = performance.now();
  const demo = await runDemo();
  process.stdout.write(
    printReport(demo.data, {
      "simulated visits": demo.visits,
      "events counted": demo.data.overview.events,
      "bot requests filtered": demo.botRequests,
      "HTML report": demo.reportPath,
      counting: "by device (random id in localStorage)",
      "wall time": `${((performance.now() - started) / 1000).toFixed(1)} s`,
    }),
  );
  const { conversions, bySource } = demo.goals;
  const percent = (x: number) => `${(x * 100).toFixed(1)}%`;
  process.stdout.write(
    [
      "",
      `Goals (${conversions.visitors} visitors in the range):`,
      ...conversions.goals.flatMap((g) => [
        `  ${g.goal.name.padEnd(14)} ${g.visitors} converting visitors, ${g.conversions} conversions, rate ${percent(g.conversionRate)}`,
        ...bySource[g.goal.goalId].map(
          (r) =>
            `    from ${r.key.padEnd(22)} ${String(r.converters).padStart(4)} of ${String(r.visitors).padStart(4)} visitors  ${percent(r.conversionRate)}`,
        ),
      ]),
      "",
    ].join("\n"),
  );
  const docs = demo.cookieless;
  process.stdout.write(
    [
      "",
      `Second site, "Example docs": cookieless (visitorIdentity "${docs.data.counting?.visitorIdentity}"): nothing stored in the browser,`,
      "visitors counted once per browser and day (a daily salted hash of IP and user agent), so multi-day visitors are the sum of daily uniques.",
      `  simulated visits: ${docs.visits}`,
      ...Object.entries(docs.headline).map(
        ([k, v]) => `  ${k.padEnd(20)} ${v}`,
      ),
      `  HTML report: ${docs.reportPath}`,
      "",
    ].join("\n"),
  );
}, 600_000);
