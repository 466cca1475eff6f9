import { vi } from "vitest";
import { api } from "../_generated/api.js";
import type { Batch } from "./traffic.js";
import { drain, WRITE_KEY_HASH, type TestInstance } from "./setup.js";

/**
 * Sends batches through ingestBatch at their arrival times (fake clock) and
 * lets aggregation run whenever traffic pauses, as it would in production.
 */
export async function replay(
  t: TestInstance,
  batches: Batch[],
  drainGapMs = 15 * 60_000,
) {
  const totals = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const [i, batch] of batches.entries()) {
    vi.setSystemTime(batch.arrival);
    const result = await t.mutation(api.ingest.ingestBatch, {
      writeKeyHash: WRITE_KEY_HASH,
      visitorId: batch.visitorId,
      sessionId: batch.sessionId,
      context: batch.context,
      events: batch.events.map(
        ({ visitorId: _v, sessionId: _s, context: _c, ...e }) => e,
      ),
    });
    totals.accepted += result.accepted;
    totals.duplicate += result.duplicate;
    totals.rejected += result.rejected;
    const next = batches[i + 1];
    if (!next || next.arrival - batch.arrival > drainGapMs) await drain(t);
  }
  return totals;
}
