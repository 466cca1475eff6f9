import type {
  GenericActionCtx,
  GenericDataModel,
  GenericMutationCtx,
} from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import type {
  Context,
  IncomingEvent,
  IngestResult,
} from "../component/validators.js";
import { hashWriteKey } from "./hash.js";

/**
 * Ingests events from the app's own server code (an HTTP action, a webhook,
 * a mutation): the same `ingestBatch` the route uses, with the raw write key
 * hashed here. Server-side calls carry no origin, so a site with
 * `allowedOrigins` must list none to accept them.
 */
export async function ingestEvents(
  ctx:
    GenericActionCtx<GenericDataModel> | GenericMutationCtx<GenericDataModel>,
  component: ComponentApi,
  batch: {
    writeKey: string;
    visitorId: string;
    sessionId: string;
    context?: Context;
    events: IncomingEvent[];
    origin?: string;
  },
): Promise<IngestResult> {
  const { writeKey, ...rest } = batch;
  return await ctx.runMutation(component.ingest.ingestBatch, {
    ...rest,
    writeKeyHash: await hashWriteKey(writeKey),
  });
}
