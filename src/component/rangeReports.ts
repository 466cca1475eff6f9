/**
 * Report figures over an exact range, from compact units, live rows and raw
 * edges (see rangeSources.ts for which). Top lists run in two phases: rank
 * keys by counts from the units' small counts rows, then read visitor
 * sketches only for the shown keys' rank bands.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { sketchesOfKeys, type TopsRow, rankUnitOf } from "./compactStore.js";
import { planExactRange, type RangePlan } from "./lib/rangePlan.js";
import { OVERVIEW, rowGroupOf } from "./lib/rollupDelta.js";
import { DistinctCounter, decodeSketch, encodeSketch } from "./lib/sketch.js";
import {
  KeyedTotals,
  overviewFigures,
  RangeTotals,
  type OverviewParts,
} from "./lib/totals.js";
import { rankUnits, type RankUnit, type Unit } from "./lib/topUnits.js";
import { RawBudget, addRawSpan } from "./rawEdges.js";
import {
  planSources,
  readLiveRows,
  readUnitRows,
  siteWatermark,
  type RangeSources,
} from "./rangeSources.js";
import { unitsOfLiveRows } from "./compactStore.js";
import type { Watermark } from "./compaction.js";
import type { RollupRow } from "./rollups.js";

/** Everything one dimension of a range is made of, before visitors are merged. */
type Gathered = {
  unitRows: TopsRow[];
  live: Unit | undefined;
  raw: KeyedTotals;
};

/**
 * Live rows a query has read, by group and buckets. Every keyed dimension
 * shares the keyed live rows, so a query that gathers several (a goal's
 * breakdown reads its goal dimension and the plain one) reads them once
 * (README, "Cost and scale").
 * Queries only: a snapshot does not change under them.
 */
const liveRowsOfQuery = new WeakMap<
  object,
  Map<string, Promise<RollupRow[]>>
>();

function liveRowsOnce(
  ctx: QueryCtx,
  site: Doc<"sites">,
  group: string,
  interval: "hour" | "day",
  starts: number[],
): Promise<RollupRow[]> {
  let read = liveRowsOfQuery.get(ctx.db);
  if (!read) liveRowsOfQuery.set(ctx.db, (read = new Map()));
  const key = `${site._id}|${group}|${interval}|${starts.join(",")}`;
  let rows = read.get(key);
  if (!rows) {
    rows = readLiveRows(ctx, site, group, interval, starts);
    read.set(key, rows);
  }
  return rows;
}

async function gather(
  ctx: QueryCtx,
  site: Doc<"sites">,
  sources: RangeSources,
  dimension: string,
  budget: RawBudget,
): Promise<Gathered> {
  const group = rowGroupOf(dimension);
  const unitRows = [
    ...(await readUnitRows(ctx, site, dimension, sources.units)).values(),
  ];
  const liveRows = [
    ...(await liveRowsOnce(ctx, site, group, "day", sources.liveDays)),
    ...(await liveRowsOnce(ctx, site, group, "hour", sources.liveHours)),
  ];
  const live = unitsOfLiveRows(liveRows).get(dimension);
  const raw = new KeyedTotals();
  for (const span of sources.raw)
    await addRawSpan(ctx, site._id, span, dimension, raw, budget);
  return { unitRows, live, raw };
}

function rawAsRankUnit(raw: KeyedTotals): RankUnit {
  const entries = new Map();
  for (const [key, t] of raw) {
    entries.set(key, {
      events: t.events,
      pageviews: t.pageviews,
      sessions: t.sessions,
      bounces: t.bounces,
      durationMs: t.durationMs,
      slack: 0,
    });
  }
  return { entries, restMax: 0 };
}

function rankUnitsOf(g: Gathered): RankUnit[] {
  const units = g.unitRows.map(rankUnitOf);
  if (g.live) units.push({ entries: g.live.entries, restMax: 0 });
  units.push(rawAsRankUnit(g.raw));
  return units;
}

/** Distinct visitors of each of `keys` over everything gathered. */
async function visitorsOf(
  ctx: QueryCtx,
  g: Gathered,
  keys: string[],
): Promise<Map<string, number>> {
  const counters = await visitorCountersOf(ctx, g, keys);
  return new Map(keys.map((k) => [k, counters.get(k)!.count()]));
}

/** The merged visitor sketches of each of `keys` over everything gathered. */
async function visitorCountersOf(
  ctx: QueryCtx,
  g: Gathered,
  keys: string[],
): Promise<Map<string, DistinctCounter>> {
  const counters = new Map(keys.map((k) => [k, new DistinctCounter()]));
  for (const row of g.unitRows) {
    for (const [key, encoded] of await sketchesOfKeys(ctx, row, keys))
      counters.get(key)!.add(decodeSketch(encoded));
  }
  for (const key of keys) {
    const counter = counters.get(key)!;
    const liveSketch = g.live?.entries.get(key)?.sketch;
    if (liveSketch) counter.add(liveSketch);
    const raw = g.raw.get(key);
    if (raw) raw.addVisitorsTo(counter);
  }
  return counters;
}

export type RankedRow = {
  key: string;
  events: number;
  pageviews: number;
  sessions: number;
  bounces: number;
  durationMs: number;
  visitors: number;
  maxError: number;
};

/** Narrows a ranking: only keys `keep` accepts, and one `pinned` key reported apart from the ranked ones. */
export type RankOptions = {
  keep?: (key: string) => boolean;
  pinned?: string;
};

// Left-out keys stay bounded by each unit's restMax, so the ranking's
// proof of exactness holds for the kept keys alone.
function onlyKeys(units: RankUnit[], keep: (key: string) => boolean) {
  return units.map((u) => ({
    restMax: u.restMax,
    entries: new Map([...u.entries].filter(([key]) => keep(key))),
  }));
}

