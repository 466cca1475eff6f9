// @vitest-environment node
import { expect, test } from "vitest";
import { buildEmbed } from "./testing/embed-build.js";

/** The budget of the core embed, minified and gzipped. */
const BUDGET_BYTES = 3072;

test("the embed script stays within 3 KB min+gzip", async () => {
  const { code, bytes, gzipBytes } = await buildEmbed();
  console.log(
    `convex-analytics embed: ${bytes} B minified, ${gzipBytes} B min+gzip (budget ${BUDGET_BYTES} B)`,
  );
  expect(code).toMatch(/^"use strict";\(\(\)=>\{/); // an IIFE: no globals but window.ConvexAnalytics
  expect(code).not.toMatch(/\bimport\b|\brequire\(/); // self-contained, no dependency left to load
  expect(gzipBytes).toBeLessThanOrEqual(BUDGET_BYTES);
});
