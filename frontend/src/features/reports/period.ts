// The period a report covers, as the page offers it: today, the last 7 or 30 days, or two dates. Periods are
// whole days sent as dates: the server reads a date as midnight in the team's timezone, and `to` as a date
// includes that whole day.

export type RangePreset = "today" | "7d" | "30d" | "custom";
export type Bucket = "hour" | "day";

export const RANGE_LABELS: Record<RangePreset, string> = {
  today: "Today",
  "7d": "7 days",
  "30d": "30 days",
  custom: "Custom",
};

/** Hour buckets are offered up to this many days (744 points; the server answers at most 1,000). */
export const MAX_HOURLY_DAYS = 31;
/** The longest period the server accepts. */
export const MAX_DAYS = 400;

/** A period of whole days, first and last included (`YYYY-MM-DD`), and how many days it holds. */
export interface DayPeriod {
  from: string;
  to: string;
  days: number;
}

/** `date`'s calendar day in the browser's timezone, as `YYYY-MM-DD`. */
export function isoDate(date: Date): string {
  const month = String(date.getMonth() + 1).padStart(2, "0");
  const day = String(date.getDate()).padStart(2, "0");
  return `${String(date.getFullYear())}-${month}-${day}`;
}

function parseDate(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const time = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Number.isNaN(time) ? null : time;
}

/** Days from `from` to `to`, both included (0 or less when `to` is before `from`). */
export function daysBetween(from: string, to: string): number | null {
  const start = parseDate(from);
  const end = parseDate(to);
  if (start === null || end === null) return null;
  return Math.round((end - start) / 86_400_000) + 1;
}

/** The last `days` days up to and including `today`. */
function lastDays(days: number, today: Date): DayPeriod {
  const first = new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  return { from: isoDate(first), to: isoDate(today), days };
}

/** The period a preset stands for on `today`, or for "custom", the two dates (or why they don't make one). */
export function periodOf(
  preset: RangePreset,
  custom: { from: string; to: string },
  today: Date = new Date(),
): DayPeriod | { error: string } {
  switch (preset) {
    case "today":
      return lastDays(1, today);
    case "7d":
      return lastDays(7, today);
    case "30d":
      return lastDays(30, today);
    case "custom": {
      if (custom.from === "" || custom.to === "") return { error: "Choose both dates." };
      const days = daysBetween(custom.from, custom.to);
      if (days === null) return { error: "Enter the dates as YYYY-MM-DD." };
      if (days < 1) return { error: "“From” must be on or before “To”." };
      if (days > MAX_DAYS) return { error: `A report covers at most ${MAX_DAYS} days.` };
      return { from: custom.from, to: custom.to, days };
    }
  }
}

/** The bucket to show: the one chosen, except hours over periods too long for them; by default hours for a day. */
export function effectiveBucket(chosen: Bucket | null, days: number): Bucket {
  if (days > MAX_HOURLY_DAYS) return "day";
  return chosen ?? (days === 1 ? "hour" : "day");
}
