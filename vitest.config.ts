import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) =>
  fileURLToPath(new URL(`./src/${path}`, import.meta.url));

/** The example app imports the package by name; in this repo that is the source. */
export const packageAliases = [
  {
    find: /^convex-analytics\/maintenance$/,
    replacement: src("client/maintenance.ts"),
  },
  {
    find: /^convex-analytics\/convex\.config$/,
    replacement: src("component/convex.config.ts"),
  },
  { find: /^convex-analytics\/test$/, replacement: src("test.ts") },
  { find: /^convex-analytics\/react$/, replacement: src("react/index.ts") },
  {
    find: /^convex-analytics\/react\/report$/,
    replacement: src("react/report.tsx"),
  },
  { find: /^convex-analytics\/browser$/, replacement: src("browser/index.ts") },
  { find: /^convex-analytics$/, replacement: src("client/index.ts") },
];

export default defineConfig({
  resolve: { alias: packageAliases },
  test: {
    // Convex functions run in an edge-like runtime; DOM tests opt in per file
    // with a `@vitest-environment happy-dom` comment.
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: [
      "src/**/*.test.ts",
      "src/**/*.test.tsx",
      "example/**/*.test.ts",
      "example/**/*.test.tsx",
      "bench/**/*.test.ts",
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
