import { keepPreviousData, queryOptions, useQueries, useQuery } from "@tanstack/react-query";
import { toApiError, ApiError } from "../../../lib/api-client";

// The shapes of the reports API (docs: the README's "Reports"); they become the generated schema's
// ReportSummary, ReportTimeseries, ReportAgents and ReportInboxes once the server's branch lands.
export interface ReportPeriod {
  from: string;
  to: string;
  timezone: string;
}
export interface DurationStats {
  median: number | null;
  p90: number | null;
  count: number;
}
export interface ReportSummary {
  period: ReportPeriod;
  new_tickets: number;
  closed_tickets: number;
  auto_closed_tickets: number;
  inbound_texts: number | null;
  outbound_replies: number;
  automatic_replies: number | null;
  notes: number;
  first_response_seconds: DurationStats;
  first_response_business_seconds: DurationStats | null;
  resolution_seconds: DurationStats;
  backlog: { open: number; pending: number; oldest_waiting_seconds: number | null };
}
export type TimeseriesMetric = "new_tickets" | "inbound_texts" | "outbound_replies" | "first_response_median";
export interface TimeseriesPoint {
  start: string;
  value: number | null;
}
export interface ReportTimeseries {
  metric: TimeseriesMetric;
  bucket: "hour" | "day";
  period: ReportPeriod;
  points: TimeseriesPoint[];
}
export interface AgentReportRow {
  id: number;
  name: string;
  assigned_tickets: number;
  outbound_replies: number;
  first_response_median_seconds: number | null;
  closed_tickets: number;
}
export interface ReportAgents {
  period: ReportPeriod;
  agents: AgentReportRow[];
}
export interface InboxReportRow {
  number: string;
  name: string;
  new_tickets: number;
  closed_tickets: number;
  inbound_texts: number;
  outbound_replies: number;
  first_response_median_seconds: number | null;
  resolution_median_seconds: number | null;
  open_tickets: number;
}
export interface ReportInboxes {
  period: ReportPeriod;
  inboxes: InboxReportRow[];
}

/** What every report is filtered by: the period (dates), and optionally one inbox (our number) and one agent. */
export interface ReportFilters {
  from: string;
  to: string;
  inbox: string | null;
  agent: number | null;
}

type Query = Record<string, string | number | null | undefined>;

async function getReport<T>(path: string, query: Query, signal: AbortSignal): Promise<T> {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") search.set(name, String(value));
  }
  const base = typeof location === "undefined" ? "" : location.origin;
  let response: Response;
  try {
    response = await globalThis.fetch(`${base}${path}?${search.toString()}`, { signal, credentials: "same-origin" });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}

// Reports change slowly next to the queue: kept for a minute, refreshed while the page stays open.
const FRESH_FOR = 60_000;

export function summaryQuery(filters: ReportFilters) {
  return queryOptions({
    queryKey: ["reports", "summary", filters] as const,
    queryFn: ({ signal }) => getReport<ReportSummary>("/api/reports/summary", { ...filters }, signal),
    staleTime: FRESH_FOR,
    refetchInterval: FRESH_FOR,
    placeholderData: keepPreviousData,
  });
}

export function timeseriesQuery(filters: ReportFilters, metric: TimeseriesMetric, bucket: "hour" | "day") {
  return queryOptions({
    queryKey: ["reports", "timeseries", filters, metric, bucket] as const,
    queryFn: ({ signal }) => getReport<ReportTimeseries>("/api/reports/timeseries", { ...filters, metric, bucket }, signal),
    staleTime: FRESH_FOR,
    refetchInterval: FRESH_FOR,
    placeholderData: keepPreviousData,
  });
}

/** The agents table has no agent filter: an admin sees everyone, an agent their own row. */
export function agentsQuery({ from, to, inbox }: ReportFilters) {
  return queryOptions({
    queryKey: ["reports", "agents", { from, to, inbox }] as const,
    queryFn: ({ signal }) => getReport<ReportAgents>("/api/reports/agents", { from, to, inbox }, signal),
    staleTime: FRESH_FOR,
    refetchInterval: FRESH_FOR,
    placeholderData: keepPreviousData,
  });
}

/** The inboxes table is by inbox: only the period filters it. */
export function inboxesReportQuery({ from, to }: ReportFilters) {
  return queryOptions({
    queryKey: ["reports", "inboxes", { from, to }] as const,
    queryFn: ({ signal }) => getReport<ReportInboxes>("/api/reports/inboxes", { from, to }, signal),
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
