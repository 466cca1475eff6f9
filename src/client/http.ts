import {
  httpActionGeneric,
  type GenericActionCtx,
  type GenericDataModel,
  type HttpRouter,
} from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import type { IngestResult } from "../component/validators.js";
import {
  clientIp,
  cookielessVisitorId,
  DEFAULT_IP_HEADERS,
  randomSalt,
} from "./cookieless.js";
import {
  ERROR_HTTP_STATUS,
  analyticsErrorData,
} from "../component/lib/errors.js";
import { floorToLocalDay } from "../component/lib/time.js";
import type { VisitorIdentity } from "../component/validators.js";
import { hashWriteKey } from "./hash.js";
import {
  countryOf,
  DEFAULT_GEO_HEADERS,
  describeUserAgent,
  isBotUserAgent,
} from "./userAgent.js";
import { BadRequest, parseWireBatch, type WireBatch } from "./wire.js";

export type RateLimitSetting = {
  rate: number;
  periodMs: number;
  capacity?: number;
};

export type IngestRouteOptions = {
  /** Route path; default "/analytics/ingest". */
  path?: string;
  /** Headers a proxy sets with the client's country; default Cloudflare, Vercel, CloudFront. */
  geoHeaders?: string[];
  /**
   * Headers the client IP is read from for cookieless sites, first usable
   * one wins; default `x-forwarded-for` (leftmost address), `cf-connecting-ip`,
   * `x-real-ip`. The IP only keys the day's visitor hash (README, "Privacy
   * and consent").
   */
  ipHeaders?: string[];
  /** Token buckets per visitor and per site, or false to turn rate limiting off. */
  rateLimit?:
    | false
    | {
        perVisitor?: RateLimitSetting | false;
        perSite?: RateLimitSetting | false;
      };
};

export const DEFAULT_INGEST_PATH = "/analytics/ingest";
export const DEFAULT_RATE_LIMITS = {
  perVisitor: { rate: 120, periodMs: 60_000, capacity: 240 },
  perSite: { rate: 20_000, periodMs: 60_000, capacity: 40_000 },
};

type ActionCtx = GenericActionCtx<GenericDataModel>;
type Site = { siteId: string; active: boolean; allowedOrigins: string[] };
type ResolvedSite = Site & {
  hash: string;
  visitorIdentity: VisitorIdentity;
  timezone: string;
};

const WRITE_KEY_HEADER = "x-analytics-write-key";

function corsHeaders(
  origin: string | null,
  site: Site | null,
): Record<string, string> {
  if (!origin) return {};
  // A known site answers only its own origins; before the site is known the
  // origin is echoed so the browser can read why the request failed.
  if (
    site &&
    site.allowedOrigins.length > 0 &&
    !site.allowedOrigins.includes(origin)
  )
    return {};
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": `Content-Type, ${WRITE_KEY_HEADER}`,
    "Access-Control-Max-Age": "86400",
    Vary: "Origin",
  };
}

function respond(
  status: number,
  body: unknown,
  origin: string | null,
  site: Site | null,
  extra: Record<string, string> = {},
) {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/json",
      ...corsHeaders(origin, site),
      ...extra,
    },
  });
}

async function resolveSite(
  ctx: ActionCtx,
  component: ComponentApi,
  writeKey: string | null | undefined,
): Promise<ResolvedSite | null> {
  if (!writeKey) return null;
  const hash = await hashWriteKey(writeKey);
  const site = await ctx.runQuery(component.writeKeys.resolveWriteKey, {
    writeKeyHash: hash,
  });
  return site ? { ...site, hash } : null;
}

async function checkRateLimit(
  ctx: ActionCtx,
  component: ComponentApi,
  options: IngestRouteOptions,
  siteId: string,
  visitorId: string,
) {
  if (options.rateLimit === false) return { ok: true as const };
  const limits = { ...DEFAULT_RATE_LIMITS, ...(options.rateLimit ?? {}) };
  return await ctx.runMutation(component.rateLimits.consumeIngestQuota, {
    siteId,
    visitorId,
    ...(limits.perVisitor ? { perVisitor: limits.perVisitor } : {}),
    ...(limits.perSite ? { perSite: limits.perSite } : {}),
  });
}

