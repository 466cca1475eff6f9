/**
 * Delivery of encoded batches. `post` is the normal path (fetch with the
 * write key in a header, so the status tells us whether to retry); `beacon`
 * is the last-chance path while the page is being hidden or unloaded.
 */

const BASE_DELAY_MS = 1000;
const MAX_DELAY_MS = 60_000;
/** Upper bound on a server-requested pause, so a typo there cannot park a tab for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Milliseconds to wait before retry number `failures + 1`: the server's
 * `Retry-After` (seconds or an HTTP date) when given, else exponential
 * backoff capped at a minute, with jitter so many tabs that failed together
 * do not retry together. Never 0, because 0 means "done" to callers.
 */
export function retryDelay(
  failures: number,
  retryAfter?: string | null,
): number {
  const asked = retryAfter
    ? isNaN(+retryAfter)
      ? Date.parse(retryAfter) - Date.now()
      : +retryAfter * 1000
    : NaN;
  const delay =
    asked >= 0
      ? Math.min(asked, MAX_RETRY_AFTER_MS)
      : Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** failures) *
        (0.5 + Math.random() / 2);
  return Math.max(1, delay);
}

/**
 * Sends one batch with fetch. Resolves to 0 when the batch is finished with:
 * accepted (2xx) or refused for good (other 4xx: bad key, origin, shape or
 * size would fail again). Resolves to a retry delay for network errors, 429
 * and 5xx.
 */
export async function post(
  endpoint: string,
  writeKey: string,
  body: string,
  failures: number,
): Promise<number> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: "POST",
      body,
      credentials: "omit",
      headers: {
        "content-type": "application/json",
        "x-analytics-write-key": writeKey,
      },
    });
  } catch {
    return retryDelay(failures);
  }
  const status = response.status;
  return status == 429 || status >= 500
    ? retryDelay(failures, response.headers.get("retry-after"))
    : 0;
}

/**
 * Hands a batch to the browser so it survives the page going away. The body
 * must carry the write key: neither path can set custom headers without a
 * CORS preflight, which the browser may not finish during unload. Returns
 * false when the browser refused (e.g. its beacon quota is full), so the
 * caller keeps the events.
 */
export function beacon(endpoint: string, body: string): boolean {
  try {
    if (navigator.sendBeacon(endpoint, body)) return true;
  } catch {
    // No sendBeacon (or it threw): fall through to keepalive fetch.
  }
  try {
    fetch(endpoint, {
      method: "POST",
      body,
      keepalive: true,
      credentials: "omit",
    }).catch(() => {});
    return true;
  } catch {
    return false;
  }
}
