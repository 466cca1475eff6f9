import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { SETTLE_MS } from "./lib/settle.js";
import { fail } from "./lib/errors.js";
import { LIMITS } from "./lib/limits.js";
import { getSiteDoc } from "./sites.js";

/**
 * Incremental export (README, "Report functions"): raw events in arrival
 * order (`_creationTime`), in pages whose cursor names the last event
 * returned, so a cursor kept from a finished export (`isDone`) returns
 * exactly the events that arrived since: none twice, none missed.
 *
 * Arrival order is not commit order: an event's `_creationTime` is taken
 * when its ingest mutation starts, so an ingest still committing can add
 * events *older* than ones already visible. A cursor that had passed them
 * would never return them. So the export only hands out events older than
 * EXPORT_SETTLE_MS (aggregation waits the same: see SETTLE_MS), by when
 * every ingest that could still add such an event has committed; newer
 * events come with a later call. An export therefore lags arrival by a few
 * seconds.
 */
export const EXPORT_SETTLE_MS = SETTLE_MS;

/**
 * Where a page starts: after the event `id` at `after`, or, with no id,
 * at `after` itself (inclusive). Creation times are unique per table in
 * practice (aggregation cursors rely on it); the id makes ties safe anyway.
 */
type Position = { after: number; id: string | null };

const CURSOR_HELP =
  "exportEvents: unrecognized cursor; pass a continueCursor it returned, or null to start from the beginning";

export function encodeExportCursor(position: Position): string {
  return JSON.stringify(position);
}

export function decodeExportCursor(
  cursor: string | null,
  from: number,
): Position {
  if (cursor === null) return { after: from, id: null };
  let value: unknown;
  try {
    value = JSON.parse(cursor);
  } catch {
    fail("invalid_argument", CURSOR_HELP);
  }
  // A page cursor of earlier versions: the index key [siteId, _creationTime, _id].
  if (
    Array.isArray(value) &&
    value.length === 3 &&
    typeof value[1] === "number" &&
    typeof value[2] === "string"
  ) {
    return { after: value[1], id: value[2] };
  }
  if (
    typeof value === "object" &&
    value !== null &&
    "after" in value &&
    typeof value.after === "number"
  ) {
    const id = "id" in value && typeof value.id === "string" ? value.id : null;
    return { after: value.after, id };
  }
  fail("invalid_argument", CURSOR_HELP);
}

export type ExportArgs = {
  siteId: string;
  from?: number;
  to?: number;
  cursor: string | null;
  numItems: number;
  endCursor?: string | null;
};

/**
 * One page of the export. `from`/`to` bound arrival times. `isDone` means
 * every settled event up to `to` has been returned; `continueCursor` then
 * still names the last event returned (or the cursor passed in), so calling
 * again later with it continues with what arrived since. With `endCursor`
 * the page ends at that event (a page a client already holds, re-read).
 */
export async function exportPage(ctx: QueryCtx, args: ExportArgs) {
  if (!Number.isFinite(args.numItems) || args.numItems < 1)
    fail("invalid_argument", "numItems must be at least 1");
  const numItems = Math.min(Math.floor(args.numItems), LIMITS.maxPageItems);
  const site = await getSiteDoc(ctx, args.siteId);
  const from = args.from ?? 0;
  const start = decodeExportCursor(args.cursor, from);
  const end = args.endCursor ? decodeExportCursor(args.endCursor, from) : null;
  const horizon = Date.now() - EXPORT_SETTLE_MS;
  const upper = Math.min(args.to ?? Number.MAX_SAFE_INTEGER, horizon);
  const lower = Math.max(start.after, from);
  const page: Doc<"events">[] = [];
  let more = false;
  if (lower < upper) {
    const events = ctx.db
      .query("events")
      .withIndex("by_siteId", (q) =>
        q
          .eq("siteId", site._id)
          .gte("_creationTime", lower)
          .lt("_creationTime", upper),
      );
    // Skip the events at the cursor's instant up to and including its own
    // (index order breaks ties by id, as when they were first returned).
    let skipping = start.id !== null && lower === start.after;
    let passedEnd = false;
    for await (const event of events) {
      if (skipping && event._creationTime === start.after) {
        if (event._id === start.id) skipping = false;
        continue;
      }
      skipping = false;
      const full = end
        ? passedEnd || event._creationTime > end.after
        : page.length === numItems;
      if (full) {
        more = true;
        break;
      }
      page.push(event);
      if (end && event._id === end.id) passedEnd = true;
    }
  }
  const last = page[page.length - 1];
  const continueCursor = end
    ? args.endCursor!
    : encodeExportCursor(
        last
          ? { after: last._creationTime, id: last._id }
          : { after: lower, id: lower === start.after ? start.id : null },
      );
  return { page, isDone: !more, continueCursor };
}
