/**
 * Who and which visit an event belongs to: a visitor id kept in
 * localStorage, a session id kept in sessionStorage that rotates after 30
 * minutes without events, and an optional user id set by `identify`.
 *
 * Storage can throw (Safari private mode, sandboxed iframes, blocked
 * cookies), so every access falls back to memory: the tracker keeps working
 * for the life of the page instead of crashing the host app.
 */

type StoreName = "localStorage" | "sessionStorage";

// Short keys: they ship in the embed script, where every byte counts.
const VISITOR_KEY = "ca_vid";
const SESSION_KEY = "ca_sid";
const USER_KEY = "ca_uid";
/** localStorage flag that opts this browser out of tracking when set to "1". */
export const OPT_OUT_KEY = "ca_optout";
/** Idle time after which the next event starts a new session (matches the server default). */
export const SESSION_TIMEOUT_MS = 30 * 60 * 1000;

const memory: Record<string, string | null> = {};
/** `storage: "none"`: every key but the opt-out flag lives in memory only. */
let memoryOnly = false;

/** Switches memory-only mode on or off (each tracker sets it when it starts). */
export function keepInMemory(on: boolean): void {
  memoryOnly = on;
}

/** Reads a key, from memory when the storage itself is unavailable or not to be used. */
export function load(store: StoreName, key: string): string | null {
  try {
    if (memoryOnly && key != OPT_OUT_KEY) throw 0;
    return window[store].getItem(key);
  } catch {
    return memory[store + key] ?? null;
  }
}

/** Writes (or with `null` removes) a key, in memory when storage throws. */
export function save(
  store: StoreName,
  key: string,
  value: string | null,
): void {
  try {
    if (memoryOnly && key != OPT_OUT_KEY) throw 0;
    if (value == null) window[store].removeItem(key);
    else window[store].setItem(key, value);
  } catch {
    memory[store + key] = value;
  }
}

/**
 * A random 128-bit id as 32 hex characters. `crypto.randomUUID` exists only
 * in secure contexts; `getRandomValues` works on plain http pages too.
 */
export function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) =>
    (b | 256).toString(16).slice(1),
  ).join("");
}

/** The ids an event is sent with, and whether it opens the session's first pageview. */
export interface Visit {
  visitorId: string;
  sessionId: string;
  /** True for the first pageview of a session: it carries UTM and referrer. */
  entry: boolean;
}

/**
 * Records activity at `now` and returns the ids to use. The session record is
 * `id.lastActivity.sawPageview`; a missing, corrupt or idle-expired record
 * starts a new session.
 */
export function touchVisit(now: number, pageview: boolean): Visit {
  let visitorId = load("localStorage", VISITOR_KEY);
  if (!visitorId) save("localStorage", VISITOR_KEY, (visitorId = randomId()));
  let [sessionId, last, seen] = (
    load("sessionStorage", SESSION_KEY) || ""
  ).split(".");
  if (!sessionId || !(now - +last <= SESSION_TIMEOUT_MS)) {
    sessionId = randomId();
    seen = "";
  }
  const entry = pageview && !seen;
  save(
    "sessionStorage",
    SESSION_KEY,
    [sessionId, now, seen || (pageview ? 1 : "")].join("."),
  );
  return { visitorId, sessionId, entry };
}

/** The user id set by the last `identify`, if any. */
export function getUserId(): string | undefined {
  return load("localStorage", USER_KEY) || undefined;
}

/** Remembers the identified user for the events that follow. */
export function setUserId(userId: string): void {
  save("localStorage", USER_KEY, userId);
}

/** Forgets user, visitor and session: the next event starts a new anonymous visitor. */
export function resetIdentity(): void {
  for (const key of [USER_KEY, VISITOR_KEY]) save("localStorage", key, null);
  save("sessionStorage", SESSION_KEY, null);
}
