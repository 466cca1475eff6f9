/**
 * What 20 goals cost per event (README, "Goals"; SCALE.md's T5 with goals):
 * the quick pipeline's traffic with and without twenty goals defined.
 */
import { expect, test, vi } from "vitest";
import { Report } from "./report.js";
import { goalsSection } from "./scenarios.js";

test("cost benchmark (goals): T5 holds with 20 goals; added documents and bytes per event", async () => {
  const report = new Report();
  vi.useFakeTimers();
  try {
    await goalsSection(report, { sessions: 100, seed: 23 });
  } finally {
    vi.useRealTimers();
  }
  if (process.env.BENCH_PRINT) console.log(report.text());
  for (const check of report.checks)
    expect(check.pass, `${check.label} — ${check.detail}`).toBe(true);
}, 900_000);
