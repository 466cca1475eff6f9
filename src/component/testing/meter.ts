import { TransactionMetricsTracker } from "convex-test/dist/transactionMetrics.js";

/** What a piece of work read and wrote, as convex-test's limits count it. */
export type Usage = {
  documentsRead: number;
  bytesRead: number;
  documentsWritten: number;
  bytesWritten: number;
  indexRanges: number;
};

const totals: Usage = {
  documentsRead: 0,
  bytesRead: 0,
  documentsWritten: 0,
  bytesWritten: 0,
  indexRanges: 0,
};
let installed = false;

/**
 * Wraps convex-test's per-transaction tracker so every read and write of
 * every transaction (the component's, its children's) also lands in a
 * process-wide total that `measure` brackets.
 */
function install(): void {
  if (installed) return;
  installed = true;
  const proto = TransactionMetricsTracker.prototype as unknown as Record<
    string,
    (...a: number[]) => void
  >;
  const wrap = (name: string, count: (size: number) => void) => {
    const original = proto[name];
    proto[name] = function (this: unknown, ...args: number[]) {
      count(args[0] ?? 0);
      return original.apply(this, args);
    };
  };
  wrap("trackRead", (size) => {
    totals.documentsRead++;
    totals.bytesRead += size;
  });
  wrap("trackWrite", (size) => {
    totals.documentsWritten++;
    totals.bytesWritten += size;
  });
  wrap("trackIndexRange", () => {
    totals.indexRanges++;
  });
}

export async function measure<T>(
  work: () => Promise<T>,
): Promise<{ result: T; usage: Usage }> {
  install();
  const before = { ...totals };
  const result = await work();
  const usage = Object.fromEntries(
    Object.entries(totals).map(([k, v]) => [k, v - before[k as keyof Usage]]),
  ) as Usage;
  return { result, usage };
}
