/**
 * Differential test of property breakdowns and key lists: random track
 * events with 1–3 properties (one key with more distinct values per hour
 * than the cap) over several days, in a zone with DST, aggregated by one
 * shard and by four, compared with testing/propertyTruth.ts before and after
 * compaction (hour and day units, blocks).
 */
import { beforeAll, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import {
  createTestSite,
  drain,
  setupComponent,
  type TestInstance,
} from "./testing/setup.js";
import { prng, type Batch } from "./testing/traffic.js";
import { replay } from "./testing/replay.js";
import {
  truthBreakdown,
  truthPropertyKeys,
  type PropertyEvent,
} from "./testing/propertyTruth.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.UTC(2026, 2, 6); // spans the US DST switch of 2026-03-08
const DAYS = 3;
/** The cap the README states: 50 values per event name, key and hour. */
const CAP = 50;

const BREAKDOWNS = [
  ["search", "q"],
  ["search", "page"],
  ["signup", "plan"],
  ["signup", "trial"],
  ["click", "button"],
  ["pageview", "variant"],
] as const;
const NAMES = ["search", "signup", "click", "pageview", "identify"];

function propertiesOf(
  r: ReturnType<typeof prng>,
  name: string,
): Record<string, string | number> | undefined {
  if (name === "search")
    return {
      q: `q${String(r.int(0, 69)).padStart(2, "0")}`,
      ...(r.chance(0.5) ? { page: r.int(1, 3) } : {}),
    };
  if (name === "signup")
    return {
      plan: r.pick(["free", "pro", "team"]),
      ...(r.chance(0.4) ? { trial: r.pick(["yes", "no"]) } : {}),
    };
  if (name === "click") return { button: r.pick(["a", "b", "c", "d", "e"]) };
  if (name === "pageview" && r.chance(0.2))
    return { variant: r.pick(["A", "B"]) };
  return undefined;
}

/** One session of 1–6 events inside `hour`; `searchShare` of track events are searches. */
function session(
  r: ReturnType<typeof prng>,
  id: number,
  hour: number,
  searchShare: number,
): Batch {
  const events: Batch["events"] = [];
  const visitorId = `v${r.int(0, 59)}`;
  const sessionId = `s${id}`;
  let t = hour + r.int(0, 50) * 60_000 + r.int(0, 59) * 1000;
  const count = r.int(1, 6);
  for (let k = 0; k < count; k++, t += r.int(5, 60) * 1000) {
    const track = k > 0 && r.chance(0.75);
    const name = !track
      ? "pageview"
      : r.chance(searchShare)
        ? "search"
        : r.pick(["signup", "click"]);
    const properties = propertiesOf(r, name);
    events.push({
      visitorId,
      sessionId,
      type: track ? "track" : "pageview",
      name,
      path: track ? undefined : `/p${r.int(0, 5)}`,
      occurredAt: t,
      eventId: `${sessionId}-${k}`,
      ...(properties ? { properties } : {}),
    });
  }
  // A few batches arrive hours late: the cap must not depend on arrival order.
  const late = r.chance(0.05) ? r.int(1, 5) * HOUR : 0;
  return {
    arrival: t + r.int(1, 20) * 1000 + late,
    visitorId,
    sessionId,
    context: {},
    events,
  };
}

function traffic(seed: number): Batch[] {
  const r = prng(seed);
  const batches: Batch[] = [];
  let id = 0;
  for (let d = 0; d < DAYS; d++) {
    // One busy hour a day, where "q" has more distinct values than the cap.
    const busy = START + d * DAY + (3 + 7 * d) * HOUR;
    for (let i = 0; i < 70; i++) batches.push(session(r, id++, busy, 0.85));
    for (let h = 0; h < 6; h++) {
      const hour = START + d * DAY + r.int(0, 23) * HOUR;
      for (let i = 0; i < 4; i++) batches.push(session(r, id++, hour, 0.4));
    }
  }
  return batches.sort((a, b) => a.arrival - b.arrival);
}

describe.each([
  // One shard: its live rows hit the cap where they are written.
  { shards: 1, rowCapHit: true },
  // Four shards: each holds fewer values; the cap applies over all of them.
  { shards: 4, rowCapHit: false },
])(
  "property breakdowns equal raw-event truth (America/New_York, $shards shards)",
  ({ shards, rowCapHit }) => {
    let t: TestInstance;
    let siteId: string;
    let events: PropertyEvent[];

    beforeAll(async () => {
      vi.useFakeTimers();
      vi.setSystemTime(START);
      t = setupComponent();
      siteId = await createTestSite(t, {
        timezone: "America/New_York",
        rollupShardCount: shards,
      });
      const batches = traffic(5);
      const sent = await replay(t, batches);
      events = batches.flatMap((b) => b.events);
      expect(sent.accepted).toBe(events.length);
    }, 600_000);

    /** Hour-aligned ranges: the whole traffic, each UTC day, and random ones. */
    function ranges(): [number, number][] {
      const r = prng(99);
      const out: [number, number][] = [[START, START + (DAYS + 1) * DAY]];
      for (let d = 0; d < DAYS; d++)
        out.push([
          START + d * DAY + 5 * HOUR,
          START + (d + 1) * DAY + 5 * HOUR,
        ]);
      for (let i = 0; i < 12; i++) {
        const from = START + r.int(0, DAYS * 24) * HOUR;
        out.push([from, from + r.int(1, DAYS * 24) * HOUR]);
      }
      return out;
    }

    async function expectTruth(label: string) {
      let folded = 0;
      for (const [from, to] of ranges()) {
        for (const [eventName, propertyKey] of BREAKDOWNS) {
          const rows = await t.query(api.analytics.getEventPropertyBreakdown, {
            siteId,
            from,
            to,
            eventName,
            propertyKey,
            limit: 100,
          });
          const truth = truthBreakdown(
            events,
            eventName,
            propertyKey,
            from,
            to,
            CAP,
            100,
          );
          expect(
            rows,
            `${label}: ${eventName}.${propertyKey} ${from}-${to}`,
          ).toEqual(truth);
          folded += truth.find((row) => row.other)?.count ?? 0;
        }
        for (const eventName of NAMES) {
          expect(
            await t.query(api.analytics.getEventPropertyKeys, {
              siteId,
              from,
              to,
              eventName,
            }),
            `${label}: keys of ${eventName} ${from}-${to}`,
          ).toEqual(truthPropertyKeys(events, eventName, from, to));
        }
      }
      // The cap was really exercised: some events were beyond it.
      expect(folded).toBeGreaterThan(0);
    }

    async function compactAt(now: number) {
      vi.setSystemTime(now);
      await t.mutation(api.compaction.compact, { siteId });
      await drain(t);
    }

    test("live rows", async () => {
      // Each shard's live row of an hour keeps at most CAP values of "q" plus "(other)".
      const perRow = await t.run(async (ctx) =>
        (await ctx.db.query("rollupShards").collect()).map(
          (row) =>
            row.entries.filter((e) =>
              e.key.startsWith('property\t["search","q",'),
            ).length,
        ),
      );
      if (rowCapHit) expect(Math.max(...perRow)).toBe(CAP + 1);
      else expect(Math.max(...perRow)).toBeLessThan(CAP);
      await expectTruth("live rows");
    }, 600_000);

    test("after compaction part-way and after all of it (hour and day units, blocks)", async () => {
      await compactAt(START + 2 * DAY + 3 * HOUR);
      await expectTruth("part-way");
      await compactAt(START + 10 * DAY);
      const levels = await t.run(async (ctx) =>
        (await ctx.db.query("rollupTops").collect()).map((r) => r.level),
      );
      expect(Math.max(...levels)).toBeGreaterThanOrEqual(2);
      expect(
        await t.run(
          async (ctx) => (await ctx.db.query("rollupShards").collect()).length,
        ),
      ).toBe(0);
      await expectTruth("compacted");
    }, 600_000);
  },
);
