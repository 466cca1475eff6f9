/**
 * The dashboard's stylesheet as a string, so users need no CSS import. Every
 * rule is scoped under the root class, and every colour/size the user may
 * want to change is a `--ca-` custom property set on that root (override
 * them on your own class or an ancestor via `className`).
 */
import { useInsertionEffect } from "react";

/** Class on the dashboard's root element; all styles are scoped under it. */
export const ROOT_CLASS = "ca-dashboard";

/** `id` of the injected `<style>` element, so it is added only once per document. */
export const STYLE_ELEMENT_ID = "convex-analytics-dashboard-styles";

const R = `.${ROOT_CLASS}`;

export const DASHBOARD_CSS = `
${R} {
  --ca-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --ca-bg: #f7f7f8;
  --ca-surface: #ffffff;
  --ca-text: #1b1b1f;
  --ca-muted: #5f6169;
  --ca-border: #e2e3e8;
  --ca-accent: #4f46e5;
  --ca-accent-2: #0ea5e9;
  --ca-accent-soft: rgba(79, 70, 229, 0.12);
  --ca-positive: #15803d;
  --ca-negative: #b91c1c;
  --ca-skeleton: #e9e9ee;
  --ca-focus: #2563eb;
  --ca-radius: 10px;
  --ca-gap: 16px;
  --ca-font-size: 14px;
  font-family: var(--ca-font);
  font-size: var(--ca-font-size);
  line-height: 1.4;
  color: var(--ca-text);
  background: var(--ca-bg);
  padding: var(--ca-gap);
  box-sizing: border-box;
  min-width: 0;
}
${R} *, ${R} *::before, ${R} *::after { box-sizing: inherit; }
${R} :focus-visible { outline: 2px solid var(--ca-focus); outline-offset: 2px; }
${R} .ca-sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
${R} .ca-header {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between;
  gap: 8px var(--ca-gap); margin-bottom: var(--ca-gap);
}
${R} .ca-title { font-size: 1.25em; font-weight: 650; margin: 0; }
${R} .ca-subtitle { color: var(--ca-muted); margin: 2px 0 0; font-size: 0.9em; }
${R} .ca-controls { display: flex; flex-wrap: wrap; align-items: end; gap: 8px; }
${R} .ca-field { display: flex; flex-direction: column; gap: 2px; font-size: 0.85em; color: var(--ca-muted); }
${R} select, ${R} input, ${R} button {
  font: inherit; font-size: var(--ca-font-size); color: var(--ca-text); background: var(--ca-surface);
  border: 1px solid var(--ca-border); border-radius: calc(var(--ca-radius) * 0.6);
  padding: 6px 10px; min-height: 34px; max-width: 100%;
}
${R} button { cursor: pointer; }
${R} button:hover { border-color: var(--ca-accent); }
${R} .ca-link-button {
  border: 0; background: none; padding: 0; min-height: 0; color: inherit; text-align: left;
  text-decoration: underline dotted; text-underline-offset: 3px; cursor: pointer;
}
${R} .ca-grid { display: grid; gap: var(--ca-gap); grid-template-columns: repeat(auto-fit, minmax(min(100%, 340px), 1fr)); }
${R} .ca-kpis {
  display: grid; gap: var(--ca-gap); margin: 0 0 var(--ca-gap); padding: 0; list-style: none;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 140px), 1fr));
}
${R} .ca-card {
  background: var(--ca-surface); border: 1px solid var(--ca-border); border-radius: var(--ca-radius);
  padding: 12px 14px; min-width: 0;
}
${R} .ca-card-title { font-size: 0.95em; font-weight: 600; margin: 0 0 8px; }
${R} .ca-top-card { display: flex; flex-direction: column; gap: 6px; min-width: 0; }
${R} .ca-tabs { display: flex; flex-wrap: wrap; gap: 4px; }
${R} .ca-tab {
  border: 1px solid var(--ca-border); background: var(--ca-surface); color: inherit; border-radius: 999px;
  padding: 2px 10px; font: inherit; font-size: 0.8em; cursor: pointer;
}
${R} .ca-tab[aria-pressed="true"] { background: var(--ca-accent, #4f46e5); border-color: transparent; color: #fff; }
${R} .ca-kpi-label { color: var(--ca-muted); font-size: 0.85em; }
${R} .ca-kpi-value { font-size: 1.6em; font-weight: 650; font-variant-numeric: tabular-nums; margin: 2px 0; }
${R} .ca-change { font-size: 0.85em; font-variant-numeric: tabular-nums; color: var(--ca-muted); }
${R} .ca-change[data-sentiment="positive"] { color: var(--ca-positive); }
${R} .ca-change[data-sentiment="negative"] { color: var(--ca-negative); }
${R} .ca-realtime { display: flex; align-items: center; gap: 12px; }
${R} .ca-realtime-note { color: var(--ca-muted); font-size: 0.85em; }
${R} .ca-pulse {
  width: 10px; height: 10px; border-radius: 50%; background: var(--ca-positive); flex: none;
  box-shadow: 0 0 0 3px color-mix(in srgb, var(--ca-positive) 25%, transparent);
}
${R} .ca-chart-card { margin-bottom: var(--ca-gap); }
${R} .ca-chart { position: relative; width: 100%; }
${R} .ca-chart-narrow { display: none; }
@media (max-width: 560px) {
  ${R} .ca-chart-wide { display: none; }
  ${R} .ca-chart-narrow { display: block; }
}
${R} .ca-chart svg { display: block; width: 100%; height: auto; overflow: visible; }
${R} .ca-chart text { fill: var(--ca-muted); font-size: 11px; font-family: var(--ca-font); }
${R} .ca-chart .ca-gridline { stroke: var(--ca-border); }
${R} .ca-chart .ca-series-visitors { stroke: var(--ca-accent); fill: none; stroke-width: 2; }
${R} .ca-chart .ca-area-visitors { fill: var(--ca-accent-soft); stroke: none; }
${R} .ca-chart .ca-series-pageviews { stroke: var(--ca-accent-2); fill: none; stroke-width: 2; stroke-dasharray: 5 3; }
${R} .ca-chart .ca-hover-line { stroke: var(--ca-muted); stroke-width: 1; }
${R} .ca-chart .ca-dot-visitors { fill: var(--ca-accent); }
${R} .ca-chart .ca-dot-pageviews { fill: var(--ca-accent-2); }
${R} .ca-legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 0.85em; color: var(--ca-muted); margin-bottom: 6px; }
${R} .ca-swatch { display: inline-block; width: 12px; height: 3px; margin-right: 6px; vertical-align: middle; }
${R} .ca-tooltip {
  position: absolute; top: 0; pointer-events: none; background: var(--ca-surface); color: var(--ca-text);
  border: 1px solid var(--ca-border); border-radius: calc(var(--ca-radius) * 0.6);
  padding: 6px 8px; font-size: 0.85em; white-space: nowrap; box-shadow: 0 2px 8px rgba(0, 0, 0, 0.08);
}
${R} table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; table-layout: fixed; }
${R} caption { text-align: left; font-weight: 600; padding: 0 0 8px; }
${R} th, ${R} td { padding: 5px 6px; text-align: left; border-bottom: 1px solid var(--ca-border); }
${R} thead th { color: var(--ca-muted); font-weight: 500; font-size: 0.85em; }
${R} tbody th { font-weight: 500; }
${R} th.ca-num, ${R} td.ca-num { text-align: right; width: 5.5em; }
${R} .ca-key { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; position: relative; }
${R} .ca-bar {
  position: absolute; inset: 3px auto 3px 0; background: var(--ca-accent-soft);
  border-radius: 3px; z-index: 0; pointer-events: none;
}
${R} .ca-key-text { position: relative; z-index: 1; }
${R} tr[data-selected="true"] th { font-weight: 700; }
${R} .ca-empty-row { color: var(--ca-muted); text-align: center; padding: 16px 6px; }
${R} .ca-breakdown-form { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin-bottom: 8px; }
${R} .ca-hint { color: var(--ca-muted); font-size: 0.9em; margin: 4px 0; }
${R} .ca-skeleton {
  display: block; background: var(--ca-skeleton); border-radius: 4px; min-height: 1em;
  animation: ca-shimmer 1.4s ease-in-out infinite;
}
@keyframes ca-shimmer { 0%, 100% { opacity: 1; } 50% { opacity: 0.55; } }
@media (prefers-reduced-motion: reduce) { ${R} .ca-skeleton { animation: none; } }
${R} .ca-reports { transition: opacity 0.2s; }
${R}[data-refreshing] .ca-reports { opacity: 0.6; }
${R} .ca-notice { border-left: 4px solid var(--ca-accent); margin-bottom: var(--ca-gap); }
${R} .ca-error { border-left-color: var(--ca-negative); }
${R} .ca-panel-error { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; padding: 8px 10px; border-left: 3px solid var(--ca-negative); }
${R} .ca-panel-error[data-compact] { flex-direction: row; align-items: center; padding: 2px 8px; }
${R} .ca-panel-error-title { font-weight: 600; }
${R} .ca-kpis-error { margin-bottom: var(--ca-gap); }
${R} .ca-panel-error-message { color: var(--ca-muted); font-size: 0.85em; overflow-wrap: anywhere; }
${R} .ca-notice h3 { font-size: 1.05em; margin: 0 0 6px; }
${R} pre {
  background: var(--ca-bg); border: 1px solid var(--ca-border); border-radius: calc(var(--ca-radius) * 0.6);
  padding: 10px; overflow-x: auto; font-size: 0.85em; margin: 8px 0;
}
${R} code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
`;

/**
 * Adds the stylesheet to `document.head` once, before layout (insertion
 * effects run before any layout effect reads styles). A no-op on the server,
 * where the static report inlines {@link DASHBOARD_CSS} itself.
 */
export function useDashboardStyles(): void {
  useInsertionEffect(() => {
    if (
      typeof document === "undefined" ||
      document.getElementById(STYLE_ELEMENT_ID)
    )
      return;
    const style = document.createElement("style");
    style.id = STYLE_ELEMENT_ID;
    style.textContent = DASHBOARD_CSS;
    document.head.appendChild(style);
  }, []);
}
