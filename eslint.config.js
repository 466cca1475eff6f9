// Lint setup in the shape the official Convex components use (get-convex/
// workpool, rate-limiter …): ESLint's and typescript-eslint's recommended
// rules everywhere, type-aware promise rules where a tsconfig covers the file,
// Convex's own rules for code that runs as Convex functions, and the React
// hooks rules for the dashboard and the example pages.
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import convexPlugin from "@convex-dev/eslint-plugin";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

/** Files a tsconfig of this repository covers, so type-aware rules can run. */
const typedFiles = [
  "src/**/*.{ts,tsx}",
  "bench/**/*.ts",
  "example/**/*.{ts,tsx}",
  "scripts/**/*.d.mts",
  "vitest.config.ts",
];

/** Code that runs as Convex functions (the component and the example app). */
const convexFunctionFiles = [
  "src/component/**/*.ts",
  "example/convex/**/*.ts",
  "docs/snippets/convex/**/*.ts",
];

/** Code that runs in a browser tab. */
const browserFiles = [
  "src/browser/**/*.ts",
  "src/react/**/*.{ts,tsx}",
  "example/src/**/*.{ts,tsx}",
  "example/playground/client.ts",
  "docs/snippets/src/**/*.tsx",
];

// `const { _id, ...rest } = doc` is how the code drops fields, so rest
// siblings are not "unused"; an `_`-prefixed name is unused on purpose.
const unusedVars = [
  "error",
  {
    argsIgnorePattern: "^_",
    varsIgnorePattern: "^_",
    ignoreRestSiblings: true,
  },
];

export default defineConfig(
  globalIgnores([
    "**/dist/",
    "**/_generated/",
    "**/node_modules/",
    "**/.test-output/",
    "**/.demo-output/",
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": unusedVars,
      // `let [a, b] = …` where only `a` is reassigned stays one statement.
      "prefer-const": ["error", { destructuring: "all" }],
    },
  },
  {
    // Scripts, tests, benchmarks and dev servers run under Node.
    files: ["**/*.{js,mjs,cjs,ts,tsx,mts}"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: browserFiles,
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Convex's runtime is a worker-like isolate: no DOM, no Node built-ins.
    files: convexFunctionFiles,
    ignores: ["**/*.test.ts", "**/testing/**"],
    languageOptions: { globals: { ...globals.worker } },
  },
  {
    // One import style in the package: relative imports name the .js file the
    // compiled code will load, as Node's ESM resolution needs.
    files: ["src/**/*.{ts,tsx}"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.{1,2}/(?!.*\\.js$)",
              message: "Relative imports in src/ end in .js.",
            },
          ],
        },
      ],
    },
  },
  {
    files: typedFiles,
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits is a database write that may never happen.
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": [
        "error",
        { checksVoidReturn: { attributes: false } },
      ],
    },
  },
  {
    // The plugin's recommended block targets "**/convex/**"; the component's
    // functions live in src/component, so its rules are applied here by path.
    files: convexFunctionFiles,
    plugins: { "@convex-dev": convexPlugin },
    rules: convexPlugin.configs.recommended[0].rules,
  },
  {
    // The two classic hooks rules. Version 7's "recommended" preset adds the
    // React Compiler's rules, which judge code the compiler would rewrite;
    // this package ships plain React and does not use the compiler.
    files: ["src/react/**/*.{ts,tsx}", "example/**/*.tsx", "docs/**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
    },
  },
);
