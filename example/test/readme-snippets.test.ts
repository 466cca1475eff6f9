// @vitest-environment node
// The README's install and testing snippets are the files in docs/snippets/
// (which example/test/packed.test.ts installs and tests), so the docs cannot
// drift from what works. `node scripts/readme-snippets.mjs --write` syncs them.
import { expect, test } from "vitest";
import {
  checkReadme,
  readmeSnippets,
  snippetFiles,
} from "../../scripts/readme-snippets.mjs";

type Snippet = { path: string; text: string };

test("the README shows every snippet file exactly as it is", () => {
  const files = (snippetFiles() as Snippet[]).map((file) => file.path);
  expect(files).toEqual([
    "convex/analytics.test.ts",
    "convex/analytics.ts",
    "convex/convex.config.ts",
    "convex/crons.ts",
    "convex/http.ts",
    "src/AnalyticsPage.tsx",
  ]);
  expect(checkReadme()).toEqual([]);
});

test("the check notices a README block that drifted from its file", () => {
  const readme =
    '```ts\n// convex/http.ts\nimport { httpRouter } from "convex/server";\n```\n';
  expect(
    (readmeSnippets(readme) as Snippet[]).map((block) => block.path),
  ).toEqual(["convex/http.ts"]);
  const problems: string[] = checkReadme(readme);
  expect(problems).toContain(
    "README.md's block for convex/http.ts differs from docs/snippets/convex/http.ts",
  );
  expect(problems).toContain(
    "README.md does not show docs/snippets/convex/analytics.ts",
  );
});
