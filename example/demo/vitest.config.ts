import { defineConfig } from "vitest/config";
import { packageAliases } from "../../vitest.config.ts";

/** `npm run demo`: runs only the demo, printing straight to the terminal. */
export default defineConfig({
  resolve: { alias: packageAliases },
  test: {
    include: ["example/demo/demo.run.ts"],
    environment: "node",
    root: new URL("../..", import.meta.url).pathname,
    server: { deps: { inline: ["convex-test"] } },
    disableConsoleIntercept: true,
    reporters: ["dot"],
    testTimeout: 600_000,
  },
});
