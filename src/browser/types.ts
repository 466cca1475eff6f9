/** Shapes shared by the tracker modules; they mirror the ingest route's wire format. */

/** Property values the server accepts. */
export type PropertyValue = string | number | boolean | null;
/** Event properties or user traits. */
export type Properties = Record<string, PropertyValue>;

/** Batch-level context sent with every request. */
export interface WireContext {
  utmSource?: string;
  utmMedium?: string;
  utmCampaign?: string;
  utmTerm?: string;
  utmContent?: string;
  language?: string;
  /** `"<width>x<height>"` of the screen. */
  screen?: string;
  /** IANA timezone name, e.g. `"Europe/Berlin"`. */
  timezone?: string;
}

/** One event as it travels to `POST /analytics/ingest`. */
export interface WireEvent {
  type: "pageview" | "track" | "identify";
  name?: string;
  path?: string;
  title?: string;
  referrer?: string;
  properties?: Properties;
  userId?: string;
  /** Milliseconds since the epoch, taken when the event was captured. */
  occurredAt?: number;
  /** Client-generated; the server accepts each id once, so retries are safe. */
  eventId?: string;
}

/** An event waiting in the queue, with the ids it was captured under. */
export interface QueuedEvent {
  e: WireEvent;
  /** visitor id; none with `storage: "none"` (the server derives it) */
  v?: string;
  /** session id; none with `storage: "none"` */
  s?: string;
  /** UTM context, only on the first pageview of a session */
  u?: WireContext;
}