/** The page's host, from the browser's Origin header (the page that sent the batch). */
function hostnameOf(origin: string | null): string | undefined {
  if (!origin) return undefined;
  try {
    return new URL(origin).hostname.toLowerCase() || undefined;
  } catch {
    return undefined;
  }
}

/** The server-side half of the context: parsed from headers, never sent by the client. */
function serverContext(
  request: Request,
  batch: WireBatch,
  options: IngestRouteOptions,
) {
  const userAgent = describeUserAgent(request.headers.get("user-agent"));
  const country = countryOf(
    request.headers,
    options.geoHeaders ?? DEFAULT_GEO_HEADERS,
    batch.context.timezone,
  );
  const hostname = hostnameOf(request.headers.get("origin"));
  return {
    ...batch.context,
    ...userAgent,
    ...(country ? { country } : {}),
    ...(hostname ? { hostname } : {}),
  };
}

/** The status and message an ingest that failed with one of the component's errors gets. */
function statusOfConvexError(
  error: unknown,
): { status: number; message: string } | null {
  const data = analyticsErrorData(error);
  if (!data) return null;
  return { status: ERROR_HTTP_STATUS[data.code], message: data.message };
}

/**
 * Handles one ingest request end to end: size and shape checks, write key,
 * origin, bots, visitor ids (derived here for cookieless sites: README,
 * "Privacy and consent"), rate limit, context, then `ingestBatch`. Usable
 * from an app's own HTTP action; `registerRoutes` mounts it.
 */
export async function ingestFromHttp(
  ctx: ActionCtx,
  component: ComponentApi,
  request: Request,
  options: IngestRouteOptions = {},
): Promise<Response> {
  const origin = request.headers.get("origin");
  const url = new URL(request.url);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > 64 * 1024)
    return respond(
      413,
      { error: "The body is larger than 65536 bytes" },
      origin,
      null,
    );
  let batch: WireBatch;
  try {
    batch = parseWireBatch(await request.text());
  } catch (error) {
    if (error instanceof BadRequest)
      return respond(error.status, { error: error.message }, origin, null);
    throw error;
  }
  const writeKey =
    request.headers.get(WRITE_KEY_HEADER) ??
    batch.writeKey ??
    url.searchParams.get("key");
  const site = await resolveSite(ctx, component, writeKey);
  if (!site || !site.active)
    return respond(
      401,
      { error: "Unknown or disabled write key" },
      origin,
      null,
    );
  if (
    site.allowedOrigins.length > 0 &&
    !(origin && site.allowedOrigins.includes(origin))
  ) {
    return respond(
      403,
      { error: "This origin may not send events to this site" },
      origin,
      site,
    );
  }
  if (isBotUserAgent(request.headers.get("user-agent"))) {
    await ctx.runMutation(component.bots.recordBots, {
      writeKeyHash: site.hash,
      events: batch.events.length,
    });
    return respond(
      202,
      { accepted: 0, duplicate: 0, rejected: 0, bot: true },
      origin,
      site,
    );
  }
  if (site.visitorIdentity === "cookieless") {
    // The client's ids, if an older tracker still sends them, are ignored.
    const visitorId = await cookielessId(
      ctx,
      component,
      request,
      site,
      options,
    );
    if (!visitorId)
      return respond(400, { error: noIpMessage(options) }, origin, site);
    batch = { ...batch, visitorId, sessionId: visitorId };
  } else if (!batch.visitorId || !batch.sessionId) {
    return respond(400, { error: MISSING_IDS }, origin, site);
  }
  const quota = await checkRateLimit(
    ctx,
    component,
    options,
    site.siteId,
    batch.visitorId!,
  );
  if (!quota.ok) {
    const seconds = Math.max(1, Math.ceil((quota.retryAfterMs ?? 1000) / 1000));
    return respond(429, { error: "Too many requests" }, origin, site, {
      "Retry-After": String(seconds),
    });
  }
  return await forwardBatch(ctx, component, request, batch, site, options);
}

