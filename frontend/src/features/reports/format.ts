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

const dayLabel = new Intl.DateTimeFormat("en-US", { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" });
const dateLabel = new Intl.DateTimeFormat("en-US", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

interface LocalStart {
  date: number;
  hour: string;
  offset: string;
}

/** The local date, hour and offset written in a bucket's start (`2026-10-25T02:00:00+02:00`), as the server sent it. */
function localStart(start: string): LocalStart | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(start);
  if (!match) return null;
  return {
    date: Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])),
    hour: `${match[4] ?? "00"}:${match[5] ?? "00"}`,
    offset: match[6] === "Z" ? "+00:00" : (match[6] ?? ""),
  };
}

/**
 * The labels of a series' buckets in the team's timezone, read from the starts the server wrote in it: "Mon, Dec 7"
 * for days, "Mon, Dec 7 14:00" for hours. The hour a DST change repeats gets its UTC offset, so both are told apart.
 */
export function bucketLabels(starts: readonly string[], bucket: "hour" | "day"): string[] {
  const labels = starts.map((start) => {
    const local = localStart(start);
    if (!local) return start;
    return bucket === "day" ? dayLabel.format(local.date) : `${dayLabel.format(local.date)} ${local.hour}`;
  });
  return labels.map((label, index) => {
    if (bucket === "day" || labels.indexOf(label) === labels.lastIndexOf(label)) return label;
    const offset = localStart(starts[index] ?? "")?.offset ?? "";
    return `${label} (UTC${offset})`;
  });
}

/** A report's period for its heading: "Dec 1, 2026 – Dec 7, 2026", from the instants the server echoed. */
export function formatPeriod(period: { from: string; to: string }): string {
  const from = localStart(period.from);
  const to = localStart(period.to);
  if (!from || !to) return `${period.from} – ${period.to}`;
  // `to` is exclusive: a period up to midnight ends the day before.
  const last = to.hour === "00:00" ? to.date - 86_400_000 : to.date;
  return last <= from.date ? dateLabel.format(from.date) : `${dateLabel.format(from.date)} – ${dateLabel.format(last)}`;
}
