/**
 * Datasets for the query benchmark, seeded two ways:
 *
 * - "replay": every batch goes through `ingest.ingestBatch` at its arrival
 *   time (fake clock), aggregation runs through the workpool whenever traffic
 *   pauses, then compaction runs. The real pipeline end to end.
 * - "chunked": convex-test answers every index range by visiting the whole
 *   table, so the real pipeline costs O(N²) wall time in the mock. For large
 *   N the client sessions are split into chunks by the UTC day of their first
 *   event; each chunk runs the *real* aggregation (`aggregateEventBatch`
 *   through the workpool) in its own small convex-test instance on event
 *   documents built exactly as `ingestBatch` builds them (same validation,
 *   context cleaning and shard). Because a chunk holds whole sessions, its
 *   session rows are final; a visitor seen in several chunks gets one merged
 *   row. The chunks' rollup rows are merged per (interval, group, bucket,
 *   shard) with the component's own `mergeEntries` and packed into parts with
 *   its own `packEntries`, i.e. the rows one aggregation over all events
 *   writes; then everything is bulk-inserted into one instance with `t.run`,
 *   and the real compaction runs on it.
 */
import { vi } from "vitest";
import { realNowMs } from "./clock.js";
import { api } from "../src/component/_generated/api.js";
import type { Doc } from "../src/component/_generated/dataModel.js";
import { shardFor } from "../src/component/ingest.js";
import { withoutUndefined } from "../src/component/lib/objects.js";
import { checkEvent, cleanContext } from "../src/component/lib/validation.js";
import {
  mergeEntries,
  packEntries,
  entryBytes,
  type RollupEntry,
} from "../src/component/rollups.js";
import { replay } from "../src/component/testing/replay.js";
import {
  createTestSite,
  drain,
  setupComponent,
  type TestInstance,
} from "../src/component/testing/setup.js";
import type { Batch } from "../src/component/testing/traffic.js";
import type { Context } from "../src/component/validators.js";
import { DAY, HOUR, eventCount } from "./shape.js";

export type Dataset = {
  t: TestInstance;
  siteId: string;
  events: number;
  method: string;
  seedMs: number;
  /** Clock at which queries run (after the last event). */
  now: number;
};

/**
 * A new convex-test instance. Fake timers are process-wide: drop the pending
 * timers of instances the benchmark is done with, so their leftover workpool
 * timers neither run in a later drain() nor move its clock.
 */
export function freshInstance(): TestInstance {
  // (vi.clearAllTimers() would also unhook convex-test's view of the fake
  // clock; reinstalling the fake timers drops the pending ones cleanly.)
  const now = Date.now();
  vi.useRealTimers();
  vi.useFakeTimers();
  vi.setSystemTime(now);
  return setupComponent();
}

const lastArrival = (batches: Batch[]) =>
  Math.max(...batches.map((b) => b.arrival));

/** Runs the real compaction over every bucket since `since`, to completion. */
export async function compactAll(
  t: TestInstance,
  siteId: string,
  since: number,
): Promise<void> {
  await t.mutation(api.compaction.compact, { siteId, since });
  await drain(t);
}

/** The real pipeline: ingestBatch per batch, aggregation on pauses, compaction. */
export async function seedByReplay(
  batches: Batch[],
  start: number,
): Promise<Dataset> {
  const began = realNowMs();
  vi.setSystemTime(start);
  const t = freshInstance();
  const siteId = await createTestSite(t);
  const totals = await replay(t, batches);
  const now = lastArrival(batches) + 3 * HOUR;
  vi.setSystemTime(now);
  await drain(t);
  await compactAll(t, siteId, start - 24 * HOUR);
  return {
    t,
    siteId,
    events: totals.accepted,
    method: "replay through ingestBatch + workpool aggregation + compaction",
    seedMs: realNowMs() - began,
    now,
  };
}

