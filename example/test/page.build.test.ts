// @vitest-environment node
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { expect, test } from "vitest";

test("the example's Vite page (product page + admin dashboard) builds", async () => {
  const outDir = mkdtempSync(join(tmpdir(), "example-page-"));
  await build({
    configFile: "example/vite.config.ts",
    logLevel: "silent",
    build: { outDir, emptyOutDir: true },
  });
  const assets = readdirSync(join(outDir, "assets"));
  const bundle = readFileSync(
    join(
      outDir,
      "assets",
      assets.find((f) => f.endsWith(".js"))!,
    ),
    "utf8",
  );
  // The tracker and the dashboard both made it into the page.
  expect(bundle).toContain("/analytics/ingest");
  expect(bundle).toContain("ca-dashboard");
}, 120_000);
