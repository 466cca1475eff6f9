/** The empty ("send your first event") and error notices of the dashboard, whole and per panel. */
import { Component, useId, type ReactNode } from "react";
import type { TopDimension } from "../component/validators.js";

/**
 * The dashboard's panels, each loading, empty or failing on its own: the KPI
 * cards, the chart, one table per top list, the property breakdown and the
 * realtime figure.
 */
export type DashboardPanel =
  "kpis" | "chart" | "realtime" | "breakdown" | TopDimension;

/** What the empty state's install snippet shows; placeholders where unset. */
export interface SetupHints {
  /** The app's ingest URL, e.g. "https://happy-otter-123.convex.site/analytics/ingest". */
  endpoint?: string;
  /** The site's write key (public; it only allows sending events). */
  writeKey?: string;
  /** URL the embed script is served from, for the `<script>` variant. */
  scriptSrc?: string;
}

const PLACEHOLDER_ENDPOINT =
  "https://<your-deployment>.convex.site/analytics/ingest";
const PLACEHOLDER_WRITE_KEY = "<your-site-write-key>";
const PLACEHOLDER_SCRIPT_SRC = "https://<your-cdn>/convex-analytics.min.js";

/** The tracker snippets shown when a range has no events. */
export function setupSnippets(hints: SetupHints = {}): {
  module: string;
  scriptTag: string;
} {
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
    <section
      className="ca-card ca-notice"
      data-state="empty"
      aria-labelledby={titleId}
    >
      <h3 id={titleId}>No events in this range yet</h3>
      <p className="ca-hint">
        Once your site sends its first event it shows up here within seconds.
        Add the tracker to your app:
      </p>
      <pre>
        <code>{module}</code>
      </pre>
      <p className="ca-hint">or drop the script tag into your HTML:</p>
      <pre>
        <code>{scriptTag}</code>
      </pre>
      <p className="ca-hint">
        Already sending events? Try a longer date range.
      </p>
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

export function ErrorState({
  error,
  onRetry,
}: {
  error: unknown;
  onRetry?: () => void;
}) {
  return (
    <section
      className="ca-card ca-notice ca-error"
      data-state="error"
      role="alert"
    >
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

/**
 * One panel's error: what failed and a retry, inside the panel, so the rest
 * of the dashboard keeps working. `compact` fits it into a header figure.
 */
export function PanelError({
  error,
  onRetry,
  what,
  compact,
}: {
  error: unknown;
  onRetry?: () => void;
  /** What could not be loaded, e.g. "Top pages". */
  what: string;
  compact?: boolean;
}) {
  return (
    <div
      className="ca-panel-error"
      data-state="error"
      role="alert"
      data-compact={compact || undefined}
    >
      <span className="ca-panel-error-title">{what} could not be loaded</span>
      {!compact && (
        <span className="ca-panel-error-message">{errorMessage(error)}</span>
      )}
      {onRetry && (
        <button
          type="button"
          onClick={onRetry}
          aria-label={`Try loading ${what} again`}
          title={compact ? errorMessage(error) : undefined}
        >
          Try again
        </button>
      )}
    </div>
  );
}

interface PanelBoundaryProps {
  what: string;
  /** A change (e.g. new data) after a crash renders the panel again. */
  resetKey?: unknown;
  children: ReactNode;
}

/**
 * Catches a panel that fails to *render* (say, a row shape it does not
 * expect), so that panel shows its error instead of the whole dashboard
 * going blank. Failed queries do not throw (see `useReportQuery`).
 */
export class PanelBoundary extends Component<
  PanelBoundaryProps,
  { error: unknown; key: unknown }
> {
  state = { error: undefined as unknown, key: undefined as unknown };

  static getDerivedStateFromError(error: unknown) {
    return { error: error ?? new Error("Unknown error") };
  }

  static getDerivedStateFromProps(
    props: PanelBoundaryProps,
    state: { error: unknown; key: unknown },
  ) {
    if (state.error !== undefined && state.key === undefined)
      return { key: props.resetKey };
    if (state.error !== undefined && state.key !== props.resetKey)
      return { error: undefined, key: undefined };
    return null;
  }

  render() {
    if (this.state.error === undefined) return this.props.children;
    return (
      <div className="ca-card">
        <PanelError
          error={this.state.error}
          what={this.props.what}
          onRetry={() => this.setState({ error: undefined, key: undefined })}
        />
      </div>
    );
  }
}
