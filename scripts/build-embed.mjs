// Builds the standalone tracker: dist/embed/convex-analytics.min.js, a
// minified IIFE of src/browser/embed.ts. Run directly (`node
// scripts/build-embed.mjs`, part of `npm run build`) or import
// `buildEmbed` from tests, which measure and serve the exact same bytes.
import { build } from "esbuild";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const embedOutputPath = resolve(
  root,
  "dist/embed/convex-analytics.min.js",
);

/**
 * Bundles and minifies the embed. With `write: true` it also writes the file.
 * @param {{ write?: boolean }} [options]
 * @returns {Promise<{ code: string, bytes: number, gzipBytes: number }>}
 */
export async function buildEmbed({ write = false } = {}) {
  const result = await build({
    entryPoints: [resolve(root, "src/browser/embed.ts")],
    bundle: true,
    minify: true,
    format: "iife",
    // Optional chaining and `??` stay native: every browser in use today has them.
    target: "es2020",
    platform: "browser",
    legalComments: "none",
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles[0].text;
  if (write) {
    await mkdir(dirname(embedOutputPath), { recursive: true });
    await writeFile(embedOutputPath, code);
  }
  return {
    code,
    bytes: Buffer.byteLength(code),
    // Level 9 is what static hosts and CDNs typically serve.
    gzipBytes: gzipSync(code, { level: 9 }).length,
  };
}

if (
  process.argv[1] &&
  import.meta.url === pathToFileURL(resolve(process.argv[1])).href
) {
  const { bytes, gzipBytes } = await buildEmbed({ write: true });
  console.log(
    `embed: ${embedOutputPath} ${bytes} B min, ${gzipBytes} B min+gzip`,
  );
}
