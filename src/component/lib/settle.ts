/**
 * Events younger than this are left for a later aggregation run. A
 * mutation's inserts carry its start time, so an ingest that is still
 * committing can only add events newer than a few seconds; waiting this long
 * means a stream never moves its cursor past an event it has not seen.
 *
 * A module of its own (no imports): modules that derive constants from it
 * at load time must not depend on the order of an import cycle.
 */
export const SETTLE_MS = 5_000;
