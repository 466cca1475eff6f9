/**
 * `npm run bench:scale`: only the scale-target section (bench/workloads.ts),
 * for W0–W2 (or the workloads named in BENCH_WORKLOADS, e.g. "W0,W1"); a
 * run of all three writes bench/scale-results.md.
 */
import { writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import { Report } from "./report.js";
import { WORKLOADS, buildTemplates, workloadSection } from "./workloads.js";
import { liveSection } from "./live.js";

test(
  "scale targets (W0, W1, W2)",
  async () => {
    const report = new Report();
    const only = process.env.BENCH_WORKLOADS?.split(",");
    const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
    if (process.env.BENCH_SECTION !== "T4")
      await workloadSection(report, "full", log, only);
    if (!only || only.includes("W1")) {
      // T4 (a dashboard left open) is measured at W1.
      const w1 = WORKLOADS.find(
        (w) => w.name === (process.env.BENCH_T4_WORKLOAD ?? "W1"),
      )!;
      await liveSection(report, await buildTemplates(w1, log), w1, log);
    }
    const text = report.text();
    console.log(text);
    if (!only)
      writeFileSync(
        new URL("./scale-results.md", import.meta.url),
        `# Scale targets (npm run bench:scale)\n\n${text}\n`,
      );
    const failed = report.checks
      .filter((c) => !c.pass)
      .map((c) => `${c.label} — ${c.detail}`);
    expect(failed, "targets missed").toEqual([]);
  },
  60 * 60_000,
);
