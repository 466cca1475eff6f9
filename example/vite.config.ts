import { defineConfig } from "vite";
import { fileURLToPath } from "node:url";

const src = (path: string) =>
  fileURLToPath(new URL(`../src/${path}`, import.meta.url));

// The page imports the package by name; in this repository that is the source.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  resolve: {
    alias: [
      {
        find: /^convex-analytics\/browser$/,
        replacement: src("browser/index.ts"),
      },
      { find: /^convex-analytics\/react$/, replacement: src("react/index.ts") },
    ],
  },
});
