import { defineConfig } from "vitest/config";

/**
 * `npm run bench`: the full cost benchmark only (bench/full.bench-run.ts is
 * not matched by the main config's `bench/**\/*.test.ts`, so `npm test` runs
 * just the quick variant, bench/bench.quick.test.ts).
 */
export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: [process.env.BENCH_FILE ?? "bench/full.bench-run.ts"],
    testTimeout: 30 * 60_000,
    hookTimeout: 30 * 60_000,
    reporters: ["default"],
    // The benchmark prints its own table; keep vitest from interleaving output.
    silent: false,
    fileParallelism: false,
  },
});
