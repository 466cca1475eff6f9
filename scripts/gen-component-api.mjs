// Writes src/component/_generated/api.ts in the form `convex codegen` does.
// `npx convex codegen` needs a live deployment, which CI cannot reach, so the
// module list is derived from the files here and the output is committed.
// `--check` writes nothing and exits 1 when the committed file differs.
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("../src/component/", import.meta.url).pathname;
const skip = new Set(["schema.ts", "convex.config.ts"]);
function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory())
      return name === "_generated" || name === "testing" ? [] : walk(full);
    if (
      !name.endsWith(".ts") ||
      name.endsWith(".test.ts") ||
      name.endsWith(".d.ts") ||
      skip.has(name)
    )
      return [];
    return [relative(root, full).replace(/\.ts$/, "")];
  });
}
const modules = walk(root).sort();
const ident = (m) => m.replace(/[/.-]/g, "_");
const out = `/* eslint-disable */
/**
 * Generated \`api\` utility.
 *
 * WRITTEN BY \`scripts/gen-component-api.mjs\` (\`npm run codegen\`), in the form
 * \`npx convex codegen\` writes: codegen needs a live deployment, which this
 * repository's CI cannot reach. Do not edit it: after adding, removing or
 * renaming a module of the component, run \`npm run codegen\`. A test checks
 * that this file equals the script's output, and \`npm test\` typechecks the
 * example app against it (README, "Repository layout").
 * @module
 */

${modules.map((m) => `import type * as ${ident(m)} from "../${m}.js";`).join("\n")}

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";

const fullApi: ApiFromModules<{
${modules.map((m) => `  ${m.includes("/") ? JSON.stringify(m) : m}: typeof ${ident(m)};`).join("\n")}
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage:
 * \`\`\`js
 * const myFunctionReference = api.myModule.myFunction;
 * \`\`\`
 */
export const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage:
 * \`\`\`js
 * const myFunctionReference = internal.myModule.myFunction;
 * \`\`\`
 */
export const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
> = anyApi as any;

export const components = componentsGeneric() as unknown as {
  aggregationPool: import("@convex-dev/workpool/_generated/component.js").ComponentApi<"aggregationPool">;
  rateLimiter: import("@convex-dev/rate-limiter/_generated/component.js").ComponentApi<"rateLimiter">;
};
`;
const target = join(root, "_generated/api.ts");
if (process.argv.includes("--check")) {
  if (readFileSync(target, "utf8") !== out) {
    console.error(
      "src/component/_generated/api.ts is out of date: run `npm run codegen`.",
    );
    process.exit(1);
  }
  console.log(`api.ts: up to date (${modules.length} modules)`);
} else {
  writeFileSync(target, out);
  console.log(`api.ts: ${modules.length} modules`);
}
