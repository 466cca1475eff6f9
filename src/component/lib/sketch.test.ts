import { describe, expect, test } from "vitest";
import {
  DistinctCounter,
  EXACT_LIMIT,
  addToSketch,
  decodeSketch,
  emptySketch,
  encodeSketch,
  hashVisitor,
  mergeSketchInto,
  sketchCardinality,
  type Sketch,
} from "./sketch.js";

function sketchOf(ids: string[]): Sketch {
  let s = emptySketch();
  for (const id of ids) s = addToSketch(s, hashVisitor(id), 1);
  return s;
}

const ids = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

test("exact up to the limit, and retractions are exact there", () => {
  const s = sketchOf([...ids("a", EXACT_LIMIT), ...ids("a", 10)]);
  expect(s.kind).toBe("exact");
  expect(sketchCardinality(s)).toBe(EXACT_LIMIT);
  // a-0..a-9 were added twice: one retraction leaves them, a second removes them.
  let r = s;
  for (const id of ids("a", 10)) r = addToSketch(r, hashVisitor(id), -1);
  expect(sketchCardinality(r)).toBe(EXACT_LIMIT);
  for (const id of ids("a", 10)) r = addToSketch(r, hashVisitor(id), -1);
  expect(sketchCardinality(r)).toBe(EXACT_LIMIT - 10);
});

test("encoding round-trips both forms", () => {
  const small = sketchOf(ids("x", 37));
  expect(sketchCardinality(decodeSketch(encodeSketch(small)))).toBe(37);
  const big = sketchOf(ids("y", 5_000));
  expect(big.kind).toBe("hll");
  expect(sketchCardinality(decodeSketch(encodeSketch(big)))).toBe(
    sketchCardinality(big),
  );
});

test.each([1_001, 2_000, 5_000, 20_000, 60_000, 200_000])(
  "HyperLogLog error under 2%% at %i visitors",
  (n) => {
    const estimate = sketchCardinality(sketchOf(ids(`n${n}`, n)));
    expect(Math.abs(estimate - n) / n).toBeLessThan(0.02);
  },
);

test("merging over buckets counts distinct visitors, never a sum", () => {
  // Three buckets sharing most visitors.
  const buckets = [
    ids("v", 300),
    ids("v", 400).slice(100),
    ids("v", 500).slice(250),
  ];
  const counter = new DistinctCounter();
  for (const b of buckets) counter.add(sketchOf(b));
  expect(counter.count()).toBe(500);
  // Past the exact range the merged estimate stays within 2%.
  const big = new DistinctCounter();
  for (let k = 0; k < 5; k++) big.add(sketchOf(ids("w", 3_000 + k * 2_000)));
  expect(Math.abs(big.count() - 11_000) / 11_000).toBeLessThan(0.02);
  const merged = mergeSketchInto(
    sketchOf(ids("m", 800)),
    sketchOf(ids("m", 1_600)),
  );
  expect(Math.abs(sketchCardinality(merged) - 1_600) / 1_600).toBeLessThan(
    0.02,
  );
});

test("a retraction landing in another row than its addition still cancels it", () => {
  // Row of shard 0 (after compaction) holds +1; the late retraction lands in shard 3's empty row.
  const merged = sketchOf(["x", "y"]);
  const retraction = addToSketch(emptySketch(), hashVisitor("x"), -1);
  expect(sketchCardinality(retraction)).toBe(0);
  const counter = new DistinctCounter();
  counter.add(decodeSketch(encodeSketch(merged)));
  counter.add(decodeSketch(encodeSketch(retraction)));
  expect(counter.count()).toBe(1);
  // Compaction merging the two rows cancels the pair for good.
  expect(
    sketchCardinality(mergeSketchInto(sketchOf(["x", "y"]), retraction)),
  ).toBe(1);
});

test("stored exact sketches take about 7 bytes a visitor and keep large and negative counts", () => {
  let s = emptySketch();
  for (const id of ids("z", 500)) s = addToSketch(s, hashVisitor(id), 1);
  s = addToSketch(s, hashVisitor("big"), 1_000_000);
  s = addToSketch(s, hashVisitor("neg"), -3);
  const encoded = encodeSketch(s);
  expect(encoded.byteLength).toBeLessThanOrEqual(1 + 502 * 7 + 3);
  const back = decodeSketch(encoded);
  expect(back.kind === "exact" && back.counts.get(hashVisitor("big"))).toBe(
    1_000_000,
  );
  expect(back.kind === "exact" && back.counts.get(hashVisitor("neg"))).toBe(-3);
  expect(sketchCardinality(back)).toBe(501);
  expect(hashVisitor("anything")).toBeLessThan(2 ** 48);
});

describe("stored HyperLogLog forms", () => {
  function hllOf(n: number, seed: string) {
    let s = emptySketch();
    for (let i = 0; i < n; i++)
      s = addToSketch(s, hashVisitor(`${seed}-${i}`), 1);
    return s;
  }

  test.each([1_200, 3_000, 40_000, 2_000_000])(
    "%i visitors round-trip register for register, in 8 KiB plus 3 bytes per register above 14",
    (n) => {
      const sketch = hllOf(n, `r${n}`);
      if (sketch.kind !== "hll") throw new Error("expected a HyperLogLog");
      const encoded = encodeSketch(sketch);
      const back = decodeSketch(encoded);
      expect(back).toEqual(sketch);
      const high = sketch.registers.filter((r) => r > 14).length;
      expect(high).toBeLessThan(sketch.registers.length / 100);
      expect(encoded.byteLength).toBeLessThanOrEqual(8 * 1024 + 1 + 3 * high);
      // Few visitors: the sparse form, about 3 bytes per visitor.
      if (n <= 1_200) expect(encoded.byteLength).toBeLessThan(4 * n);
    },
  );

  test("a register above 14 survives the nibble form", () => {
    const sketch = hllOf(5_000, "high");
    if (sketch.kind !== "hll") throw new Error("expected a HyperLogLog");
    sketch.registers[77] = 31;
    sketch.registers[16_000] = 15;
    expect(decodeSketch(encodeSketch(sketch))).toEqual(sketch);
  });

  test("the one-byte-per-register form of earlier versions still decodes", () => {
    const sketch = hllOf(2_000, "old");
    if (sketch.kind !== "hll") throw new Error("expected a HyperLogLog");
    const old = new Uint8Array(1 + sketch.registers.length);
    old[0] = 2;
    old.set(sketch.registers, 1);
    expect(decodeSketch(old.buffer)).toEqual(sketch);
  });
});
