// Formatting of report figures for people: counts, durations and the buckets of a time series.

const counts = new Intl.NumberFormat("en-US");

/** A count as people read it ("1,234"); "—" when there is none (e.g. customer texts of one agent). */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? "—" : counts.format(value);
}

/**
 * Whole seconds as a short duration: "45 s", "4 min", "2 h 5 min", "3 d 4 h" (rounded to the minute from one
 * minute on, shown to the hour from one day on); "—" when there is none.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 60) return `${String(Math.max(0, Math.round(seconds)))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${String(minutes)} min`;
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  if (hours < 24) return restMinutes === 0 ? `${String(hours)} h` : `${String(hours)} h ${String(restMinutes)} min`;
  const days = Math.floor(hours / 24);
  const restHours = hours % 24;
  return restHours === 0 ? `${String(days)} d` : `${String(days)} d ${String(restHours)} h`;
}

/** `timezone` if the browser knows it, else UTC (labels then still match the UTC instants the server sent). */
export function knownTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return timezone;
  } catch {
    return "UTC";
  }
}

function formatters(timezone: string) {
  const timeZone = knownTimezone(timezone);
  return {
    day: new Intl.DateTimeFormat("en-US", { weekday: "short", day: "numeric", month: "short", timeZone }),
    date: new Intl.DateTimeFormat("en-US", { day: "numeric", month: "short", year: "numeric", timeZone }),
    hour: new Intl.DateTimeFormat("en-US", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone }),
    offset: new Intl.DateTimeFormat("en-US", { timeZoneName: "shortOffset", timeZone }),
  };
}

/**
 * The labels of a series' buckets in the team's timezone: "Mon, Dec 7" for days, "Mon, Dec 7 14:00" for hours. The
 * hour a DST change repeats gets its UTC offset ("GMT+2"), so both are told apart.
 */
export function bucketLabels(starts: readonly string[], bucket: "hour" | "day", timezone: string): string[] {
  const format = formatters(timezone);
  const times = starts.map((start) => Date.parse(start));
  const labels = times.map((time, index) => {
    if (Number.isNaN(time)) return starts[index] ?? "";
    return bucket === "day" ? format.day.format(time) : `${format.day.format(time)} ${format.hour.format(time)}`;
  });
  return labels.map((label, index) => {
    if (bucket === "day" || labels.indexOf(label) === labels.lastIndexOf(label)) return label;
    const offset = format.offset.formatToParts(times[index]).find((part) => part.type === "timeZoneName")?.value ?? "";
    return `${label} (${offset})`;
  });
}

/** A report's period for its heading, in the team's timezone: "Dec 1, 2026 – Dec 7, 2026" (`to` is exclusive). */
export function formatPeriod(period: { from: string; to: string; timezone: string }): string {
  const from = Date.parse(period.from);
  const to = Date.parse(period.to);
  if (Number.isNaN(from) || Number.isNaN(to)) return `${period.from} – ${period.to}`;
  const format = formatters(period.timezone).date;
  const first = format.format(from);
  const last = format.format(Math.max(from, to - 1));
  return first === last ? first : `${first} – ${last}`;
}
