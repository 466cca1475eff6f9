/**
 * `npm run bench:scale`: only the scale-target section (bench/workloads.ts),
 * for W0–W2 (or the workloads named in BENCH_WORKLOADS, e.g. "W0,W1").
 */
import { expect, test } from "vitest";
import { Report } from "./report.js";
import { workloadSection } from "./workloads.js";

test("scale targets (W0, W1, W2)", async () => {
  const report = new Report();
  const only = process.env.BENCH_WORKLOADS?.split(",");
  await workloadSection(report, "full", (line) => process.stderr.write(`[bench] ${line}\n`), only);
  console.log(report.text());
  const failed = report.checks.filter((c) => !c.pass).map((c) => `${c.label} — ${c.detail}`);
  expect(failed, "targets missed").toEqual([]);
}, 60 * 60_000);