/** Event documents exactly as ingestBatch writes them (batches never repeat an eventId here). */
export function eventDocs(site: Doc<"sites">, batch: Batch) {
  const context = cleanContext(batch.context as Context);
  const shard = shardFor(
    batch.visitorId,
    batch.sessionId,
    site.rollupShardCount,
  );
  const policy = {
    allowed: site.allowedPropertyKeys,
    denied: site.deniedPropertyKeys,
  };
  const docs = [];
  for (const {
    visitorId: _v,
    sessionId: _s,
    context: _c,
    ...incoming
  } of batch.events) {
    const checked = checkEvent(incoming as never, batch.arrival, policy);
    if (!checked.ok)
      throw new Error(
        `bench traffic produced an invalid event: ${checked.reason}`,
      );
    docs.push({
      ...withoutUndefined(checked.event),
      siteId: site._id,
      visitorId: batch.visitorId,
      sessionId: batch.sessionId,
      receivedAt: batch.arrival,
      shard,
      ...(context ? { context } : {}),
    });
  }
  return docs;
}

type Row<T extends string> = Omit<
  Doc<T & ("events" | "sessions" | "visitors" | "rollupShards")>,
  "_id" | "_creationTime"
>;
const strip = <D extends { _id: unknown; _creationTime: unknown }>({
  _id,
  _creationTime,
  ...rest
}: D) => rest;

/** Inserts documents in transactions small enough for Convex's write limits. */
async function bulkInsert(
  t: TestInstance,
  table: "events" | "sessions" | "visitors" | "rollupShards",
  docs: object[],
  byteBudget = 6 * 1024 * 1024,
) {
  let i = 0;
  while (i < docs.length) {
    let bytes = 0;
    let j = i;
    while (j < docs.length && j - i < 8_000 && bytes < byteBudget)
      bytes += JSON.stringify(docs[j++]).length + 64;
    const slice = docs.slice(i, j);
    await t.run(async (ctx) => {
      for (const doc of slice) await ctx.db.insert(table, doc as never);
    });
    i = j;
  }
}

async function readAll<T>(
  t: TestInstance,
  read: (
    ctx: Parameters<Parameters<TestInstance["run"]>[0]>[0],
    after: number,
  ) => Promise<(T & { _creationTime: number })[]>,
) {
  const out: T[] = [];
  let after = -1;
  for (;;) {
    const page = await t.run((ctx) => read(ctx, after));
    out.push(...page);
    if (page.length === 0) return out;
    after = page[page.length - 1]._creationTime;
  }
}

/** Aggregates `batches` (whole sessions) with the real code in a fresh instance; returns its documents. */
async function aggregateChunk(
  batches: Batch[],
  expectSiteId: string,
  now: number,
) {
  const c = freshInstance();
  vi.setSystemTime(now - HOUR);
  const siteId = await createTestSite(c);
  if (siteId !== expectSiteId)
    throw new Error(`chunk site id ${siteId} differs from ${expectSiteId}`);
  const site = (await c.run((ctx) =>
    ctx.db.get(siteId as never),
  ))! as Doc<"sites">;
  const docs = batches.flatMap((b) => eventDocs(site, b));
  await bulkInsert(c, "events", docs);
  vi.setSystemTime(now);
  await c.mutation(api.repair.aggregatePending, { siteId });
  await drain(c);
  const PAGE = 4_000;
  const byCreation = <
    T extends "events" | "sessions" | "visitors" | "rollupShards",
  >(
    table: T,
  ) =>
    readAll<Doc<T>>(
      c,
      async (ctx, after) =>
        (await ctx.db
          .query(table)
          .withIndex("by_creation_time", (q) =>
            q.gt("_creationTime", after as never),
          )
          .take(PAGE)) as never,
    );
  const events = await byCreation("events");
  if (events.length !== docs.length) throw new Error("chunk lost events");
  const streams = await c.run((ctx) =>
    ctx.db.query("aggregationStreams").collect(),
  );
  const cursorOk =
    streams.every((s) => !s.scheduled) &&
    events.every((e) =>
      streams.some((s) => s.shard === e.shard && s.cursor >= e._creationTime),
    );
  if (!cursorOk)
    throw new Error("chunk aggregation did not consume every event");
  return {
    events: events.map(strip),
    sessions: (await byCreation("sessions")).map(strip),
    visitors: (await byCreation("visitors")).map(strip),
    rollups: (await byCreation("rollupShards")).map(strip),
  };
}

