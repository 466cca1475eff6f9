import { expect, test } from "vitest";
import { HASH_CACHE_SIZE, hashCacheSize, hashWriteKey } from "./hash.js";

test("write keys hash to hex SHA-256, through a bounded cache", async () => {
  // Known vector: SHA-256("abc").
  expect(await hashWriteKey("abc")).toBe(
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  for (let i = 0; i < HASH_CACHE_SIZE * 2; i++) await hashWriteKey(`key-${i}`);
  expect(hashCacheSize()).toBe(HASH_CACHE_SIZE);
  expect(await hashWriteKey("abc")).toBe(
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});
