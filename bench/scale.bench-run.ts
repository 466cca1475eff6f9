/**
 * `npm run bench:scale`: only the scale-target section (bench/workloads.ts),
 * for W0–W2 (or the workloads named in BENCH_WORKLOADS, e.g. "W0,W1"), then
 * with 20 goals at W1 and W2, then T4; BENCH_SECTION=T1, goals or T4 runs one
 * part. A run of everything writes bench/scale-results.md.
 */
import { writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import { Report } from "./report.js";
import {
  WORKLOADS,
  buildTemplates,
  goalLoadSection,
  workloadSection,
} from "./workloads.js";
import { liveSection } from "./live.js";

test(
  "scale targets (W0, W1, W2)",
  async () => {
    const report = new Report();
    const only = process.env.BENCH_WORKLOADS?.split(",");
    const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);
    const section = process.env.BENCH_SECTION;
    const baseline =
      section === undefined || section === "T1"
        ? await workloadSection(report, "full", log, only)
        : new Map();
    // T1 with 20 goals (README, "Goals"), at W1 and W2.
    if (section === undefined || section === "goals")
      await goalLoadSection(report, "full", log, baseline, only);
    if (
      (section === undefined || section === "T4") &&
      (!only || only.includes("W1"))
    ) {
      // T4 (a dashboard left open) is measured at W1.
      const w1 = WORKLOADS.find(
        (w) => w.name === (process.env.BENCH_T4_WORKLOAD ?? "W1"),
      )!;
      await liveSection(report, await buildTemplates(w1, log), w1, log);
    }
    const text = report.text();
    console.log(text);
    if (!only && section === undefined)
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
