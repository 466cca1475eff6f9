import { usePaginatedQuery } from "convex-helpers/react";
import { api } from "../convex/_generated/api";

/**
 * The app's own use of a drill-down: every raw event in arrival order (what
 * a warehouse loader reads with `exportEvents`), a page at a time.
 *
 * `usePaginatedQuery` comes from convex-helpers/react, not convex/react: the
 * component pages with convex-helpers' paginator (index-key cursors), whose
 * pages do not remember where they ended. The convex-helpers hook pins each
 * page it has shown (`endCursor`) when it loads the next, so rows neither
 * repeat nor go missing while new events arrive; the built-in hook relies on
 * the server's `.paginate()` for that, which components cannot use.
 */
export function ExportPanel({ siteId }: { siteId: string }) {
  const { results, status, loadMore } = usePaginatedQuery(
    api.analytics.exportEvents,
    { siteId },
    { initialNumItems: 20 },
  );
  return (
    <section aria-label="Raw event export">
      <h2>Raw events, in arrival order</h2>
      <ol>
        {results.map((event) => (
          <li key={event._id}>
            {new Date(event.receivedAt).toISOString()}{" "}
            {event.type === "track" ? event.name : event.type}{" "}
            {event.path ?? ""}
          </li>
        ))}
      </ol>
      {status === "CanLoadMore" && (
        <button onClick={() => loadMore(20)}>Load more</button>
      )}
      {status === "LoadingFirstPage" || status === "LoadingMore" ? (
        <p>Loading…</p>
      ) : null}
    </section>
  );
}
