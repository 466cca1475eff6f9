import { defineComponent } from "convex/server";
import workpool from "@convex-dev/workpool/convex.config.js";
import rateLimiter from "@convex-dev/rate-limiter/convex.config.js";

const component = defineComponent("analytics");
// Runs aggregateJob.aggregateEventBatch jobs; each drains one (site, shard) stream.
component.use(workpool, { name: "aggregationPool" });
component.use(rateLimiter);

export default component;
