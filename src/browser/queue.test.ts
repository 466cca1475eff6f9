// @vitest-environment happy-dom
import { describe, expect, test } from "vitest";
import {
  encodeBatch,
  MAX_BYTES,
  MAX_EVENTS,
  pushBounded,
  takeBatch,
} from "./queue.js";
import type { QueuedEvent, WireContext } from "./types.js";

const base: WireContext = {
  language: "de-DE",
  screen: "1280x720",
  timezone: "Europe/Berlin",
};
const KEY = "wk_test";

function item(
  n: number,
  extra: Partial<QueuedEvent> = {},
  title = "",
): QueuedEvent {
  return {
    e: {
      type: "track",
      name: `e${n}`,
      title: title || undefined,
      eventId: `id${n}`,
    },
    v: "v1",
    s: "s1",
    ...extra,
  };
}

/** Takes batches until the queue is empty. */
function drainAll(queue: QueuedEvent[]): QueuedEvent[][] {
  const batches: QueuedEvent[][] = [];
  for (let guard = 0; queue.length && guard < 1000; guard++)
    batches.push(takeBatch(queue, base, KEY));
  return batches;
}

describe("takeBatch", () => {
  test("takes at most 50 events per request, in order", () => {
    const queue = Array.from({ length: 120 }, (_, n) => item(n));
    const batches = drainAll(queue);
    expect(batches.map((b) => b.length)).toEqual([MAX_EVENTS, MAX_EVENTS, 20]);
    expect(batches.flat().map((i) => i.e.eventId)).toEqual(
      Array.from({ length: 120 }, (_, n) => `id${n}`),
    );
  });

  test("never mixes visitors or sessions in one request", () => {
    const queue = [
      item(1),
      item(2),
      item(3, { s: "s2" }),
      item(4, { v: "v2", s: "s2" }),
      item(5, { v: "v2", s: "s2" }),
    ];
    const batches = drainAll(queue);
    expect(batches.map((b) => b.map((i) => i.e.name))).toEqual([
      ["e1", "e2"],
      ["e3"],
      ["e4", "e5"],
    ]);
  });

  test("keeps every body, write key included, within 64 KiB of UTF-8", () => {
    // 3-byte characters: a character count would under-estimate by 3x.
    const queue = Array.from({ length: 45 }, (_, n) =>
      item(n, {}, "€".repeat(1900)),
    );
    const batches = drainAll(queue);
    expect(batches.length).toBeGreaterThan(1);
    for (const batch of batches) {
      const body = encodeBatch(batch, base, KEY);
      expect(new TextEncoder().encode(body).length).toBeLessThanOrEqual(
        MAX_BYTES,
      );
    }
    expect(batches.flat()).toHaveLength(45);
  });

  test("drops a single event that can never fit, and goes on", () => {
    const huge = item(1, {}, "x".repeat(MAX_BYTES));
    const queue = [huge, item(2)];
    expect(takeBatch(queue, base, KEY)).toEqual([]);
    expect(takeBatch(queue, base, KEY).map((i) => i.e.name)).toEqual(["e2"]);
  });
});

describe("encodeBatch", () => {
  test("puts the batch's ids on the envelope and merges UTM context into the base", () => {
    const batch = [item(1), item(2, { u: { utmSource: "newsletter" } })];
    const body = JSON.parse(encodeBatch(batch, base));
    expect(body).toEqual({
      visitorId: "v1",
      sessionId: "s1",
      context: { ...base, utmSource: "newsletter" },
      events: [batch[0].e, batch[1].e],
    });
    expect(JSON.parse(encodeBatch(batch, base, KEY)).writeKey).toBe(KEY);
  });
});

describe("pushBounded", () => {
  test("drops the oldest events beyond the bound", () => {
    const queue: QueuedEvent[] = [];
    for (let n = 0; n < 25; n++) pushBounded(queue, item(n), 10);
    expect(queue.map((i) => i.e.name)).toEqual(
      Array.from({ length: 10 }, (_, n) => `e${n + 15}`),
    );
  });
});
