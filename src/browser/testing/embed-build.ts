/**
 * Loads scripts/build-embed.mjs for tests. The import path is a variable so
 * TypeScript does not look for declarations of the .mjs file; the type
 * below states what it exports.
 */
export interface EmbedBuild {
  code: string;
  bytes: number;
  gzipBytes: number;
}

export async function buildEmbed(): Promise<EmbedBuild> {
  const path = new URL("../../../scripts/build-embed.mjs", import.meta.url)
    .href;
  const module = (await import(/* @vite-ignore */ path)) as {
    buildEmbed: () => Promise<EmbedBuild>;
  };
  return module.buildEmbed();
}
