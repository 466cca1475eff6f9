import { describe, expect, test } from "vitest";
import {
  bandOfRank,
  bandStartsFor,
  BAND_TARGET_BYTES,
  mergeUnits,
  rankUnits,
  truncateUnit,
  type RankUnit,
  type Unit,
} from "./topUnits.js";

const zero = { pageviews: 0, sessions: 0, bounces: 0, durationMs: 0 };

/** A unit from key -> events, with a bound for what it left out. */
function unit(events: Record<string, number>, restMax = 0): Unit {
  return {
    entries: new Map(
      Object.entries(events).map(([key, e]) => [
        key,
        { key, events: e, ...zero, slack: 0 },
      ]),
    ),
    restMax,
  };
}
const rankUnit = (u: Unit): RankUnit => ({
  entries: u.entries,
  restMax: u.restMax,
});

describe("mergeUnits and truncateUnit", () => {
  test("a key one side left out gains that side's bound as slack; kept keys add exactly", () => {
    const merged = mergeUnits(
      unit({ a: 10, b: 4 }, 3),
      unit({ a: 7, c: 5 }, 2),
    );
    expect(merged.restMax).toBe(5);
    expect(merged.entries.get("a")).toMatchObject({ events: 17, slack: 0 });
    expect(merged.entries.get("b")).toMatchObject({ events: 4, slack: 2 });
    expect(merged.entries.get("c")).toMatchObject({ events: 5, slack: 3 });
  });

  test("truncation keeps the largest keys in rank order and raises the bound to what it dropped", () => {
    const { entries, restMax } = truncateUnit(
      unit({ a: 9, b: 3, c: 9, d: 1 }, 2),
      2,
    );
    expect(entries.map((e) => e.key)).toEqual(["a", "c"]);
    expect(restMax).toBe(3);
    // A retraction of a key the unit had dropped can hold nothing: it vanishes.
    expect(
      truncateUnit(unit({ a: 2, gone: -1 }), 5).entries.map((e) => e.key),
    ).toEqual(["a"]);
  });
});

describe("rankUnits certifies a top list", () => {
  test("exact when every shown key is kept everywhere and nothing left out can reach the last shown", () => {
    const r = rankUnits(
      [
        rankUnit(unit({ a: 50, b: 40, c: 3 }, 2)),
        rankUnit(unit({ a: 30, b: 20, d: 4 }, 1)),
      ],
      2,
    );
    expect(r.rows.map((x) => [x.key, x.events, x.maxError])).toEqual([
      ["a", 80, 0],
      ["b", 60, 0],
    ]);
    expect(r.exact).toBe(true);
  });

  test("not exact when a shown key was left out of a unit (its count may be low by that unit's bound)", () => {
    const r = rankUnits(
      [rankUnit(unit({ a: 50, b: 40 }, 5)), rankUnit(unit({ a: 30 }, 6))],
      2,
    );
    expect(r.rows.find((x) => x.key === "b")).toMatchObject({
      events: 40,
      maxError: 6,
    });
    expect(r.exact).toBe(false);
  });

  test("not exact when the keys left out could add up to the last shown count", () => {
    // Unseen keys may hold up to 3 + 3 = 6 events: enough to pass b's 4, not b's 16.
    expect(
      rankUnits(
        [rankUnit(unit({ a: 9, b: 2 }, 3)), rankUnit(unit({ a: 9, b: 2 }, 3))],
        2,
      ).exact,
    ).toBe(false);
    expect(
      rankUnits(
        [rankUnit(unit({ a: 9, b: 8 }, 3)), rankUnit(unit({ a: 9, b: 8 }, 3))],
        2,
      ).exact,
    ).toBe(true);
  });

  test("exact lists of complete units with fewer keys than asked for", () => {
    expect(rankUnits([rankUnit(unit({ a: 1 }))], 10)).toMatchObject({
      exact: true,
      rows: [{ key: "a", events: 1 }],
    });
    expect(rankUnits([rankUnit(unit({ a: 1 }, 1))], 10).exact).toBe(false);
  });
});

describe("sketch bands", () => {
  test("bands close near the target size and every rank finds its band", () => {
    const sizes = [8_000, 8_000, 8_000, 8_000, 100, 100, 20_000, 50];
    const starts = bandStartsFor(sizes);
    expect(starts[0]).toBe(0);
    for (let b = 0; b < starts.length; b++) {
      const end = starts[b + 1] ?? sizes.length;
      const bytes = sizes.slice(starts[b], end).reduce((n, x) => n + x, 0);
      // A band holds one sketch at least, and more only while under the target.
      if (end - starts[b] > 1)
        expect(bytes).toBeLessThanOrEqual(BAND_TARGET_BYTES);
      for (let r = starts[b]; r < end; r++)
        expect(bandOfRank(r, starts)).toBe(b);
    }
  });
});
