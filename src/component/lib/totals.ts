import { DistinctCounter, decodeSketch } from "./sketch.js";

/** The additive counters every rollup entry and raw contribution carries. */
export type Counters = {
  events: number;
  pageviews: number;
  sessions: number;
  bounces: number;
  durationMs: number;
};

/**
 * Sums counters over a range and keeps the visitor sketches to merge later:
 * merging is the expensive part, so top lists do it only for the rows they
 * return.
 */
export class RangeTotals implements Counters {
  events = 0;
  pageviews = 0;
  sessions = 0;
  bounces = 0;
  durationMs = 0;
  private sketches: ArrayBuffer[] = [];
  private hashes: number[] = [];

  addCounters(c: Partial<Counters>): void {
    this.events += c.events ?? 0;
    this.pageviews += c.pageviews ?? 0;
    this.sessions += c.sessions ?? 0;
    this.bounces += c.bounces ?? 0;
    this.durationMs += c.durationMs ?? 0;
  }

  addSketch(encoded: ArrayBuffer): void {
    this.sketches.push(encoded);
  }

  addVisitor(hash: number): void {
    this.hashes.push(hash);
  }

  /** Adds what this total holds of visitors into a wider distinct count. */
  addVisitorsTo(counter: DistinctCounter): void {
    for (const encoded of this.sketches) counter.add(decodeSketch(encoded));
    for (const hash of this.hashes) counter.addHash(hash);
  }

  /** Distinct visitors over everything added: never a sum of bucket counts. */
  visitors(): number {
    const counter = new DistinctCounter();
    for (const encoded of this.sketches) counter.add(decodeSketch(encoded));
    for (const hash of this.hashes) counter.addHash(hash);
    return counter.count();
  }
}

/** The figures of README, "Metric definitions", derived from a range's totals. */
export function overviewFigures(t: RangeTotals) {
  return figuresOf(t, t.visitors());
}

function figuresOf(t: Counters, visitors: number) {
  return {
    events: t.events,
    pageviews: t.pageviews,
    sessions: t.sessions,
    visitors,
    bounceRate: t.sessions > 0 ? t.bounces / t.sessions : 0,
    averageSessionDurationMs: t.sessions > 0 ? t.durationMs / t.sessions : 0,
    viewsPerSession: t.sessions > 0 ? t.pageviews / t.sessions : 0,
  };
}

/**
 * One range's counters with its visitors as an encoded sketch: the form in
 * which disjoint parts of a range (settled history and the live hours) are
 * sent apart and combined where they are shown.
 */
export type OverviewParts = Counters & { visitors: ArrayBuffer };

/**
 * The overview figures of the union of disjoint ranges, from their parts:
 * counters add up, visitors are merged as sketches, so a visitor seen in two
 * parts counts once (README, "A dashboard left open").
 */
export function figuresOfParts(parts: OverviewParts[]) {
  const sum: Counters = {
    events: 0,
    pageviews: 0,
    sessions: 0,
    bounces: 0,
    durationMs: 0,
  };
  const visitors = new DistinctCounter();
  for (const part of parts) {
    sum.events += part.events;
    sum.pageviews += part.pageviews;
    sum.sessions += part.sessions;
    sum.bounces += part.bounces;
    sum.durationMs += part.durationMs;
    visitors.add(decodeSketch(part.visitors));
  }
  return figuresOf(sum, visitors.count());
}

/** Totals per key, created on first use. */
export class KeyedTotals extends Map<string, RangeTotals> {
  for(key: string): RangeTotals {
    let totals = this.get(key);
    if (!totals) this.set(key, (totals = new RangeTotals()));
    return totals;
  }
}
