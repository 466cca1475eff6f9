/**
 * Only the realtime section of the benchmark, at every rate:
 * `BENCH_FILE=bench/realtime.bench-run.ts npm run bench` (with
 * `BENCH_MODE=quick`, only what the quick benchmark in `npm test` runs).
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
      const mode = process.env.BENCH_MODE === "quick" ? "quick" : "full";
      await realtimeSection(report, mode, (line) =>
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
  60 * 60_000,
);
