/** How many raw keys one isolate remembers the hash of. */
export const HASH_CACHE_SIZE = 256;

const cache = new Map<string, string>();

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * SHA-256 of a write key, hex encoded: the only form of the key the
 * component ever stores or sees. Results are cached per isolate in a small
 * bounded map (the key itself is not a secret from this process).
 */
export async function hashWriteKey(writeKey: string): Promise<string> {
  const cached = cache.get(writeKey);
  if (cached !== undefined) return cached;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(writeKey),
  );
  const hash = toHex(digest);
  if (cache.size >= HASH_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  cache.set(writeKey, hash);
  return hash;
}

/** For tests: how many hashes the cache holds now. */
export function hashCacheSize(): number {
  return cache.size;
}
