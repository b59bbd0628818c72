// CSV files of the report, made in the browser from the API's JSON answers, written like the server's exports:
// RFC 4180 (CRLF, fields quoted when they must be), and text a spreadsheet would run as a formula (`=`, `+`, `-`,
// `@`, tab, carriage return first) gets a leading `'`. Numbers are written as they are, and so are phone numbers
// in E.164 (a `+` and digits is no formula).

export type CsvCell = string | number | null;

/** Free text as a cell no spreadsheet runs as a formula. */
function guard(value: string): string {
  if (/^\+\d+$/.test(value)) return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** One cell: numbers as they are, `null` empty, text guarded and quoted when it holds a comma, quote or line end. */
export function csvCell(value: CsvCell): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const text = guard(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A CSV document: the header line, then one line per row, each ended by CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map((row) => `${row.map(csvCell).join(",")}\r\n`).join("");
}

/** Has the browser save `csv` as `filename` (a Blob behind a temporary link). */
export function downloadCsv(filename: string, csv: string): void {
  const url = URL.createObjectURL(new Blob([csv], { type: "text/csv;charset=utf-8" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked once the click has started the download.
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 1_000);
}
