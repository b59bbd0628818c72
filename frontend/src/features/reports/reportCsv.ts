// The report's CSV files, one per part of the page, from the API's JSON: figures as the API gives them (counts,
// durations in whole seconds, times in ISO 8601), so a spreadsheet can compute with them.
import type { AgentReportRow, DurationStats, InboxReportRow, ReportSummary } from "./api/reports";
import { toCsv, type CsvCell } from "./csv";

function stats(name: string, value: DurationStats | null): [string, CsvCell][] {
  return [
    [`${name}_median_seconds`, value?.median ?? null],
    [`${name}_p90_seconds`, value?.p90 ?? null],
    [`${name}_count`, value?.count ?? null],
  ];
}

/** The summary, one figure a line (`figure,value`), after the period and the filters it was made with. */
export function summaryCsv(summary: ReportSummary, filters: { inbox: string | null; agent: string | null }): string {
  const rows: [string, CsvCell][] = [
    ["from", summary.period.from],
    ["to", summary.period.to],
    ["timezone", summary.period.timezone],
    ["inbox", filters.inbox],
    ["agent", filters.agent],
    ["new_tickets", summary.new_tickets],
    ["closed_tickets", summary.closed_tickets],
    ["auto_closed_tickets", summary.auto_closed_tickets],
    ["inbound_texts", summary.inbound_texts],
    ["outbound_replies", summary.outbound_replies],
    ["automatic_replies", summary.automatic_replies],
    ["notes", summary.notes],
    ...stats("first_response", summary.first_response_seconds),
    ...stats("first_response_business", summary.first_response_business_seconds),
    ...stats("resolution", summary.resolution_seconds),
    ["backlog_open", summary.backlog.open],
    ["backlog_pending", summary.backlog.pending],
    ["backlog_oldest_waiting_seconds", summary.backlog.oldest_waiting_seconds],
  ];
  return toCsv(["figure", "value"], rows);
}

/** Time series over the same buckets: `start` (ISO 8601 in the team's timezone), then one column per series. */
export function seriesCsv(
  starts: readonly string[],
  columns: readonly { name: string; values: readonly (number | null)[] }[],
): string {
  return toCsv(
    ["start", ...columns.map((column) => column.name)],
    starts.map((start, index) => [start, ...columns.map((column) => column.values[index] ?? null)]),
  );
}

export function agentsCsv(agents: readonly AgentReportRow[]): string {
  return toCsv(
    ["agent_id", "agent", "assigned_tickets", "outbound_replies", "first_response_median_seconds", "closed_tickets"],
    agents.map((agent) => [
      agent.id,
      agent.name,
      agent.assigned_tickets,
      agent.outbound_replies,
      agent.first_response_median_seconds,
      agent.closed_tickets,
    ]),
  );
}

export function inboxesCsv(inboxes: readonly InboxReportRow[]): string {
  return toCsv(
    [
      "number",
      "inbox",
      "new_tickets",
      "closed_tickets",
      "inbound_texts",
      "outbound_replies",
      "first_response_median_seconds",
      "resolution_median_seconds",
      "open_tickets",
    ],
    inboxes.map((inbox) => [
      inbox.number,
      inbox.name,
      inbox.new_tickets,
      inbox.closed_tickets,
      inbox.inbound_texts,
      inbox.outbound_replies,
      inbox.first_response_median_seconds,
      inbox.resolution_median_seconds,
      inbox.open_tickets,
    ]),
  );
}
