/**
 * Compact rollup units: what compaction keeps of one (bucket or block,
 * dimension) once the bucket has settled, and how units merge and prove
 * their top keys exact.
 *
 * A unit keeps its largest keys (by events) exactly and one bound for all it
 * left out: `restMax`, the most events any absent key can have in it. A kept
 * key may carry `slack`: events it may be missing, when it was absent (so
 * only bounded) in a part merged into it. A merged top-N is exact when every
 * shown key has no slack in any unit and no other key's upper bound can reach
 * the smallest shown count (README, "Limits": "Approximate top lists").
 */
import { type Sketch, emptySketch, mergeSketchInto } from "./sketch.js";

/** Additive counters of one key, plus the events it may be missing. */
export type UnitCounters = {
  events: number;
  pageviews: number;
  sessions: number;
  bounces: number;
  durationMs: number;
  slack: number;
};

export type UnitEntry = UnitCounters & { key: string; sketch?: Sketch };

/** A unit in memory: entries by key, and the bound for absent keys. */
export type Unit = { entries: Map<string, UnitEntry>; restMax: number };

/** Counter order in a stored row's flat `values` array. */
export const VALUE_FIELDS = [
  "events",
  "pageviews",
  "sessions",
  "bounces",
  "durationMs",
  "slack",
] as const;

export function emptyUnit(): Unit {
  return { entries: new Map(), restMax: 0 };
}

function addEntry(
  target: UnitEntry | undefined,
  source: UnitEntry,
  slackIfAbsent: number,
): UnitEntry {
  if (!target)
    return {
      ...source,
      slack: source.slack + slackIfAbsent,
      sketch: source.sketch && cloneSketch(source.sketch),
    };
  const sketch =
    source.sketch === undefined
      ? target.sketch
      : mergeSketchInto(target.sketch ?? emptySketch(), source.sketch);
  return {
    key: target.key,
    events: target.events + source.events,
    pageviews: target.pageviews + source.pageviews,
    sessions: target.sessions + source.sessions,
    bounces: target.bounces + source.bounces,
    durationMs: target.durationMs + source.durationMs,
    slack: target.slack + source.slack,
    sketch,
  };
}

/** `a + b` for one key (counters, slack and sketches add). */
export function sumEntries(a: UnitEntry, b: UnitEntry): UnitEntry {
  return addEntry(addEntry(undefined, a, 0), b, 0);
}

function cloneSketch(s: Sketch): Sketch {
  return s.kind === "exact"
    ? { kind: "exact", counts: new Map(s.counts) }
    : { kind: "hll", registers: s.registers.slice() };
}

/**
 * `a + b`. A key kept by only one side gains the other side's `restMax` as
 * slack: it may have had up to that many events there. Exact deltas (live
 * rows) have `restMax` 0 and add no slack.
 */
export function mergeUnits(a: Unit, b: Unit): Unit {
  const entries = new Map<string, UnitEntry>();
  for (const [key, entry] of a.entries) {
    const other = b.entries.get(key);
    entries.set(
      key,
      other ? sumEntries(entry, other) : addEntry(undefined, entry, b.restMax),
    );
  }
  for (const [key, entry] of b.entries) {
    if (!a.entries.has(key))
      entries.set(key, addEntry(undefined, entry, a.restMax));
  }
  return { entries, restMax: a.restMax + b.restMax };
}

