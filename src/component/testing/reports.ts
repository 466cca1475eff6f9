import { expect } from "vitest";
import { api } from "../_generated/api.js";
import type { Doc } from "../_generated/dataModel.js";
import { TOP_DIMENSIONS } from "../validators.js";
import { TOP_QUERY } from "./queries.js";
import type { TestInstance } from "./setup.js";
import {
  truthOverview,
  truthTop,
  type SentEvent,
  type TruthSession,
} from "./truth.js";

export type Range = { from: number; to: number };

/** Every report answer for one range: overview, hour/day series, every top list. */
export type RangeReport = {
  range: Range;
  overview: Record<string, number>;
  hourly: Record<string, number>[];
  daily: Record<string, number>[];
  top: Record<string, unknown[]>;
};

const MAX_HOURLY_SPAN_MS = 96 * 3_600_000;

export async function reportFor(
  t: TestInstance,
  siteId: string,
  range: Range,
): Promise<RangeReport> {
  const args = { siteId, ...range };
  const overview = await t.query(api.analytics.getOverview, args);
  const hourly =
    range.to - range.from <= MAX_HOURLY_SPAN_MS
      ? await t.query(api.analytics.getTimeseries, {
          ...args,
          interval: "hour",
        })
      : [];
  const daily = await t.query(api.analytics.getTimeseries, {
    ...args,
    interval: "day",
  });
  const top: Record<string, unknown[]> = {};
  for (const dimension of TOP_DIMENSIONS)
    top[dimension] = await t.query(TOP_QUERY[dimension], {
      ...args,
      limit: 100,
    });
  return {
    range,
    overview: overview as unknown as Record<string, number>,
    hourly,
    daily,
    top,
  };
}

export async function reportsFor(
  t: TestInstance,
  siteId: string,
  ranges: Range[],
): Promise<RangeReport[]> {
  const reports: RangeReport[] = [];
  for (const range of ranges) reports.push(await reportFor(t, siteId, range));
  return reports;
}

function expectCloseTo(
  actual: Record<string, number>,
  expected: Record<string, number>,
  label: string,
) {
  for (const [key, value] of Object.entries(expected))
    expect(actual[key], `${label} ${key}`).toBeCloseTo(value, 6);
}

function expectSeriesMatchesTruth(
  series: Record<string, number>[],
  range: Range,
  events: SentEvent[],
  sessions: TruthSession[],
  label: string,
) {
  const ends = [...series.slice(1).map((b) => b.bucketStart), range.to];
  series.forEach((bucket, i) => {
    const { viewsPerSession: _unused, ...expected } = truthOverview(
      events,
      sessions,
      bucket.bucketStart,
      ends[i],
    );
    expectCloseTo(bucket, expected, `${label} bucket ${bucket.bucketStart}`);
  });
}

/** Checks one report against README, "Metric definitions", computed from the raw events. */
export function expectReportMatchesTruth(
  report: RangeReport,
  events: SentEvent[],
  sessions: TruthSession[],
) {
  const { from, to } = report.range;
  const label = `[${from}, ${to})`;
  expectCloseTo(
    report.overview,
    truthOverview(events, sessions, from, to),
    `${label} overview`,
  );
  expectSeriesMatchesTruth(
    report.hourly,
    report.range,
    events,
    sessions,
    `${label} hourly`,
  );
  expectSeriesMatchesTruth(
    report.daily,
    report.range,
    events,
    sessions,
    `${label} daily`,
  );
  for (const dimension of TOP_DIMENSIONS) {
    expect(report.top[dimension], `${label} top ${dimension}`).toEqual(
      truthTop(dimension, events, sessions, from, to, 100),
    );
  }
}

/** Rollup rows of a site, stripped of nothing: for before/after identity checks. */
export async function rollupRows(
  t: TestInstance,
  siteId: string,
): Promise<Doc<"rollupShards">[]> {
  return await t.run(async (ctx) =>
    (await ctx.db.query("rollupShards").collect()).filter(
      (row) => row.siteId === siteId,
    ),
  );
}

/** Distinct shards per (interval, bucketStart, row group). */
export function shardsPerGroup(
  rows: Doc<"rollupShards">[],
): Map<string, Set<number>> {
  const groups = new Map<string, Set<number>>();
  for (const row of rows) {
    const key = `${row.interval}|${row.bucketStart}|${row.dimension}`;
    groups.set(key, (groups.get(key) ?? new Set()).add(row.shard));
  }
  return groups;
}
