/**
 * The quick cost benchmark, part of `npm test`: smaller datasets, the same
 * measurements, and a failure for every target line that is not met.
 */
import { expect, test } from "vitest";
import { runBenchmark } from "./run.js";

test("cost benchmark (quick): every target is met", async () => {
  const report = await runBenchmark(
    "quick",
    process.env.BENCH_PRINT
      ? (line) => console.log(`[bench] ${line}`)
      : undefined,
  );
  if (process.env.BENCH_PRINT) console.log(report.text());
  for (const check of report.checks)
    expect(check.pass, `${check.label} — ${check.detail}`).toBe(true);
}, 900_000);
