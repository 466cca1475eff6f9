import { LIMITS } from "./limits.js";
import type {
  Context,
  EventType,
  IncomingEvent,
  Properties,
} from "../validators.js";

/** An event that passed validation, ready to be stored. */
export type CleanEvent = {
  type: EventType;
  name: string;
  path?: string;
  title?: string;
  referrer?: string;
  properties?: Properties;
  userId?: string;
  occurredAt: number;
  eventId?: string;
};

export type PropertyPolicy = { allowed?: string[]; denied?: string[] };

export type EventCheck =
  { ok: true; event: CleanEvent } | { ok: false; reason: string };

function truncate(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  return value.length > max ? value.slice(0, max) : value;
}

/** Checks ids the tracker generates (visitor, session, event ids). */
export function checkId(label: string, value: unknown): string | null {
  if (typeof value !== "string" || value.length === 0)
    return `${label} must be a non-empty string`;
  if (value.length > LIMITS.maxIdLength)
    return `${label} is longer than ${LIMITS.maxIdLength} characters`;
  return null;
}

/** Applies the key/value limits and the site's allow/deny lists. */
export function cleanProperties(
  raw: unknown,
  policy: PropertyPolicy,
): { ok: true; properties?: Properties } | { ok: false; reason: string } {
  if (raw === undefined || raw === null) return { ok: true };
  if (typeof raw !== "object" || Array.isArray(raw))
    return { ok: false, reason: "properties must be an object" };
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > LIMITS.maxPropertyKeys) {
    return {
      ok: false,
      reason: `properties has ${entries.length} keys; at most ${LIMITS.maxPropertyKeys} are allowed`,
    };
  }
  const allowed =
    policy.allowed && policy.allowed.length > 0
      ? new Set(policy.allowed)
      : null;
  const denied = new Set(policy.denied ?? []);
  const properties: Properties = {};
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > LIMITS.maxPropertyKeyLength) {
      return {
        ok: false,
        reason: `property key "${key.slice(0, 80)}" must be 1 to ${LIMITS.maxPropertyKeyLength} characters`,
      };
    }
    if (key.startsWith("$") || key.startsWith("_")) {
      return {
        ok: false,
        reason: `property key "${key}" may not start with "$" or "_"`,
      };
    }
    const type = value === null ? "null" : typeof value;
    if (
      type !== "string" &&
      type !== "number" &&
      type !== "boolean" &&
      type !== "null"
    ) {
      return {
        ok: false,
        reason: `property "${key}" is ${Array.isArray(value) ? "an array" : type}; only string, number, boolean or null are allowed`,
      };
    }
    if (type === "number" && !Number.isFinite(value)) {
      return { ok: false, reason: `property "${key}" is not a finite number` };
    }
    if ((allowed && !allowed.has(key)) || denied.has(key)) continue;
    properties[key] =
      type === "string"
        ? truncate(value as string, LIMITS.maxPropertyStringLength)!
        : (value as number | boolean | null);
  }
  return {
    ok: true,
    properties: Object.keys(properties).length > 0 ? properties : undefined,
  };
}

/** The name an event is counted under in the events top list. */
function eventName(event: IncomingEvent): string | { reason: string } {
  if (event.type === "track") {
    if (typeof event.name !== "string" || event.name.trim().length === 0) {
      return { reason: "track events need a name" };
    }
    if (event.name.length > LIMITS.maxEventNameLength) {
      return {
        reason: `event name is longer than ${LIMITS.maxEventNameLength} characters`,
      };
    }
    return event.name;
  }
  return event.type;
}

/**
 * Validates one event and clamps its time: later than arrival becomes
 * arrival, missing means arrival, earlier than arrival − 24 h is rejected.
 */
export function checkEvent(
  event: IncomingEvent,
  receivedAt: number,
  policy: PropertyPolicy,
): EventCheck {
  const name = eventName(event);
  if (typeof name !== "string") return { ok: false, reason: name.reason };
  let occurredAt = event.occurredAt ?? receivedAt;
  if (!Number.isFinite(occurredAt))
    return { ok: false, reason: "occurredAt must be a finite number" };
  if (occurredAt > receivedAt) occurredAt = receivedAt;
  if (occurredAt < receivedAt - LIMITS.maxLateMs) {
    return {
      ok: false,
      reason: "occurredAt is more than 24 hours before arrival",
    };
  }
  if (event.eventId !== undefined) {
    const problem = checkId("eventId", event.eventId);
    if (problem) return { ok: false, reason: problem };
  }
  if (event.userId !== undefined) {
    const problem = checkId("userId", event.userId);
    if (problem) return { ok: false, reason: problem };
  }
  if (event.type === "identify" && event.userId === undefined) {
    return { ok: false, reason: "identify events need a userId" };
  }
  const properties = cleanProperties(event.properties, policy);
  if (!properties.ok) return properties;
  const path = truncate(event.path, LIMITS.maxTextLength);
  if (event.type === "pageview" && !path)
    return { ok: false, reason: "pageview events need a path" };
  return {
    ok: true,
    event: {
      type: event.type,
      name,
      path,
      title: truncate(event.title, LIMITS.maxTextLength),
      referrer: truncate(event.referrer, LIMITS.maxTextLength),
      properties: properties.properties,
      userId: event.userId,
      occurredAt: Math.floor(occurredAt),
      eventId: event.eventId,
    },
  };
}

/** Trims context strings so one batch cannot store unbounded text. */
export function cleanContext(
  context: Context | undefined,
): Context | undefined {
  if (!context) return undefined;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    if (typeof value === "string" && value.length > 0)
      out[key] = value.slice(0, LIMITS.maxContextValueLength);
  }
  return Object.keys(out).length > 0 ? (out as Context) : undefined;
}

/** The external referrer's host, lower-cased and without `www.`. */
export function referrerHost(referrer: string | undefined): string | undefined {
  if (!referrer) return undefined;
  try {
    const host = new URL(referrer).hostname.toLowerCase();
    return host.startsWith("www.") ? host.slice(4) : host || undefined;
  } catch {
    return undefined;
  }
}
