import { keepPreviousData, queryOptions, useQueries, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

// The reports API's answers (the README's "Reports" says what each figure counts).
export type ReportPeriod = Schemas["ReportPeriod"];
export type DurationStats = Schemas["DurationStats"];
export type ReportSummary = Schemas["ReportSummary"];
export type TimeseriesMetric = Schemas["SeriesMetric"];
export type ReportTimeseries = Schemas["ReportTimeseries"];
export type AgentReportRow = Schemas["AgentReportRow"];
export type ReportAgents = Schemas["ReportAgents"];
export type InboxReportRow = Schemas["InboxReportRow"];
export type ReportInboxes = Schemas["ReportInboxes"];

/** What every report is filtered by: the period (dates), and optionally one inbox (our number) and one agent. */
export interface ReportFilters {
  from: string;
  to: string;
  inbox: string | null;
  agent: number | null;
}

/** The query parameters of the filters: the period's dates, and the inbox and agent only when chosen. */
function query({ from, to, inbox, agent }: ReportFilters) {
  return { from, to, ...(inbox === null ? {} : { inbox }), ...(agent === null ? {} : { agent }) };
}

// Reports change slowly next to the queue: kept for a minute, refreshed while the page stays open.
const FRESH_FOR = 60_000;

export function summaryQuery(filters: ReportFilters) {
  return queryOptions({
    queryKey: ["reports", "summary", filters] as const,
    queryFn: ({ signal }) => unwrap(api.GET("/api/reports/summary", { params: { query: query(filters) }, signal })),
    staleTime: FRESH_FOR,
    refetchInterval: FRESH_FOR,
    placeholderData: keepPreviousData,
  });
}

export function timeseriesQuery(filters: ReportFilters, metric: TimeseriesMetric, bucket: "hour" | "day") {
  return queryOptions({
    queryKey: ["reports", "timeseries", filters, metric, bucket] as const,
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/reports/timeseries", { params: { query: { ...query(filters), metric, bucket } }, signal })),
    staleTime: FRESH_FOR,
    refetchInterval: FRESH_FOR,
    placeholderData: keepPreviousData,
  });
}

/** The agents table has no agent filter: an admin sees everyone, an agent their own row. */
export function agentsQuery({ from, to, inbox }: ReportFilters) {
  return queryOptions({
    queryKey: ["reports", "agents", { from, to, inbox }] as const,
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/reports/agents", { params: { query: query({ from, to, inbox, agent: null }) }, signal })),
    staleTime: FRESH_FOR,
    refetchInterval: FRESH_FOR,
    placeholderData: keepPreviousData,
  });
}

/** The inboxes table is by inbox: only the period filters it. */
export function inboxesReportQuery({ from, to }: ReportFilters) {
  return queryOptions({
    queryKey: ["reports", "inboxes", { from, to }] as const,
    queryFn: ({ signal }) => unwrap(api.GET("/api/reports/inboxes", { params: { query: { from, to } }, signal })),
    staleTime: FRESH_FOR,
    refetchInterval: FRESH_FOR,
    placeholderData: keepPreviousData,
  });
}

export function useReportSummary(filters: ReportFilters) {
  return useQuery(summaryQuery(filters));
}

/** Several series over the same buckets, in the order asked. */
export function useTimeseries(filters: ReportFilters, metrics: readonly TimeseriesMetric[], bucket: "hour" | "day") {
  return useQueries({ queries: metrics.map((metric) => timeseriesQuery(filters, metric, bucket)) });
}

export function useAgentsReport(filters: ReportFilters) {
  return useQuery(agentsQuery(filters));
}

export function useInboxesReport(filters: ReportFilters) {
  return useQuery(inboxesReportQuery(filters));
}
