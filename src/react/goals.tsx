/**
 * The Goals panel (README, "Goals"): per goal its converting visitors
 * ("uniques"), conversions ("total"), conversion rate and the rate's change
 * from the previous period. Picking a goal adds its conversion rate to the
 * sources, campaigns and entry-pages tables.
 */
import { makeFunctionReference } from "convex/server";
import type { FunctionReference } from "convex/server";
import type {
  GoalBreakdown,
  GoalConversions,
  TopDimension,
} from "../component/validators.js";
import type { GoalBreakdownDimension } from "../component/lib/goals.js";
import type { AnalyticsDashboardApi, RangeQueryArgs } from "./api.js";
import { formatNumber, formatPercent, formatPointChange } from "./format.js";
import { useReportQuery } from "./hooks.js";
import { PanelError } from "./states.js";

/** Top tables that show the picked goal's conversion rate, and the breakdown each reads. */
export const GOAL_RATE_TABLES: Partial<
  Record<TopDimension, GoalBreakdownDimension>
> = { source: "source", campaign: "campaign", entryPage: "entryPage" };

/** Conversion rate by key, per table that shows it. */
export type GoalRates = Partial<Record<TopDimension, Record<string, number>>>;

export type GoalConversionsQuery = FunctionReference<
  "query",
  "public",
  RangeQueryArgs,
  GoalConversions
>;
export type GoalBreakdownQuery = FunctionReference<
  "query",
  "public",
  RangeQueryArgs & {
    goalId: string;
    dimension: GoalBreakdownDimension;
    limit?: number;
    keys?: string[];
  },
  GoalBreakdown
>;

// Stand-ins for an api without goal queries; only ever used with "skip".
const NO_CONVERSIONS: GoalConversionsQuery = makeFunctionReference(
  "analytics:getGoalConversions",
);
const NO_BREAKDOWN: GoalBreakdownQuery = makeFunctionReference(
  "analytics:getGoalBreakdown",
);

export type GoalData = {
  goals: GoalConversions | undefined;
  previousGoals: GoalConversions | undefined;
  goalRates: GoalRates;
  error: Error | undefined;
};

/**
 * Subscribes to the goals of the range and of the previous one, and, with a
 * goal picked, to its breakdown for each table in {@link GOAL_RATE_TABLES}.
 * Skips everything when the app does not expose the goal queries.
 */
export function useGoalData(
  api: AnalyticsDashboardApi,
  siteId: string,
  range: { from: number; to: number },
  selectedGoalId: string | undefined,
  attempt = 0,
  /** With the live split, the current range's figures stop here, like the tables (README, "A dashboard left open"). */
  settledThrough?: number,
  /** The keys each rate table shows: only their rates are asked for, so a breakdown reads what the table read. */
  shownKeys?: Partial<Record<TopDimension, string[]>>,
): GoalData {
  const { from, to: rangeTo } = range;
  const to = settledThrough ?? rangeTo;
  const has = api.getGoalConversions !== undefined;
  const current = useReportQuery(
    api.getGoalConversions ?? NO_CONVERSIONS,
    has ? { siteId, from, to } : "skip",
    attempt,
  );
  const previous = useReportQuery(
    api.getGoalConversions ?? NO_CONVERSIONS,
    has ? { siteId, from: from - (rangeTo - from), to: from } : "skip",
    attempt,
  );
  const goalRates: GoalRates = {};
  // A constant list: the hooks run in the same order on every render.
  for (const [table, dimension] of Object.entries(GOAL_RATE_TABLES)) {
    // Without the table's keys (not loaded yet, or an app that passes none),
    // the goal's own top 100 keys.
    const keys = shownKeys?.[table as TopDimension];
    const wanted =
      api.getGoalBreakdown !== undefined &&
      !!selectedGoalId &&
      (shownKeys === undefined || keys !== undefined);
    // eslint-disable-next-line react-hooks/rules-of-hooks -- a constant list: same order every render
    const breakdown = useReportQuery(
      api.getGoalBreakdown ?? NO_BREAKDOWN,
      wanted
        ? {
            siteId,
            from,
            to,
            goalId: selectedGoalId,
            dimension,
            ...(keys ? { keys } : { limit: 100 }),
          }
        : "skip",
      attempt,
    );
    if (wanted && breakdown.value)
      goalRates[table as TopDimension] = Object.fromEntries(
        breakdown.value.rows.map((r) => [r.key, r.conversionRate]),
      );
  }
  return {
    goals: current.value,
    previousGoals: previous.value,
    goalRates,
    error: current.error ?? previous.error,
  };
}

export interface GoalsPanelProps {
  /** Undefined while loading. */
  goals: GoalConversions | undefined;
  previous?: GoalConversions;
  selectedGoalId?: string;
  /** Picks a goal (or, for the picked one, clears the choice). */
  onSelectGoal?: (goalId: string | undefined) => void;
  locale?: string;
  error?: unknown;
  onRetry?: () => void;
}

export function GoalsPanel(props: GoalsPanelProps) {
  const { goals, locale } = props;
  if (props.error !== undefined)
    return (
      <div className="ca-card" data-panel="goals" data-state="error">
        <h3 className="ca-card-title">Goals</h3>
        <PanelError error={props.error} what="Goals" onRetry={props.onRetry} />
      </div>
    );
  const previousRate = new Map(
    (props.previous?.goals ?? []).map((g) => [g.goal.goalId, g.conversionRate]),
  );
  return (
    <div
      className="ca-card"
      data-panel="goals"
      data-state={goals === undefined ? "loading" : "data"}
    >
      <table aria-busy={goals === undefined}>
        <caption>
          Goals
          {goals?.backfilling ? " (counting past events…)" : ""}
        </caption>
        <thead>
          <tr>
            <th scope="col">Goal</th>
            <th scope="col" className="ca-num">
              Uniques
            </th>
            <th scope="col" className="ca-num">
              Total
            </th>
            <th scope="col" className="ca-num">
              Conversion rate
            </th>
            <th scope="col" className="ca-num">
              Change
            </th>
          </tr>
        </thead>
        <tbody>
          {goals?.goals.length === 0 && (
            <tr>
              <td colSpan={5} className="ca-empty-row">
                No goals defined
              </td>
            </tr>
          )}
          {goals?.goals.map((row) => {
            const id = row.goal.goalId;
            const selected = props.selectedGoalId === id;
            const before = previousRate.get(id);
            const change =
              before === undefined
                ? undefined
                : formatPointChange(row.conversionRate, before, { locale });
            return (
              <tr key={id} data-goal={id} data-selected={selected || undefined}>
                <th scope="row" className="ca-key">
                  {props.onSelectGoal ? (
                    <button
                      type="button"
                      className="ca-link-button ca-key-text"
                      aria-pressed={selected}
                      aria-label={`Show conversion rates of ${row.goal.name}`}
                      onClick={() =>
                        props.onSelectGoal!(selected ? undefined : id)
                      }
                    >
                      {row.goal.name}
                    </button>
                  ) : (
                    <span className="ca-key-text">{row.goal.name}</span>
                  )}
                </th>
                <td className="ca-num">{formatNumber(row.visitors, locale)}</td>
                <td className="ca-num">
                  {formatNumber(row.conversions, locale)}
                </td>
                <td className="ca-num" data-metric="conversionRate">
                  {formatPercent(row.conversionRate, locale)}
                </td>
                <td className="ca-num" data-metric="change">
                  {change ? (
                    <span title={change.description}>{change.text}</span>
                  ) : (
                    "–"
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
