import type { useQueries, useQuery } from "convex/react";
import { getFunctionName, type FunctionReference } from "convex/server";
import { topListsFixture } from "./fixtures.js";

/**
 * A `useQueries` for tests that mock `convex/react`, answering each request
 * through the test's `useQuery` mock: a thrown error becomes the `Error`
 * value `useQueries` hands back for a failed query, as the real hook does.
 */
export function queriesThrough(queryMock: typeof useQuery): typeof useQueries {
  return ((queries: Record<string, { query: never; args: never }>) =>
    Object.fromEntries(
      Object.entries(queries).map(([identifier, { query, args }]) => {
        try {
          return [identifier, queryMock(query, args)];
        } catch (error) {
          return [
            identifier,
            error instanceof Error ? error : new Error(String(error)),
          ];
        }
      }),
    )) as typeof useQueries;
}

/** One `useQuery` call a test saw: the function's name (without module) and its args. */
export type QueryCall = {
  name: string;
  args: Record<string, unknown> | "skip";
};

/**
 * Makes a mocked `useQuery` answer by function name and log every call
 * (skipped ones too) into `calls`. `answer` is not asked for skipped calls;
 * it may throw to simulate a failed query.
 */
export function answerQueriesByName(
  queryMock: MockedUseQuery,
  calls: QueryCall[],
  answer: (name: string, args: Record<string, unknown>) => unknown,
): void {
  queryMock.mockImplementation(((
    ref: FunctionReference<"query">,
    args: Record<string, unknown> | "skip",
  ) => {
    const name = getFunctionName(ref).split(":")[1];
    calls.push({ name, args });
    return args === "skip" ? undefined : answer(name, args);
  }) as typeof useQuery);
}

type MockedUseQuery = {
  mockImplementation: (impl: typeof useQuery) => unknown;
};

/** The top-list queries the fixtures answer, by name, and the fixture dimension each returns. */
export const TOP_LIST_QUERIES: Record<string, keyof typeof topListsFixture> = {
  getTopPages: "page",
  getTopEntryPages: "entryPage",
  getTopExitPages: "exitPage",
  getTopReferrers: "referrer",
  getTopSources: "source",
  getTopMediums: "medium",
  getTopCampaigns: "campaign",
  getTopEvents: "event",
  getTopDevices: "device",
  getTopBrowsers: "browser",
  getTopOs: "os",
  getTopCountries: "country",
};
