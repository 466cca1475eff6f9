import { httpRouter } from "convex/server";
import { registerRoutes } from "convex-analytics";
import { components } from "./_generated/api";

const http = httpRouter();
// POST + OPTIONS /analytics/ingest: where the tracker sends events.
registerRoutes(http, components.analytics);
export default http;
