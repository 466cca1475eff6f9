// @vitest-environment node
// The drift checks of the hand-kept `_generated/` files (README, "Repository
// layout"): `api.ts` must equal what `npm run codegen` writes, and every
// file must say how it was made. The typecheck of the example app
// (`tsc -p example/convex`, part of `npm test`) checks that the types agree.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, test } from "vitest";

const root = new URL("../../", import.meta.url).pathname;

test("_generated/api.ts is what `npm run codegen` writes", () => {
  const out = execFileSync(
    process.execPath,
    ["scripts/gen-component-api.mjs", "--check"],
    { cwd: root, encoding: "utf8" },
  );
  expect(out).toMatch(/up to date/);
});

test("every generated file says what made it and how to regenerate it", () => {
  const api = readFileSync(`${root}src/component/_generated/api.ts`, "utf8");
  expect(api).toContain(
    "WRITTEN BY `scripts/gen-component-api.mjs` (`npm run codegen`)",
  );
  for (const file of ["component.ts", "dataModel.ts", "server.ts"]) {
    const text = readFileSync(
      `${root}src/component/_generated/${file}`,
      "utf8",
    );
    expect(text, file).toContain("KEPT BY HAND");
  }
  for (const file of ["api.ts", "dataModel.ts", "server.ts"]) {
    const text = readFileSync(
      `${root}example/convex/_generated/${file}`,
      "utf8",
    );
    expect(text, file).toContain("KEPT BY HAND");
  }
  for (const dir of ["src/component/_generated", "example/convex/_generated"]) {
    for (const file of ["api.ts", "dataModel.ts", "server.ts"]) {
      expect(
        readFileSync(`${root}${dir}/${file}`, "utf8"),
        `${dir}/${file}`,
      ).not.toContain("AUTOMATICALLY GENERATED");
    }
  }
});