/** Events desc, then key asc: the order top lists are ranked in. */
export function compareRank(
  a: { key: string; events: number },
  b: { key: string; events: number },
): number {
  return b.events - a.events || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * Keeps the `limit` largest keys; the others only raise `restMax` to their
 * upper bound. Entries that can no longer hold anything (a retraction of a
 * key the unit had already dropped) vanish. Returns entries in rank order.
 */
export function truncateUnit(
  unit: Unit,
  limit: number,
): { entries: UnitEntry[]; restMax: number } {
  const live = [...unit.entries.values()].filter(
    (e) => e.events + e.slack > 0 || e.sessions !== 0 || e.pageviews !== 0,
  );
  live.sort(compareRank);
  let restMax = unit.restMax;
  for (const dropped of live.slice(limit))
    restMax = Math.max(restMax, dropped.events + dropped.slack);
  return { entries: live.slice(0, limit), restMax };
}

/**
 * How a unit's sketches are stored: inline in its counts row while they are
 * small (one document per unit, which keeps compaction's writes low at low
 * traffic), else in band rows of consecutive ranks of about
 * BAND_TARGET_BYTES each, so a top-10 list reads the sketches of about a
 * dozen keys per unit, not of every key the unit keeps.
 */
export const INLINE_SKETCH_BYTES = 4 * 1024;
export const BAND_TARGET_BYTES = 24 * 1024;

/** The first rank of each band, for sketches of these sizes in rank order. */
export function bandStartsFor(sizes: number[]): number[] {
  const starts: number[] = [];
  let bytes = Infinity;
  sizes.forEach((size, rank) => {
    if (bytes > 0 && bytes + size > BAND_TARGET_BYTES) {
      starts.push(rank);
      bytes = 0;
    }
    bytes += size;
  });
  return starts;
}

/** The band holding `rank`, given each band's first rank. */
export function bandOfRank(rank: number, bandStarts: number[]): number {
  let band = 0;
  while (band + 1 < bandStarts.length && rank >= bandStarts[band + 1]) band++;
  return band;
}

// ---------------------------------------------------------------- ranking

/** One unit as a range query sees it: counters of its kept keys and its bound. */
export type RankUnit = { entries: Map<string, UnitCounters>; restMax: number };

export type RankedKey = UnitCounters & { key: string; maxError: number };

export type RankResult = {
  rows: RankedKey[];
  /** True when the rows, their counts and their order are proven exact. */
  exact: boolean;
};

/**
 * Sums units into a ranked top `limit`. Each key's lower bound is the sum of
 * what the units kept; its upper bound adds its slack and the `restMax` of
 * every unit that did not keep it. The list is exact when every shown row
 * has lower = upper and no other key's upper bound reaches past the last
 * shown row (a tie on count must also lose on key order).
 */
export function rankUnits(units: RankUnit[], limit: number): RankResult {
  const totals = new Map<string, RankedKey & { missing: number }>();
  let restSum = 0;
  for (const unit of units) restSum += unit.restMax;
  for (const unit of units) {
    for (const [key, c] of unit.entries) {
      let t = totals.get(key);
      if (!t) {
        t = {
          key,
          events: 0,
          pageviews: 0,
          sessions: 0,
          bounces: 0,
          durationMs: 0,
          slack: 0,
          maxError: 0,
          missing: restSum,
        };
        totals.set(key, t);
      }
      t.events += c.events;
      t.pageviews += c.pageviews;
      t.sessions += c.sessions;
      t.bounces += c.bounces;
      t.durationMs += c.durationMs;
      t.slack += c.slack;
      t.missing -= unit.restMax;
    }
  }
  const all = [...totals.values()].filter(
    (t) => t.events > 0 || t.sessions > 0,
  );
  for (const t of all) t.maxError = t.slack + t.missing;
  all.sort(compareRank);
  const shown = all.slice(0, limit);
  const hidden = all.slice(limit);
  let exact = shown.every((t) => t.maxError === 0);
  const last = shown[shown.length - 1];
  for (const h of hidden) {
    if (
      last &&
      h.maxError > 0 &&
      compareRank({ key: h.key, events: h.events + h.maxError }, last) < 0
    )
      exact = false;
  }
  if (last && shown.length === limit && restSum > 0 && restSum >= last.events)
    exact = false;
  // Fewer rows than asked for: an unseen key with up to restSum events might belong.
  if (shown.length < limit && restSum > 0) exact = false;
  return {
    rows: shown.map(({ missing: _m, ...row }) => row),
    exact,
  };
}
