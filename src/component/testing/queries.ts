import { api } from "../_generated/api.js";
import {
  TOP_DIMENSIONS,
  TOP_QUERY_NAMES,
  type TopDimension,
} from "../lib/dimensions.js";

/** The top-list query of each dimension, for table-driven tests: every registered dimension. */
export const TOP_QUERY = Object.fromEntries(
  TOP_DIMENSIONS.map((d) => [d, api.analytics[TOP_QUERY_NAMES[d]]]),
) as {
  [D in TopDimension]: (typeof api.analytics)[(typeof TOP_QUERY_NAMES)[D]];
};
