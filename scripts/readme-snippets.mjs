// The README's install and testing snippets are the files under
// docs/snippets/: a fenced ts/tsx block whose first line is `// <path>` for
// which docs/snippets/<path> exists must equal that file, and every file
// there must appear in the README. The packed-install test
// (example/test/packed.test.ts) builds a scratch app from exactly these
// files, so what the README shows is what was typechecked and tested.
//
//   node scripts/readme-snippets.mjs           check (exit 1 on a difference)
//   node scripts/readme-snippets.mjs --write   copy the files into the README
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
export const snippetsDir = join(root, "docs/snippets");
const readmePath = join(root, "README.md");

/** Every snippet file, as `{ path, text }` with `path` relative to docs/snippets. */
export function snippetFiles() {
  const walk = (dir) =>
    readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      return statSync(full).isDirectory() ? walk(full) : [full];
    });
  return walk(snippetsDir)
    .sort()
    .map((full) => ({
      path: relative(snippetsDir, full),
      text: readFileSync(full, "utf8"),
    }));
}

const FENCE = /^```(ts|tsx)\n([\s\S]*?)^```$/gm;

/** The README's fenced blocks that name a snippet file on their first line. */
export function readmeSnippets(readme = readFileSync(readmePath, "utf8")) {
  const files = new Set(snippetFiles().map((file) => file.path));
  const blocks = [];
  for (const match of readme.matchAll(FENCE)) {
    const path = /^\/\/ (\S+)/.exec(match[2])?.[1];
    if (path && files.has(path))
      blocks.push({
        path,
        text: match[2],
        index: match.index,
        length: match[0].length,
        lang: match[1],
      });
  }
  return blocks;
}

/** Differences between the README and the files, as messages (empty: in sync). */
export function checkReadme(readme = readFileSync(readmePath, "utf8")) {
  const blocks = readmeSnippets(readme);
  const problems = [];
  for (const file of snippetFiles()) {
    const shown = blocks.filter((block) => block.path === file.path);
    if (shown.length === 0)
      problems.push(`README.md does not show docs/snippets/${file.path}`);
    for (const block of shown) {
      if (block.text !== file.text)
        problems.push(
          `README.md's block for ${file.path} differs from docs/snippets/${file.path}`,
        );
    }
  }
  return problems;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv.includes("--write")) {
    let readme = readFileSync(readmePath, "utf8");
    const byPath = new Map(
      snippetFiles().map((file) => [file.path, file.text]),
    );
    for (const block of readmeSnippets(readme).reverse()) {
      const fenced = "```" + block.lang + "\n" + byPath.get(block.path) + "```";
      readme =
        readme.slice(0, block.index) +
        fenced +
        readme.slice(block.index + block.length);
    }
    writeFileSync(readmePath, readme);
  }
  const problems = checkReadme();
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) process.exit(1);
  console.log(
    `README.md shows all ${snippetFiles().length} snippet files as they are.`,
  );
}
