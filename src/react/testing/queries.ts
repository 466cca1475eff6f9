import type { useQueries, useQuery } from "convex/react";

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
