// convex/crons.ts
import { cronJobs } from "convex/server";
import { registerDefaultAnalyticsCrons } from "convex-analytics/maintenance";
import { internal } from "./_generated/api";

const crons = cronJobs();
registerDefaultAnalyticsCrons(crons, internal.analytics);
export default crons;
