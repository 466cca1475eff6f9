/**
 * Input limits (README "Limits and bad input"): the one table the HTTP route,
 * ingest and the tracker follow. `limits.test.ts` checks the README and
 * docs/tracker.md state these numbers, and the tracker's own cuts.
 */
export const LIMITS = {
  maxEventsPerBatch: 50,
  maxBodyBytes: 64 * 1024,
  maxEventNameLength: 120,
  maxTextLength: 2_000,
  maxPropertyKeys: 32,
  maxPropertyKeyLength: 64,
  maxPropertyStringLength: 512,
  /** Context strings (UTM values, language, screen, time zone, …) are cut to this. */
  maxContextValueLength: 200,
  maxIdLength: 128,
  maxLateMs: 24 * 3_600_000,
  /** List and export pages. */
  maxPageItems: 200,
  maxTopLimit: 100,
  defaultTopLimit: 10,
} as const;

export const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60_000;
