import { LIMITS } from "../component/lib/limits.js";
import type { Context, IncomingEvent } from "../component/validators.js";

/** A request body as the tracker sends it, after shape checks. */
export type WireBatch = {
  writeKey?: string;
  /** Left out by a tracker with `storage: "none"`: the route derives it (README, "Privacy and consent"). */
  visitorId?: string;
  sessionId?: string;
  context: Context;
  events: IncomingEvent[];
  /** Original index of each kept event, so rejections point at the request. */
  indexes: number[];
  malformed: { index: number; reason: string }[];
};

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

const EVENT_TYPES = new Set(["pageview", "track", "identify"]);
const OPTIONAL_STRINGS = [
  "name",
  "path",
  "title",
  "referrer",
  "userId",
  "eventId",
] as const;
const CONTEXT_STRINGS = [
  "source",
  "utmSource",
  "utmMedium",
  "utmCampaign",
  "utmTerm",
  "utmContent",
  "language",
  "screen",
  "timezone",
] as const;

const isObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && !Array.isArray(x);

/** Checks one event's shape; values and limits are the component's job. */
function eventShapeProblem(raw: unknown): string | null {
  if (!isObject(raw)) return "an event must be an object";
  if (typeof raw.type !== "string" || !EVENT_TYPES.has(raw.type))
    return `event type must be pageview, track or identify`;
  for (const field of OPTIONAL_STRINGS) {
    if (raw[field] !== undefined && typeof raw[field] !== "string")
      return `${field} must be a string`;
  }
  if (
    raw.occurredAt !== undefined &&
    (typeof raw.occurredAt !== "number" || !Number.isFinite(raw.occurredAt))
  ) {
    return "occurredAt must be a number (ms since the epoch)";
  }
  if (
    raw.properties !== undefined &&
    raw.properties !== null &&
    !isObject(raw.properties)
  ) {
    return "properties must be an object";
  }
  return null;
}

function pickEvent(raw: Record<string, unknown>): IncomingEvent {
  const event: Record<string, unknown> = { type: raw.type };
  for (const field of [
    ...OPTIONAL_STRINGS,
    "occurredAt",
    "properties",
  ] as const) {
    if (raw[field] !== undefined && raw[field] !== null)
      event[field] = raw[field];
  }
  return event as IncomingEvent;
}

/** Only the context fields the client may set; device, browser, OS and country are the server's. */
function pickClientContext(raw: unknown): Context {
  if (!isObject(raw)) return {};
  const context: Record<string, string> = {};
  for (const field of CONTEXT_STRINGS) {
    const value = raw[field];
    if (typeof value === "string" && value.length > 0)
      context[field] = value.slice(0, LIMITS.maxContextValueLength);
  }
  return context;
}

/**
 * Parses and shape-checks a request body. Whole-request problems throw
 * BadRequest (400, or 413 past the size limits); a malformed event is set
 * aside with its reason so the rest of the batch is still ingested.
 */
export function parseWireBatch(text: string): WireBatch {
  if (new TextEncoder().encode(text).byteLength > LIMITS.maxBodyBytes) {
    throw new BadRequest(
      `The body is larger than ${LIMITS.maxBodyBytes} bytes`,
      413,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequest("The body is not valid JSON");
  }
  if (!isObject(body)) throw new BadRequest("The body must be a JSON object");
  // Ids may be left out (cookieless trackers); the route decides whether the site needs them.
  for (const field of ["visitorId", "sessionId"] as const) {
    if (body[field] == null) continue;
    if (
      typeof body[field] !== "string" ||
      (body[field] as string).length === 0
    ) {
      throw new BadRequest(`${field} must be a non-empty string`);
    }
  }
  if (!Array.isArray(body.events))
    throw new BadRequest("events must be an array");
  if (body.events.length > LIMITS.maxEventsPerBatch) {
    throw new BadRequest(
      `A batch holds at most ${LIMITS.maxEventsPerBatch} events`,
      413,
    );
  }
  const batch: WireBatch = {
    writeKey: typeof body.writeKey === "string" ? body.writeKey : undefined,
    visitorId: (body.visitorId as string | null | undefined) ?? undefined,
    sessionId: (body.sessionId as string | null | undefined) ?? undefined,
    context: pickClientContext(body.context),
    events: [],
    indexes: [],
    malformed: [],
  };
  body.events.forEach((raw, index) => {
    const problem = eventShapeProblem(raw);
    if (problem) batch.malformed.push({ index, reason: problem });
    else {
      batch.events.push(pickEvent(raw as Record<string, unknown>));
      batch.indexes.push(index);
    }
  });
  return batch;
}
