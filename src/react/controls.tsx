/**
 * The range picker: a labelled preset `<select>`, plus two date inputs when
 * "custom" is chosen. It only reports choices; the range itself is computed
 * (and hour-aligned) by `useAnalyticsRange`.
 */
import { useEffect, useId, useState } from "react";
import {
  RANGE_PRESETS,
  isRangePreset,
  type CustomDates,
  type RangePreset,
} from "./range.js";

export interface RangePickerProps {
  preset: RangePreset;
  customDates?: CustomDates;
  onPresetChange: (preset: RangePreset) => void;
  onCustomDatesChange?: (dates: CustomDates) => void;
}

export function RangePicker({
  preset,
  customDates,
  onPresetChange,
  onCustomDatesChange,
}: RangePickerProps) {
  const selectId = useId();
  return (
    <div className="ca-controls">
      <label className="ca-field" htmlFor={selectId}>
        Date range
        <select
          id={selectId}
          value={preset}
          onChange={(event) => {
            if (isRangePreset(event.target.value))
              onPresetChange(event.target.value);
          }}
        >
          {RANGE_PRESETS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </label>
      {preset === "custom" && customDates && onCustomDatesChange && (
        <CustomDateInputs dates={customDates} onChange={onCustomDatesChange} />
      )}
    </div>
  );
}

/**
 * Two date inputs. Edits are kept locally and only reported once both dates
 * are complete and in order, so a half-typed date never reaches a query.
 */
function CustomDateInputs({
  dates,
  onChange,
}: {
  dates: CustomDates;
  onChange: (dates: CustomDates) => void;
}) {
  const [draft, setDraft] = useState(dates);
  // Follow the committed dates when they change from outside.
  const { fromDate, toDate } = dates;
  useEffect(() => setDraft({ fromDate, toDate }), [fromDate, toDate]);
  const fromId = useId();
  const toId = useId();
  const update = (next: CustomDates) => {
    setDraft(next);
    if (
      isValidDate(next.fromDate) &&
      isValidDate(next.toDate) &&
      next.fromDate <= next.toDate
    )
      onChange(next);
  };
  const invalidOrder =
    isValidDate(draft.fromDate) &&
    isValidDate(draft.toDate) &&
    draft.fromDate > draft.toDate;
  return (
    <>
      <label className="ca-field" htmlFor={fromId}>
        From
        <input
          id={fromId}
          type="date"
          value={draft.fromDate}
          max={draft.toDate || undefined}
          aria-invalid={invalidOrder || undefined}
          onChange={(event) =>
            update({ ...draft, fromDate: event.target.value })
          }
        />
      </label>
      <label className="ca-field" htmlFor={toId}>
        To (inclusive)
        <input
          id={toId}
          type="date"
          value={draft.toDate}
          min={draft.fromDate || undefined}
          aria-invalid={invalidOrder || undefined}
          onChange={(event) => update({ ...draft, toDate: event.target.value })}
        />
      </label>
    </>
  );
}

function isValidDate(value: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(value));
}