async function forwardBatch(
  ctx: ActionCtx,
  component: ComponentApi,
  request: Request,
  batch: WireBatch,
  site: ResolvedSite,
  options: IngestRouteOptions,
): Promise<Response> {
  const origin = request.headers.get("origin");
  let result: IngestResult = {
    accepted: 0,
    duplicate: 0,
    rejected: 0,
    errors: [],
  };
  try {
    if (batch.events.length > 0) {
      result = await ctx.runMutation(component.ingest.ingestBatch, {
        writeKeyHash: site.hash,
        ...(origin ? { origin } : {}),
        visitorId: batch.visitorId!,
        sessionId: batch.sessionId!,
        context: serverContext(request, batch, options),
        events: batch.events,
      });
    }
  } catch (error) {
    const mapped = statusOfConvexError(error);
    if (!mapped) throw error;
    return respond(mapped.status, { error: mapped.message }, origin, site);
  }
  const errors = [
    ...batch.malformed,
    ...result.errors.map((e) => ({
      index: batch.indexes[e.index],
      reason: e.reason,
    })),
  ].sort((a, b) => a.index - b.index);
  const body = {
    ...result,
    rejected: result.rejected + batch.malformed.length,
    errors,
  };
  return respond(202, body, origin, site);
}

const MISSING_IDS =
  'visitorId and sessionId must be non-empty strings: this site counts visitors by device (visitorIdentity "device"). ' +
  'A tracker with storage: "none" needs the site\'s visitorIdentity set to "cookieless".';

function noIpMessage(options: IngestRouteOptions): string {
  const names = (options.ipHeaders ?? DEFAULT_IP_HEADERS).join(", ");
  return (
    `This site counts visitors without cookies, which needs the client's IP address, and this request has none in ${names}. ` +
    "A proxy in front of the deployment must forward it (X-Forwarded-For), or set registerRoutes' ipHeaders."
  );
}

/**
 * The cookieless visitor id of this request: HMAC of (site, client IP, user
 * agent) under the site's salt of its current local day, the salt created
 * on first use. Null when no header carries a usable IP. The IP stays in
 * this function: it is neither stored, logged nor sent to a Convex function.
 * Sessions then follow the usual gap rule on this id (it doubles as the
 * session id), and a new local day gives a new id.
 */
async function cookielessId(
  ctx: ActionCtx,
  component: ComponentApi,
  request: Request,
  site: ResolvedSite,
  options: IngestRouteOptions,
): Promise<string | null> {
  const ip = clientIp(request.headers, options.ipHeaders ?? DEFAULT_IP_HEADERS);
  if (!ip) return null;
  const dayStart = floorToLocalDay(Date.now(), site.timezone);
  const salt =
    (await ctx.runQuery(component.salts.getDaySalt, {
      siteId: site.siteId,
      dayStart,
    })) ??
    (await ctx.runMutation(component.salts.ensureDaySalt, {
      siteId: site.siteId,
      candidate: randomSalt(),
    }));
  return await cookielessVisitorId(
    salt.salt,
    site.siteId,
    ip,
    request.headers.get("user-agent") ?? "",
  );
}

/** Answers a CORS preflight; with `?key=` it answers only the site's own origins. */
export async function preflight(
  ctx: ActionCtx,
  component: ComponentApi,
  request: Request,
): Promise<Response> {
  const origin = request.headers.get("origin");
  const key = new URL(request.url).searchParams.get("key");
  const site = key ? await resolveSite(ctx, component, key) : null;
  return new Response(null, {
    status: 204,
    headers: corsHeaders(origin, site),
  });
}

/**
 * Mounts `POST` and `OPTIONS` on the ingest path (default
 * `/analytics/ingest`) of the app's HTTP router.
 */
export function registerRoutes(
  http: HttpRouter,
  component: ComponentApi,
  options: IngestRouteOptions = {},
): void {
  const path = options.path ?? DEFAULT_INGEST_PATH;
  http.route({
    path,
    method: "POST",
    handler: httpActionGeneric((ctx, request) =>
      ingestFromHttp(ctx, component, request, options),
    ),
  });
  http.route({
    path,
    method: "OPTIONS",
    handler: httpActionGeneric((ctx, request) =>
      preflight(ctx, component, request),
    ),
  });
}
