/**
 * Only the realtime section of the benchmark, at every rate:
 * `BENCH_FILE=bench/realtime.bench-run.ts npm run bench`.
 */
import { expect, test, vi } from "vitest";
import { Report } from "./report.js";
import { realtimeSection } from "./realtime.js";

test(
  "realtime cost (W2 mean, W2 peak, 50,000 events/hour)",
  async () => {
    vi.useFakeTimers();
    try {
      const report = new Report();
      await realtimeSection(report, "full", (line) =>
        process.stderr.write(`[bench] ${line}\n`),
      );
      console.log(report.text());
      const failed = report.checks
        .filter((c) => !c.pass)
        .map((c) => `${c.label} — ${c.detail}`);
      expect(failed, "targets missed").toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  },
  30 * 60_000,
);
