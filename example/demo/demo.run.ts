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
