/** What the exports give: every matching ticket, or every message of the matching tickets. */
export type ExportKind = "tickets" | "messages";

/**
 * The download link of an export with the queue's filters (the list API's query parameters, which the export reads
 * the same way). A plain GET: the session cookie authenticates it, and a link needs no CSRF token.
 */
export function exportUrl(kind: ExportKind, filters: Readonly<Record<string, string | undefined>>): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value !== undefined && value !== "") query.set(name, value);
  }
  const search = query.toString();
  return `/api/export/${kind}.csv${search ? `?${search}` : ""}`;
}
