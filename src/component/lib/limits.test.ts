// @vitest-environment node
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { EXPORT_SETTLE_MS } from "../eventExport.js";
import { LIMITS } from "./limits.js";

const read = (path: string) =>
  readFileSync(
    fileURLToPath(new URL(`../../../${path}`, import.meta.url)),
    "utf8",
  );
/** "2,000" → 2000. */
const num = (text: string) => Number(text.replace(/,/g, ""));

/** The README's "Limits and bad input" table as { input: limit }. */
function readmeLimits(): Map<string, string> {
  const readme = read("README.md");
  const section = readme.slice(
    readme.indexOf("## Limits and bad input"),
    readme.indexOf("A bad event never costs"),
  );
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    if (cells.length >= 4 && cells[1] && !cells[1].startsWith("---"))
      rows.set(cells[1], cells[2]);
  }
  return rows;
}

test("the README's limits table states the numbers the code enforces", () => {
  const rows = readmeLimits();
  const limit = (input: string) => {
    const value = rows.get(input);
    if (value === undefined)
      throw new Error(`README limits table has no row "${input}"`);
    return value;
  };
  expect(limit("request body")).toBe(`${LIMITS.maxBodyBytes / 1024} KiB`);
  expect(num(limit("events per batch"))).toBe(LIMITS.maxEventsPerBatch);
  expect(limit("event name")).toBe(`${LIMITS.maxEventNameLength} characters`);
  expect(limit("path, referrer, title")).toBe(
    `${LIMITS.maxTextLength.toLocaleString("en-US")} characters`,
  );
  const properties = limit("properties");
  expect(properties).toContain(`${LIMITS.maxPropertyKeys} keys`);
  expect(properties).toContain(
    `key ≤ ${LIMITS.maxPropertyKeyLength} characters`,
  );
  expect(properties).toContain(
    `strings ≤ ${LIMITS.maxPropertyStringLength} characters`,
  );
  expect(
    limit("context values (UTM values, language, screen, time zone)"),
  ).toBe(`${LIMITS.maxContextValueLength} characters`);
  expect(limit("`eventId`")).toContain(`≤ ${LIMITS.maxIdLength} characters`);
  expect(limit("`occurredAt`")).toContain(
    `≥ arrival − ${LIMITS.maxLateMs / 3_600_000} h`,
  );
  expect(limit("`exportEvents` page")).toBe(
    `${LIMITS.maxPageItems} events, and only events older than ${EXPORT_SETTLE_MS / 1000} seconds`,
  );
});

test("the tracker docs state the same lengths", () => {
  const tracker = read("docs/tracker.md");
  const lengths = /\*\*Lengths\.\*\* ([^]*?)(?:\n\n|\n- |$)/
    .exec(tracker)?.[1]
    .replace(/\s+/g, " ");
  expect(lengths).toBeDefined();
  expect(lengths).toMatch(
    new RegExp(
      `Event names are cut to ${LIMITS.maxEventNameLength} characters`,
    ),
  );
  const text =
    /referrers are cut to ([\d,]+) characters, and UTM values to ([\d,]+)/.exec(
      lengths!,
    );
  expect(text && [num(text[1]), num(text[2])]).toEqual([
    LIMITS.maxTextLength,
    LIMITS.maxContextValueLength,
  ]);
  const batches = /At most (\d+) events and (\d+) KiB per request/.exec(
    tracker,
  );
  expect(batches && [num(batches[1]), num(batches[2]) * 1024]).toEqual([
    LIMITS.maxEventsPerBatch,
    LIMITS.maxBodyBytes,
  ]);
  expect(tracker).toContain(
    `The name is cut to ${LIMITS.maxEventNameLength} characters`,
  );
});
