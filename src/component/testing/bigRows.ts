import {
  addToSketch,
  emptySketch,
  encodeSketch,
  hashVisitor,
} from "../lib/sketch.js";

/**
 * An encoded visitor sketch of `count` visitors `u<first>`…: past a few
 * thousand visitors it is a HyperLogLog of 8 KiB, the largest entry a rollup
 * row holds, so a few dozen keys make a row of hundreds of kilobytes.
 */
export function visitorSketch(first: number, count: number): ArrayBuffer {
  let sketch = emptySketch();
  for (let k = 0; k < count; k++)
    sketch = addToSketch(sketch, hashVisitor(`u${first + k}`), 1);
  return encodeSketch(sketch);
}

/** Keyed rollup entries, one per page path, all sharing one sketch, and their `bytes` estimate. */
export function bigKeyedEntries(
  keys: number,
  sketch: ArrayBuffer,
  eventsPerKey = 3,
) {
  const entries = Array.from({ length: keys }, (_, j) => ({
    key: `page\t/p${j}`,
    events: eventsPerKey,
    pageviews: eventsPerKey,
    sessions: 0,
    bounces: 0,
    durationMs: 0,
    visitors: sketch,
  }));
  const bytes = entries.reduce(
    (n, e) => n + e.key.length * 2 + 80 + e.visitors.byteLength,
    0,
  );
  return { entries, bytes };
}
