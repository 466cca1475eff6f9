/** The empty ("send your first event") and error notices of the dashboard. */
import { useId } from "react";

/** What the empty state's install snippet shows; placeholders where unset. */
export interface SetupHints {
  /** The app's ingest URL, e.g. "https://happy-otter-123.convex.site/analytics/ingest". */
  endpoint?: string;
  /** The site's write key (public; it only allows sending events). */
  writeKey?: string;
  /** URL the embed script is served from, for the `<script>` variant. */
  scriptSrc?: string;
}

const PLACEHOLDER_ENDPOINT = "https://<your-deployment>.convex.site/analytics/ingest";
const PLACEHOLDER_WRITE_KEY = "<your-site-write-key>";
const PLACEHOLDER_SCRIPT_SRC = "https://<your-cdn>/convex-analytics.min.js";

/** The tracker snippets shown when a range has no events. */
export function setupSnippets(hints: SetupHints = {}): { module: string; scriptTag: string } {
  const endpoint = hints.endpoint ?? PLACEHOLDER_ENDPOINT;
  const writeKey = hints.writeKey ?? PLACEHOLDER_WRITE_KEY;
  const scriptSrc = hints.scriptSrc ?? PLACEHOLDER_SCRIPT_SRC;
  const module = [
    `import { createAnalytics } from "convex-analytics/browser";`,
    ``,
    `const analytics = createAnalytics({`,
    `  endpoint: ${JSON.stringify(endpoint)},`,
    `  writeKey: ${JSON.stringify(writeKey)},`,
    `});`,
    `analytics.page();`,
    `analytics.track("signup", { plan: "pro" });`,
  ].join("\n");
  const scriptTag =
    `<script defer src=${JSON.stringify(scriptSrc)}\n` +
    `  data-endpoint=${JSON.stringify(endpoint)}\n` +
    `  data-write-key=${JSON.stringify(writeKey)}></script>`;
  return { module, scriptTag };
}

export function EmptyState({ setup }: { setup?: SetupHints }) {
  const { module, scriptTag } = setupSnippets(setup);
  const titleId = useId();
  return (
    <section className="ca-card ca-notice" data-state="empty" aria-labelledby={titleId}>
      <h3 id={titleId}>No events in this range yet</h3>
      <p className="ca-hint">
        Once your site sends its first event it shows up here within seconds. Add the tracker to your app:
      </p>
      <pre>
        <code>{module}</code>
      </pre>
      <p className="ca-hint">or drop the script tag into your HTML:</p>
      <pre>
        <code>{scriptTag}</code>
      </pre>
      <p className="ca-hint">Already sending events? Try a longer date range.</p>
    </section>
  );
}

/** The message of whatever was thrown: Convex errors, plain Errors, strings. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  return (
    <section className="ca-card ca-notice ca-error" data-state="error" role="alert">
      <h3>The analytics could not be loaded</h3>
      <pre>
        <code>{errorMessage(error)}</code>
      </pre>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </section>
  );
}
