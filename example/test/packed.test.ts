// @vitest-environment node
/**
 * The package as a user installs it (README, "Install in your app" and
 * "Testing your app"): `npm pack`, then a scratch Convex app in a temp dir
 * made of exactly the README's snippets (docs/snippets/: convex.config,
 * http, analytics, crons, a React page with <Dashboard>, and the README's
 * test), the tarball installed into it, a typecheck of the app with tsc, and
 * its convex-test suite run through `convex-analytics/test`.
 *
 * It needs `dist/` (`.ci/run` runs `npm run build` before `npm test`); a
 * missing or older-than-src build is rebuilt first. Only the npm registry is
 * reachable in CI and the machine is small, so the tarball is installed with
 * `--prefer-offline` (its few dependencies come from the npm cache `npm ci`
 * filled) and without peer dependencies; the peers and the tools (convex,
 * react, typescript, vitest, convex-test, …) are linked from this
 * repository's node_modules, as they would be installed next to it in an app.
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, expect, test } from "vitest";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../", import.meta.url));
const snippets = join(repo, "docs/snippets");

/** Linked from this repository instead of installed: the package's peers and the app's dev tools. */
const LINKED = [
  "convex",
  "react",
  "react-dom",
  "@types/react",
  "@types/react-dom",
  "@types/node",
  "typescript",
  "vitest",
  "vite",
  "convex-test",
  "@edge-runtime/vm",
];

/** Child processes must not think they run inside this vitest. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env))
    if (key.startsWith("VITEST") || key === "NODE_ENV" || key === "TEST")
      delete env[key];
  return env;
}

async function sh(
  file: string,
  args: string[],
  cwd: string,
  timeout = 120_000,
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd,
      env: childEnv(),
      timeout,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as {
      code?: number;
      stdout?: string;
      stderr?: string;
      message: string;
    };
    return {
      code: typeof e.code === "number" ? e.code : 1,
      output: `${e.stdout ?? ""}${e.stderr ?? ""}${e.message}`,
    };
  }
}

function newestMtime(dir: string, keep: (path: string) => boolean): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    const stat = statSync(full);
    if (stat.isDirectory()) newest = Math.max(newest, newestMtime(full, keep));
    else if (keep(full)) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

/** `convex/_generated/` of the scratch app, in the form `convex codegen` writes (it needs a deployment). */
function writeGenerated(app: string) {
  const generated = join(app, "convex/_generated");
  mkdirSync(generated, { recursive: true });
  for (const file of ["server.ts", "dataModel.ts"])
    cpSync(
      join(repo, "example/convex/_generated", file),
      join(generated, file),
    );
  const modules = readdirSync(join(app, "convex"))
    .filter(
      (name) =>
        name.endsWith(".ts") &&
        !name.endsWith(".test.ts") &&
        name !== "convex.config.ts",
    )
    .map((name) => name.replace(/\.ts$/, ""))
    .sort();
  writeFileSync(
    join(generated, "api.ts"),
    `/* eslint-disable */
// The scratch app's api.ts, in the form \`convex codegen\` writes.
${modules.map((m) => `import type * as ${m} from "../${m}.js";`).join("\n")}
import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
${modules.map((m) => `  ${m}: typeof ${m};`).join("\n")}
}> = anyApi as any;
export const api: FilterApi<typeof fullApi, FunctionReference<any, "public">> = anyApi as any;
export const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">> = anyApi as any;
export const components = componentsGeneric() as unknown as {
  analytics: import("convex-analytics/_generated/component.js").ComponentApi<"analytics">;
};
`,
  );
}

