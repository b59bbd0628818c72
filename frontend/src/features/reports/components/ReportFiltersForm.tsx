import { useId } from "react";
import { SelectField, TextField } from "../../../components/Field";
import { formatPhoneNumber } from "../../../lib/format";
import { useInboxes } from "../../inboxes/api/inboxes";
import { useTeam } from "../../tickets/api/team";
import { MAX_HOURLY_DAYS, RANGE_LABELS, type Bucket, type RangePreset } from "../period";
import styles from "./reports.module.css";

/** A row of radio buttons that looks like a segmented control (arrow keys move between them). */
function Segmented<T extends string>({
  legend,
  name,
  options,
  value,
  disabled = [],
  hint,
  onChange,
}: {
  legend: string;
  name: string;
  options: readonly { value: T; label: string }[];
  value: T;
  disabled?: readonly T[];
  hint?: string;
  onChange: (value: T) => void;
}) {
  const hintId = useId();
  return (
    <fieldset className={styles.segmented} aria-describedby={hint ? hintId : undefined}>
      <legend>{legend}</legend>
      <div className={styles.segments}>
        {options.map((option) => (
          <label key={option.value}>
            <input
              type="radio"
              name={name}
              value={option.value}
              checked={value === option.value}
              disabled={disabled.includes(option.value)}
              onChange={() => {
                onChange(option.value);
              }}
            />
            <span>{option.label}</span>
          </label>
        ))}
      </div>
      {hint ? (
        <p className="field-hint" id={hintId}>
          {hint}
        </p>
      ) : null}
    </fieldset>
  );
}

const PRESETS: readonly RangePreset[] = ["today", "7d", "30d", "custom"];

export interface FilterState {
  preset: RangePreset;
  custom: { from: string; to: string };
  inbox: string | null;
  agent: number | null;
  bucket: Bucket;
  /** Days in the period (for which buckets are offered). */
  days: number | null;
}

/**
 * What the report covers: the period (today, 7 or 30 days, or two dates), the inbox, for admins the agent, and
 * whether the charts count by hour or by day (hours only for periods up to 31 days).
 */
export function ReportFiltersForm({
  state,
  isAdmin,
  periodError,
  onChange,
}: {
  state: FilterState;
  isAdmin: boolean;
  periodError: string | null;
  onChange: (change: Partial<Omit<FilterState, "days">>) => void;
}) {
  const inboxes = useInboxes();
  const team = useTeam();
  const hourly = state.days !== null && state.days <= MAX_HOURLY_DAYS;
  const people = [...(team.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <form
      className={styles.filters}
      aria-label="Report filters"
      onSubmit={(event) => {
        event.preventDefault();
      }}
    >
      <Segmented
        legend="Period"
        name="period"
        options={PRESETS.map((preset) => ({ value: preset, label: RANGE_LABELS[preset] }))}
        value={state.preset}
        onChange={(preset) => {
          onChange({ preset });
        }}
      />
      {state.preset === "custom" ? (
        <div className={styles.dates}>
          <TextField
            label="From"
            type="date"
            required
            value={state.custom.from}
            max={state.custom.to || undefined}
            onChange={(event) => {
              onChange({ custom: { ...state.custom, from: event.target.value } });
            }}
          />
          <TextField
            label="To"
            type="date"
            required
            value={state.custom.to}
            min={state.custom.from || undefined}
            onChange={(event) => {
              onChange({ custom: { ...state.custom, to: event.target.value } });
            }}
          />
        </div>
      ) : null}
      <SelectField
        label="Inbox"
        value={state.inbox ?? ""}
        onChange={(event) => {
          onChange({ inbox: event.target.value === "" ? null : event.target.value });
        }}
      >
        <option value="">All inboxes</option>
        {(inboxes.data ?? []).map((inbox) => (
          <option key={inbox.number} value={inbox.number}>
            {inbox.name === inbox.display || inbox.name === formatPhoneNumber(inbox.number)
              ? inbox.display
              : `${inbox.name} (${inbox.display})`}
          </option>
        ))}
      </SelectField>
      {isAdmin ? (
        <SelectField
          label="Agent"
          value={state.agent === null ? "" : String(state.agent)}
          onChange={(event) => {
            onChange({ agent: event.target.value === "" ? null : Number(event.target.value) });
          }}
        >
          <option value="">Everyone</option>
          {people.map((person) => (
            <option key={person.id} value={person.id}>
              {person.active ? person.name : `${person.name} (deactivated)`}
            </option>
          ))}
        </SelectField>
      ) : null}
      <Segmented
        legend="Charts by"
        name="bucket"
        options={[
          { value: "hour", label: "Hour" },
          { value: "day", label: "Day" },
        ]}
        value={state.bucket}
        disabled={hourly ? [] : ["hour"]}
        hint={hourly ? undefined : `By hour for periods up to ${String(MAX_HOURLY_DAYS)} days.`}
        onChange={(bucket) => {
          onChange({ bucket });
        }}
      />
      {periodError ? (
        <p className="inline-error" role="alert">
          {periodError}
        </p>
      ) : null}
    </form>
  );
}
