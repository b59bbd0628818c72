// Example answers of the reports API for the component tests.
import type { AgentReportRow, InboxReportRow, ReportSummary, ReportTimeseries, TimeseriesMetric } from "./api/reports";

export const period = { from: "2026-12-01T00:00:00Z", to: "2026-12-08T00:00:00Z", timezone: "UTC" };

export function reportSummary(overrides: Partial<ReportSummary> = {}): ReportSummary {
  return {
    period,
    new_tickets: 1234,
    closed_tickets: 40,
    auto_closed_tickets: 6,
    inbound_texts: 2500,
    outbound_replies: 1800,
    automatic_replies: 1300,
    notes: 12,
    first_response_seconds: { median: 240, p90: 7500, count: 900 },
    first_response_business_seconds: null,
    resolution_seconds: { median: 93_600, p90: 300_000, count: 40 },
    backlog: { open: 3, pending: 1, oldest_waiting_seconds: 5400 },
    ...overrides,
  };
}

/** A series with one point per day of `period`, values 1, 2, 3… (first response: 60 s, then none, …). */
export function timeseries(metric: TimeseriesMetric, bucket: "hour" | "day"): ReportTimeseries {
  const points = Array.from({ length: 7 }, (_, index) => ({
    start: `2026-12-0${String(index + 1)}T00:00:00Z`,
    value: metric === "first_response_median" ? (index % 2 === 0 ? 60 * (index + 1) : null) : index + 1,
  }));
  return { metric, bucket, period, points };
}

export const agentRows: AgentReportRow[] = [
  { id: 1, name: "Ana Agent", assigned_tickets: 4, outbound_replies: 10, first_response_median_seconds: 120, closed_tickets: 2 },
  { id: 3, name: "Bo Builder", assigned_tickets: 7, outbound_replies: 21, first_response_median_seconds: null, closed_tickets: 5 },
];

export const inboxRows: InboxReportRow[] = [
  {
    number: "+14155550100",
    name: "Support",
    new_tickets: 5,
    closed_tickets: 2,
    inbound_texts: 9,
    outbound_replies: 7,
    first_response_median_seconds: 60,
    resolution_median_seconds: 3600,
    open_tickets: 3,
  },
];