const scratch = mkdtempSync(join(tmpdir(), "convex-analytics-packed-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

test("npm pack → install into a scratch app of the README's snippets → tsc → its convex-test suite passes", async () => {
  const started = Date.now();
  const timings: Record<string, number> = {};
  const lap = (name: string) => {
    timings[name] =
      Date.now() - started - Object.values(timings).reduce((a, b) => a + b, 0);
  };

  // 1. A build no older than the sources.
  const built = existsSync(join(repo, "dist/client/index.js"))
    ? statSync(join(repo, "dist/client/index.js")).mtimeMs
    : 0;
  const sources = newestMtime(
    join(repo, "src"),
    (path) =>
      /\.tsx?$/.test(path) &&
      !/\.test\.tsx?$/.test(path) &&
      !path.includes("/testing/"),
  );
  if (built < sources) {
    const build = await sh("npm", ["run", "build"], repo, 180_000);
    expect(build.code, build.output).toBe(0);
  }
  lap("build");

  // 2. The tarball, and what is in it.
  const pack = await sh(
    "npm",
    ["pack", "--json", "--pack-destination", scratch],
    repo,
  );
  expect(pack.code, pack.output).toBe(0);
  const [packed] = JSON.parse(
    pack.output.slice(
      pack.output.indexOf("["),
      pack.output.lastIndexOf("]") + 1,
    ),
  ) as {
    filename: string;
    files: { path: string }[];
  }[];
  const paths = packed.files.map((file) => file.path);
  for (const path of [
    "LICENSE",
    "CHANGELOG.md",
    "README.md",
    "dist/client/index.js",
    "dist/react/index.d.ts",
    "dist/component/convex.config.js",
    "dist/embed/convex-analytics.min.js",
    "src/test.ts",
  ]) {
    expect(paths, path).toContain(path);
  }
  expect(
    paths.filter(
      (path) =>
        /\.test\.tsx?$|\/testing\//.test(path) && path.startsWith("src/"),
    ),
  ).toEqual([]);
  lap("pack");

  // 3. The scratch app: the README's files, a package.json, tsconfig and vitest config.
  cpSync(snippets, scratch, { recursive: true });
  writeFileSync(
    join(scratch, "package.json"),
    JSON.stringify(
      { name: "scratch-app", private: true, type: "module" },
      null,
      2,
    ),
  );
  writeFileSync(
    join(scratch, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          target: "ESNext",
          lib: ["ES2022", "DOM"],
          module: "ESNext",
          moduleResolution: "Bundler",
          jsx: "react-jsx",
          strict: true,
          skipLibCheck: true,
          isolatedModules: true,
          noEmit: true,
          types: ["node", "vite/client"],
        },
        include: ["convex", "src"],
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(scratch, "vitest.config.ts"),
    `import { defineConfig } from "vitest/config";
export default defineConfig({ test: { environment: "edge-runtime", server: { deps: { inline: ["convex-test"] } } } });
`,
  );
  writeGenerated(scratch);

  // 4. Install the tarball (its own dependencies from the npm cache), then link the rest.
  const install = await sh(
    "npm",
    [
      "install",
      `./${packed.filename}`,
      "--no-save",
      "--no-package-lock",
      "--prefer-offline",
      "--legacy-peer-deps",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
    ],
    scratch,
  );
  expect(install.code, install.output).toBe(0);
  const installed = JSON.parse(
    readFileSync(
      join(scratch, "node_modules/convex-analytics/package.json"),
      "utf8",
    ),
  );
  expect(installed.version).toBe(
    JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).version,
  );
  expect(
    statSync(join(scratch, "node_modules/convex-analytics")).isDirectory(),
  ).toBe(true); // a real install, not a link
  for (const name of LINKED) {
    mkdirSync(dirname(join(scratch, "node_modules", name)), {
      recursive: true,
    });
    symlinkSync(
      join(repo, "node_modules", name),
      join(scratch, "node_modules", name),
      "dir",
    );
  }
  lap("install");

  // 5. The app typechecks against the installed package's types.
  const tsc = await sh(
    process.execPath,
    [join(scratch, "node_modules/typescript/bin/tsc"), "-p", "."],
    scratch,
  );
  expect(tsc.code, tsc.output).toBe(0);
  lap("tsc");

  // 6. The README's test passes in it, through convex-analytics/test.
  const vitest = await sh(
    process.execPath,
    [
      join(scratch, "node_modules/vitest/vitest.mjs"),
      "run",
      "--reporter=verbose",
    ],
    scratch,
  );
  expect(vitest.code, vitest.output).toBe(0);
  expect(vitest.output).toMatch(/a pageview reaches the overview/);
  expect(vitest.output).toMatch(/1 passed/);
  lap("vitest");
  console.log(`packed install: ${JSON.stringify(timings)} ms`);
}, 300_000);
