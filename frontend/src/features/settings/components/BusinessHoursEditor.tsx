import { useId } from "react";
import { CheckboxField, SelectField, TextAreaField, TextField } from "../../../components/Field";
import type { Schemas } from "../../../lib/api-client";

export type BusinessHoursInput = Schemas["BusinessHoursInput"];
export type BusinessHoursView = Schemas["BusinessHoursView"];

export const DAYS = [
  ["mon", "Monday"],
  ["tue", "Tuesday"],
  ["wed", "Wednesday"],
  ["thu", "Thursday"],
  ["fri", "Friday"],
  ["sat", "Saturday"],
  ["sun", "Sunday"],
] as const;

type Day = (typeof DAYS)[number][0];

/** What the editor holds: the ranges of each day as typed ("09:00–12:30, 13:30–17:00"). */
export interface HoursDraft {
  enabled: boolean;
  timezone: string;
  days: Record<Day, string>;
  holidays: string;
}

const EMPTY_DAYS: Record<Day, string> = { mon: "", tue: "", wed: "", thu: "", fri: "", sat: "", sun: "" };

/** The browser's own zone, to start a schedule from. */
function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

export function draftFrom(hours: BusinessHoursView | null | undefined): HoursDraft {
  if (!hours) {
    return {
      enabled: false,
      timezone: browserZone(),
      days: { ...EMPTY_DAYS, mon: "09:00–17:00", tue: "09:00–17:00", wed: "09:00–17:00", thu: "09:00–17:00", fri: "09:00–17:00" },
      holidays: "",
    };
  }
  const days = { ...EMPTY_DAYS };
  for (const [day] of DAYS) {
    days[day] = hours.weekly[day].map(([start, end]) => `${start}–${end}`).join(", ");
  }
  return { enabled: true, timezone: hours.timezone, days, holidays: hours.holidays.join("\n") };
}

/**
 * The draft as the server takes it; `null` when off. It only splits what was typed: the server checks the
 * times, ranges and dates and names what is wrong (422 with `field: "business_hours"`).
 */
export function hoursFromDraft(draft: HoursDraft): BusinessHoursInput | null {
  if (!draft.enabled) return null;
  const weekly: Record<string, string[][]> = {};
  for (const [day] of DAYS) {
    const ranges = draft.days[day]
      .split(/[,;]/)
      .map((range) => range.trim())
      .filter((range) => range !== "")
      .map((range) => range.split(/\s*[-–—]\s*/).map((time) => time.trim()));
    if (ranges.length > 0) weekly[day] = ranges;
  }
  const holidays = draft.holidays
    .split(/[\n,]/)
    .map((date) => date.trim())
    .filter((date) => date !== "");
  return { timezone: draft.timezone, weekly, holidays };
}

function zones(current: string): string[] {
  // The browser's tz database; UTC and the stored zone are listed even where it leaves them out.
  return [...new Set(["UTC", current, ...Intl.supportedValuesOf("timeZone")])].sort((a, b) => a.localeCompare(b));
}

/** Business hours: on or off (always open), the team's time zone, each day's ranges and the holidays. */
export function BusinessHoursEditor({
  draft,
  onChange,
  error,
}: {
  draft: HoursDraft;
  onChange: (draft: HoursDraft) => void;
  error?: string;
}) {
  const errorId = useId();
  return (
    <fieldset aria-describedby={error ? errorId : undefined}>
      <legend>Business hours</legend>
      <CheckboxField
        label="Set business hours"
        hint="Off: always open. On: outside these hours a new ticket gets the out-of-office reply instead of the confirmation."
        checked={draft.enabled}
        onChange={(event) => {
          onChange({ ...draft, enabled: event.target.checked });
        }}
      />
      {draft.enabled ? (
        <>
          <SelectField
            label="Time zone"
            value={draft.timezone}
            onChange={(event) => {
              onChange({ ...draft, timezone: event.target.value });
            }}
          >
            {zones(draft.timezone).map((zone) => (
              <option key={zone} value={zone}>
                {zone}
              </option>
            ))}
          </SelectField>
          <div className="business-hours-days">
            {DAYS.map(([day, name]) => (
              <TextField
                key={day}
                label={name}
                value={draft.days[day]}
                placeholder="Closed"
                spellCheck={false}
                onChange={(event) => {
                  onChange({ ...draft, days: { ...draft.days, [day]: event.target.value } });
                }}
              />
            ))}
          </div>
          <p className="field-hint">
            Ranges as 09:00–17:00, several separated by commas (09:00–12:30, 13:30–17:00); an end may be 24:00. Leave
            a day empty when closed.
          </p>
          <TextAreaField
            label="Holidays"
            rows={3}
            value={draft.holidays}
            placeholder="2026-12-25"
            spellCheck={false}
            hint="Dates closed all day, one per line (YYYY-MM-DD)."
            onChange={(event) => {
              onChange({ ...draft, holidays: event.target.value });
            }}
          />
        </>
      ) : null}
      {error ? (
        <p className="inline-error" id={errorId} role="alert">
          {error}
        </p>
      ) : null}
    </fieldset>
  );
}
