import type { QueuedEvent, WireContext } from "./types.js";

/** The ingest route's per-request limits. */
export const MAX_EVENTS = 50;
export const MAX_BYTES = 64 * 1024;

const encoder = new TextEncoder();
/** UTF-8 length: the route limits bytes, and non-ASCII text takes more than one. */
const bytes = (text: string) => encoder.encode(text).length;

/** Appends an event, dropping the oldest ones once `max` is exceeded. */
export function pushBounded(
  queue: QueuedEvent[],
  item: QueuedEvent,
  max: number,
): void {
  queue.push(item);
  trim(queue, max);
}

/** Drops the oldest events beyond `max`, so an offline tab's memory stays bounded. */
export function trim(queue: QueuedEvent[], max: number): void {
  if (queue.length > max) queue.splice(0, queue.length - max);
}

/** The JSON body of one request. `writeKey` goes in only for header-less deliveries. */
export function encodeBatch(
  batch: QueuedEvent[],
  base: WireContext,
  writeKey?: string,
): string {
  return JSON.stringify({
    writeKey,
    visitorId: batch[0].v,
    sessionId: batch[0].s,
    context: Object.assign({}, base, ...batch.map((item) => item.u)),
    events: batch.map((item) => item.e),
  });
}

/**
 * Removes and returns the next request's worth of events from the front of
 * `queue`: at most 50 events and 64 KiB of body, all of one visitor and one
 * session (a request carries a single pair of ids). The size is counted with
 * the write key included, so the same batch also fits a beacon. An event too
 * large to ever fit is dropped, since the route would answer 413 forever.
 */
export function takeBatch(
  queue: QueuedEvent[],
  base: WireContext,
  writeKey: string,
): QueuedEvent[] {
  const first = queue[0];
  if (!first) return [];
  let size =
    bytes(encodeBatch([first], base, writeKey)) -
    bytes(JSON.stringify(first.e));
  let count = 0;
  for (const item of queue) {
    if (count == MAX_EVENTS || item.v != first.v || item.s != first.s) break;
    size +=
      bytes(JSON.stringify(item.e)) +
      1 +
      (item.u ? bytes(JSON.stringify(item.u)) : 0);
    if (size > MAX_BYTES) break;
    count++;
  }
  return queue.splice(0, count || 1).slice(0, count);
}
