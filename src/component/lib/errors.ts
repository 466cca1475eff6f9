import { ConvexError } from "convex/values";

/**
 * The errors the component raises on purpose (README, "Errors"): each is a
 * `ConvexError` whose `data` is `{ code, message }`, so an app can branch on
 * `code` and show `message`. The number is the status the ingest route
 * answers with when an ingest fails this way.
 */
export const ERROR_HTTP_STATUS = {
  /** An argument is malformed or out of its allowed range. */
  invalid_argument: 400,
  /** The request asks for more than a documented limit allows (README, "Limits and bad input"). */
  limit_exceeded: 413,
  /** Unknown or disabled write key. */
  unauthorized: 401,
  /** The request's origin is not among the site's allowed origins. */
  forbidden: 403,
  /** No such site. */
  not_found: 404,
  /** The slug or write key is already used by another site. */
  conflict: 409,
  /** The app's deployment lacks a setting the call needs (an environment variable). */
  not_configured: 500,
} as const;

export type AnalyticsErrorCode = keyof typeof ERROR_HTTP_STATUS;

/** What `ConvexError.data` holds for every error listed above. */
export type AnalyticsErrorData = { code: AnalyticsErrorCode; message: string };

/** Throws the component's one kind of error. */
export function fail(code: AnalyticsErrorCode, message: string): never {
  throw new ConvexError<AnalyticsErrorData>({ code, message });
}

/**
 * The `{ code, message }` of an error the component raised, or null for any
 * other error. Works on errors caught from `ctx.runQuery`/`runMutation` and
 * from the React hooks alike: both hand back a `ConvexError` with its data.
 */
export function analyticsErrorData(error: unknown): AnalyticsErrorData | null {
  if (!(error instanceof ConvexError)) return null;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null) return null;
  const { code, message } = data as Record<string, unknown>;
  if (typeof code !== "string" || !(code in ERROR_HTTP_STATUS)) return null;
  if (typeof message !== "string") return null;
  return { code: code as AnalyticsErrorCode, message };
}
