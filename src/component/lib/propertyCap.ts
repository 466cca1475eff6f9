/**
 * The per-bucket cap on distinct values of one property key of one event
 * name (PROPERTY_VALUE_CAP, lib/dimensions.ts): the smallest values in string
 * order are kept, every other value's figures are folded into the group's
 * "(other)" entry. Applied where a live row is written (per shard), where
 * live rows of a bucket are summed over shards (compaction and queries) and
 * to raw edges; keeping the smallest values is the same rule at each step,
 * so applying it again to a union of capped parts gives the cap of the whole.
 */
import {
  PROPERTY_VALUE_CAP,
  parsePropertyKey,
  propertyOtherKey,
} from "./dimensions.js";

/**
 * Caps one bucket's `property` entries. `fold(into, entry, otherKey)` adds
 * `entry` into the "(other)" entry `into` (undefined when there is none yet)
 * and returns it. Entries of groups within the cap come back unchanged.
 */
export function capPropertyValues<E>(
  entries: Iterable<[string, E]>,
  fold: (into: E | undefined, entry: E, otherKey: string) => E,
  cap: number = PROPERTY_VALUE_CAP,
): Map<string, E> {
  const groups = new Map<string, { values: string[]; other?: string }>();
  const all = new Map(entries);
  for (const key of all.keys()) {
    const { group, value } = parsePropertyKey(key);
    let g = groups.get(group);
    if (!g) groups.set(group, (g = { values: [] }));
    if (value === null) g.other = key;
    else g.values.push(key);
  }
  for (const [group, g] of groups) {
    if (g.values.length <= cap) continue;
    const byValue = g.values
      .map((key) => ({ key, value: parsePropertyKey(key).value! }))
      .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const [eventName, propertyKey] = JSON.parse(group) as [string, string];
    const otherKey = propertyOtherKey(eventName, propertyKey);
    let other = g.other === undefined ? undefined : all.get(g.other);
    for (const { key } of byValue.slice(cap)) {
      other = fold(other, all.get(key)!, otherKey);
      all.delete(key);
    }
    all.set(otherKey, other!);
  }
  return all;
}
