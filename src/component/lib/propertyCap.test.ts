import { describe, expect, test } from "vitest";
import { capPropertyValues } from "./propertyCap.js";
import { propertyOtherKey, propertyValueKey } from "./dimensions.js";

type Counted = { events: number };
const fold = (into: Counted | undefined, e: Counted) => ({
  events: (into?.events ?? 0) + e.events,
});
const v = (value: string) => propertyValueKey("search", "q", value);
const OTHER = propertyOtherKey("search", "q");

function capped(entries: [string, number][], cap: number) {
  const out = capPropertyValues(
    entries.map(([k, n]) => [k, { events: n }]),
    fold,
    cap,
  );
  return Object.fromEntries([...out].map(([k, e]) => [k, e.events]));
}

describe("capPropertyValues", () => {
  test("keeps the smallest values in string order and folds the rest into (other)", () => {
    expect(
      capped(
        [
          [v("b"), 1],
          [v("a"), 5],
          [v("c"), 2],
          [v("b2"), 7],
        ],
        2,
      ),
    ).toEqual({ [v("a")]: 5, [v("b")]: 1, [OTHER]: 9 });
  });

  test("adds to an existing (other) and leaves groups within the cap alone", () => {
    const plan = propertyValueKey("signup", "plan", "pro");
    expect(
      capped(
        [
          [v("a"), 1],
          [v("b"), 1],
          [OTHER, 4],
          [plan, 3],
        ],
        1,
      ),
    ).toEqual({ [v("a")]: 1, [OTHER]: 5, [plan]: 3 });
    expect(
      capped(
        [
          [v("a"), 1],
          [OTHER, 4],
        ],
        1,
      ),
    ).toEqual({ [v("a")]: 1, [OTHER]: 4 });
  });

  test("capping capped parts gives the cap of the whole (shards, then the bucket)", () => {
    const part1: [string, number][] = [
      [v("d"), 1],
      [v("a"), 2],
      [v("e"), 3],
    ];
    const part2: [string, number][] = [
      [v("b"), 4],
      [v("a"), 1],
      [v("f"), 5],
    ];
    const sum = (parts: Record<string, number>[]) => {
      const out: Record<string, number> = {};
      for (const p of parts)
        for (const [k, n] of Object.entries(p)) out[k] = (out[k] ?? 0) + n;
      return Object.entries(out);
    };
    const whole = capped(
      sum([Object.fromEntries(part1), Object.fromEntries(part2)]),
      2,
    );
    const stepwise = capped(sum([capped(part1, 2), capped(part2, 2)]), 2);
    expect(stepwise).toEqual(whole);
    expect(whole).toEqual({ [v("a")]: 3, [v("b")]: 4, [OTHER]: 9 });
  });
});