/** Seeds `batches` by chunks of whole sessions (see the file comment). */
export async function seedChunked(
  batches: Batch[],
  start: number,
  chunkEvents = 1,
): Promise<Dataset> {
  const began = realNowMs();
  const now = lastArrival(batches) + 3 * HOUR;
  vi.setSystemTime(start);
  const t = freshInstance();
  const siteId = await createTestSite(t);

  // Chunks of whole client sessions, by the UTC day of each session's first
  // event; consecutive days share a chunk until it holds `chunkEvents`.
  const bySession = new Map<string, Batch[]>();
  for (const b of batches)
    bySession.set(b.sessionId, [...(bySession.get(b.sessionId) ?? []), b]);
  const byDay = new Map<number, Batch[]>();
  for (const list of bySession.values()) {
    const first = Math.min(
      ...list.flatMap((b) => b.events.map((e) => e.occurredAt)),
    );
    const day = Math.floor(first / DAY) * DAY;
    byDay.set(day, [...(byDay.get(day) ?? []), ...list]);
  }
  const chunks: Batch[][] = [[]];
  for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
    if (eventCount(chunks[chunks.length - 1]) >= chunkEvents) chunks.push([]);
    chunks[chunks.length - 1].push(...byDay.get(day)!);
  }

  const events: Row<"events">[] = [];
  const sessions: Row<"sessions">[] = [];
  const visitors = new Map<string, Row<"visitors">>();
  const rows = new Map<
    string,
    { head: Row<"rollupShards">; entries: Map<string, RollupEntry> }
  >();
  for (const chunk of chunks) {
    const out = await aggregateChunk(
      chunk.sort((a, b) => a.arrival - b.arrival),
      siteId,
      now,
    );
    events.push(...out.events);
    sessions.push(...out.sessions);
    // A visitor seen in several chunks: merged as the aggregation would have
    // updated one row (earliest first visit, latest last visit, events summed,
    // the later chunk's identity on top).
    for (const v of out.visitors) {
      const had = visitors.get(v.visitorId);
      visitors.set(
        v.visitorId,
        had
          ? {
              ...had,
              firstSeenAt: Math.min(had.firstSeenAt, v.firstSeenAt),
              lastSeenAt: Math.max(had.lastSeenAt, v.lastSeenAt),
              events: had.events + v.events,
              ...(v.userId !== undefined
                ? {
                    userId: v.userId,
                    traits: { ...(had.traits ?? {}), ...(v.traits ?? {}) },
                  }
                : {}),
            }
          : v,
      );
    }
    for (const row of out.rollups) {
      const key = `${row.interval}|${row.dimension}|${row.bucketStart}|${row.shard}`;
      let merged = rows.get(key);
      if (!merged) rows.set(key, (merged = { head: row, entries: new Map() }));
      for (const e of row.entries) {
        const had = merged.entries.get(e.key);
        merged.entries.set(e.key, had ? mergeEntries(had, e) : e);
      }
    }
  }
  const rollups: Row<"rollupShards">[] = [];
  for (const { head, entries } of rows.values()) {
    for (const [part, list] of packEntries([...entries.values()]).entries()) {
      rollups.push({
        ...head,
        part,
        entries: list,
        bytes: list.reduce((s, e) => s + entryBytes(e), 0),
      });
    }
  }
  vi.setSystemTime(now);
  events.sort((a, b) => a.receivedAt - b.receivedAt);
  await bulkInsert(t, "events", events);
  await bulkInsert(t, "sessions", sessions);
  await bulkInsert(t, "visitors", [...visitors.values()]);
  await bulkInsert(t, "rollupShards", rollups, 4 * 1024 * 1024);
  await compactAll(t, siteId, start - 24 * HOUR);
  return {
    t,
    siteId,
    events: events.length,
    method: `${chunks.length} chunk(s) of whole sessions by start day, each aggregated by the real aggregateEventBatch in its own instance; rollup rows merged with mergeEntries/packEntries, bulk-inserted, then real compaction`,
    seedMs: realNowMs() - began,
    now,
  };
}
