// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  getUserId,
  randomId,
  resetIdentity,
  SESSION_TIMEOUT_MS,
  setUserId,
  touchVisit,
} from "./identity.js";
import { resetPage } from "./testing/harness.js";

const MINUTE = 60_000;
const T0 = Date.UTC(2025, 0, 1, 12);

beforeEach(() => resetPage());
afterEach(() => vi.restoreAllMocks());

describe("randomId", () => {
  test("is 32 hex characters and does not repeat", () => {
    const ids = new Set(Array.from({ length: 1000 }, randomId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("touchVisit", () => {
  test("keeps the visitor id in localStorage and the session in sessionStorage", () => {
    const first = touchVisit(T0, true);
    expect(localStorage.getItem("ca_vid")).toBe(first.visitorId);
    expect(sessionStorage.getItem("ca_sid")).toMatch(
      new RegExp(`^${first.sessionId}\\.${T0}\\.1$`),
    );
    const again = touchVisit(T0 + MINUTE, false);
    expect(again).toEqual({
      visitorId: first.visitorId,
      sessionId: first.sessionId,
      entry: false,
    });
  });

  test("rotates the session only after more than 30 minutes idle", () => {
    const a = touchVisit(T0, true);
    const b = touchVisit(T0 + SESSION_TIMEOUT_MS, false); // exactly 30 min: same session
    const c = touchVisit(T0 + 2 * SESSION_TIMEOUT_MS, false); // activity at b extended it
    const d = touchVisit(T0 + 3 * SESSION_TIMEOUT_MS + 1, false); // 30 min + 1 ms idle
    expect(b.sessionId).toBe(a.sessionId);
    expect(c.sessionId).toBe(a.sessionId);
    expect(d.sessionId).not.toBe(a.sessionId);
    expect(d.visitorId).toBe(a.visitorId);
  });

  test("marks only the first pageview of each session as its entry", () => {
    expect(touchVisit(T0, false).entry).toBe(false); // a track before any pageview
    expect(touchVisit(T0 + 1, true).entry).toBe(true);
    expect(touchVisit(T0 + 2, true).entry).toBe(false);
    expect(touchVisit(T0 + 3 + 31 * MINUTE, true).entry).toBe(true);
  });

  test("starts a new session when the stored record is corrupt", () => {
    const a = touchVisit(T0, true);
    sessionStorage.setItem("ca_sid", `${a.sessionId}.not-a-time.1`);
    expect(touchVisit(T0 + 1, true)).toMatchObject({ entry: true });
    expect(touchVisit(T0 + 2, true).sessionId).not.toBe(a.sessionId);
  });

  test("falls back to memory when storage throws, keeping ids stable", () => {
    // What Safari and sandboxed iframes do: touching the storage throws.
    const blocked = {
      get: () => {
        throw new DOMException("blocked", "SecurityError");
      },
      configurable: true,
    };
    const saved = ["localStorage", "sessionStorage"].map((name) => {
      const descriptor = Object.getOwnPropertyDescriptor(window, name);
      Object.defineProperty(window, name, blocked);
      return () => Object.defineProperty(window, name, descriptor!);
    });
    try {
      expect(() => window.localStorage).toThrow();
      const a = touchVisit(T0, true);
      const b = touchVisit(T0 + MINUTE, true);
      expect(b.visitorId).toBe(a.visitorId);
      expect(b.sessionId).toBe(a.sessionId);
      expect([a.entry, b.entry]).toEqual([true, false]);
    } finally {
      saved.forEach((restore) => restore());
    }
  });
});

describe("user id and reset", () => {
  test("reset forgets user, visitor and session", () => {
    const before = touchVisit(T0, true);
    setUserId("u_1");
    expect(getUserId()).toBe("u_1");
    resetIdentity();
    expect(getUserId()).toBeUndefined();
    const after = touchVisit(T0 + 1, true);
    expect(after.visitorId).not.toBe(before.visitorId);
    expect(after.sessionId).not.toBe(before.sessionId);
    expect(after.entry).toBe(true);
  });
});