/**
 * The top `limit` keys of `dimension` with their visitors, and whether the
 * list is proven exact. With `options.pinned`, that key is left out of the
 * ranking and returned on its own (with its own exactness), for rows such as
 * a breakdown's "(other)" that are shown whatever their rank.
 */
export async function rankedKeys(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
  dimension: string,
  limit: number,
  options: RankOptions = {},
): Promise<{
  rows: RankedRow[];
  exact: boolean;
  pinned?: RankedRow & { exact: boolean };
}> {
  const g = await gatherRange(ctx, site, from, to, dimension);
  const units = rankUnitsOf(g);
  const { keep = () => true, pinned } = options;
  const ranked = rankUnits(
    onlyKeys(units, (key) => key !== pinned && keep(key)),
    limit,
  );
  const pinnedRank =
    pinned === undefined
      ? undefined
      : rankUnits(
          onlyKeys(units, (key) => key === pinned),
          1,
        );
  const pinnedRow = pinnedRank?.rows[0];
  const visitors = await visitorsOf(ctx, g, [
    ...ranked.rows.map((r) => r.key),
    ...(pinnedRow ? [pinnedRow.key] : []),
  ]);
  return {
    rows: ranked.rows.map((r) => ({ ...r, visitors: visitors.get(r.key)! })),
    exact: ranked.exact,
    ...(pinnedRow
      ? {
          pinned: {
            ...pinnedRow,
            visitors: visitors.get(pinnedRow.key)!,
            exact: pinnedRow.maxError === 0,
          },
        }
      : {}),
  };
}

/** The summed overview counters of everything gathered. */
function overviewTotals(g: Gathered): RangeTotals {
  const totals = new RangeTotals();
  for (const row of g.unitRows)
    totals.addCounters(rankUnitOf(row).entries.get("") ?? {});
  const live = g.live?.entries.get("");
  if (live) totals.addCounters(live);
  const raw = g.raw.get("");
  if (raw) totals.addCounters(raw);
  return totals;
}

async function gatherRange(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
  dimension: string,
): Promise<Gathered> {
  const mark = await siteWatermark(ctx, site._id);
  const sources = planSources(
    planExactRange(from, to, site.timezone),
    mark,
    site.timezone,
  );
  return await gather(ctx, site, sources, dimension, new RawBudget());
}

/**
 * Distinct visitors over `[from, to)` of each of `keys` of one dimension,
 * and the keys some unit left out (with something left out: `restMax` > 0),
 * whose visitors may then be undercounted.
 */
export async function visitorsOfKeys(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
  dimension: string,
  keys: string[],
): Promise<{ visitors: Map<string, number>; partial: Set<string> }> {
  if (keys.length === 0) return { visitors: new Map(), partial: new Set() };
  const g = await gatherRange(ctx, site, from, to, dimension);
  const partial = new Set<string>();
  for (const row of g.unitRows) {
    if (row.restMax === 0) continue;
    const kept = new Set(row.keys);
    for (const key of keys) if (!kept.has(key)) partial.add(key);
  }
  return { visitors: await visitorsOf(ctx, g, keys), partial };
}

/** The overview figures of one planned range. */
async function overviewOfSources(
  ctx: QueryCtx,
  site: Doc<"sites">,
  sources: RangeSources,
  budget: RawBudget,
) {
  const g = await gather(ctx, site, sources, OVERVIEW, budget);
  const figures = overviewFigures(overviewTotals(g));
  const live = g.live?.entries.get("");
  const raw = g.raw.get("");
  // One compact unit and nothing else: its stored visitor count is exact already.
  const single =
    g.unitRows.length === 1 && !live && !raw
      ? g.unitRows[0].visitors
      : undefined;
  figures.visitors = single ?? (await visitorsOf(ctx, g, [""])).get("")!;
  return figures;
}

/**
 * `[from, to)`'s counters with its visitors as one sketch, for combining
 * with a disjoint part of a wider range elsewhere (the dashboard's live split).
 */
export async function overviewPartsOf(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
  mark: Watermark,
): Promise<OverviewParts> {
  const sources = planSources(
    planExactRange(from, to, site.timezone),
    mark,
    site.timezone,
  );
  const g = await gather(ctx, site, sources, OVERVIEW, new RawBudget());
  const { events, pageviews, sessions, bounces, durationMs } =
    overviewTotals(g);
  const visitors = (await visitorCountersOf(ctx, g, [""])).get("")!;
  return {
    events,
    pageviews,
    sessions,
    bounces,
    durationMs,
    visitors: encodeSketch(visitors.toSketch()),
  };
}

export async function overviewOf(
  ctx: QueryCtx,
  site: Doc<"sites">,
  from: number,
  to: number,
) {
  const mark = await siteWatermark(ctx, site._id);
  const sources = planSources(
    planExactRange(from, to, site.timezone),
    mark,
    site.timezone,
  );
  return await overviewOfSources(ctx, site, sources, new RawBudget());
}

/** Overview figures per bucket plan (timeseries): each bucket a day or an hour, no blocks. */
export async function overviewsOf(
  ctx: QueryCtx,
  site: Doc<"sites">,
  plans: RangePlan[],
  mark?: Watermark,
) {
  const watermark = mark ?? (await siteWatermark(ctx, site._id));
  const budget = new RawBudget(); // shared: the clipped first and last buckets both read raw edges
  const result = [];
  for (const plan of plans) {
    result.push(
      await overviewOfSources(
        ctx,
        site,
        planSources(plan, watermark, site.timezone, false),
        budget,
      ),
    );
  }
  return result;
}
