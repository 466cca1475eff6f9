// convex/http.ts
import { httpRouter } from "convex/server";
import { registerRoutes } from "convex-analytics";
import { components } from "./_generated/api";

const http = httpRouter();
registerRoutes(http, components.analytics); // POST + OPTIONS /analytics/ingest
export default http;
