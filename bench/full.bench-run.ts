/**
 * The full cost benchmark (`npm run bench`). Prints the table and writes it
 * to bench/results.md; fails if a target line is FAIL.
 */
import { writeFileSync } from "node:fs";
import { expect, test } from "vitest";
import { runBenchmark } from "./run.js";

test(
  "cost benchmark (full)",
  async () => {
    const report = await runBenchmark("full", (line) =>
      process.stderr.write(`[bench] ${line}\n`),
    );
    const text = report.text();
    writeFileSync(new URL("./results.md", import.meta.url), text);
    console.log(text);
    const failed = report.checks
      .filter((c) => !c.pass)
      .map((c) => `${c.label} — ${c.detail}`);
    expect(failed, "targets missed").toEqual([]);
  },
  30 * 60_000,
);
