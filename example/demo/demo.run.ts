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
      "wall time": `${((performance.now() - started) / 1000).toFixed(1)} s`,
    }),
  );
}, 600_000);
