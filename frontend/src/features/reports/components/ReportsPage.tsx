import { useEffect, useMemo, useState, type ReactNode } from "react";
import { useSearchParams } from "react-router";
import { ErrorState, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useCurrentUser } from "../../auth/api/session";
import { useTeam } from "../../tickets/api/team";
import {
  useAgentsReport,
  useInboxesReport,
  useReportSummary,
  useTimeseries,
  type ReportFilters,
  type ReportTimeseries,
  type TimeseriesMetric,
} from "../api/reports";
import { downloadCsv } from "../csv";
import { bucketLabels, formatCount, formatDuration, formatPeriod } from "../format";
import { effectiveBucket, periodOf, type Bucket, type RangePreset } from "../period";
import { agentsCsv, inboxesCsv, seriesCsv, summaryCsv } from "../reportCsv";
import { ReportFiltersForm, type FilterState } from "./ReportFiltersForm";
import { AgentsTable, InboxesTable } from "./ReportTables";
import { SummaryTiles } from "./SummaryTiles";
import { DURATIONS, TimeChart, type ChartSeries } from "./TimeChart";
import styles from "./reports.module.css";

const PRESETS = new Set<string>(["today", "7d", "30d", "custom"]);

/**
 * The page's filters, copied to its URL (`?range=30d&inbox=…`) so a report can be bookmarked and shared. They are
 * read from the URL once and then kept here, so a control shows its new value at once (the router's navigation
 * that updates the URL comes later).
 */
function useFilterParams(isAdmin: boolean) {
  const [url, setUrl] = useSearchParams();
  const [params, setParams] = useState(() => new URLSearchParams(url));
  useEffect(() => {
    if (params.toString() !== url.toString()) setUrl(params, { replace: true });
  }, [params, url, setUrl]);
  const range = params.get("range") ?? "";
  const preset: RangePreset = PRESETS.has(range) ? (range as RangePreset) : "7d";
  const custom = { from: params.get("from") ?? "", to: params.get("to") ?? "" };
  const period = periodOf(preset, custom);
  const days = "error" in period ? null : period.days;
  const chosenBucket = params.get("bucket");
  const agent = Number(params.get("agent"));
  const state: FilterState = {
    preset,
    custom,
    inbox: params.get("inbox") ?? null,
    agent: isAdmin && Number.isInteger(agent) && agent > 0 ? agent : null,
    bucket: effectiveBucket(chosenBucket === "hour" || chosenBucket === "day" ? chosenBucket : null, days ?? 1),
    days,
  };

  const update = (change: Partial<Omit<FilterState, "days">>) => {
    setParams((previous) => {
      const next = new URLSearchParams(previous);
      const set = (name: string, value: string | null) => {
        if (value === null || value === "") next.delete(name);
        else next.set(name, value);
      };
      if (change.preset !== undefined) {
        set("range", change.preset);
        // Custom starts from the period on screen; a preset picks its own bucket again.
        if (change.preset === "custom" && !("error" in period) && custom.from === "") {
          set("from", period.from);
          set("to", period.to);
        }
        if (change.preset !== "custom") {
          set("from", null);
          set("to", null);
        }
        set("bucket", null);
      }
      if (change.custom !== undefined) {
        set("from", change.custom.from);
        set("to", change.custom.to);
      }
      if (change.inbox !== undefined) set("inbox", change.inbox);
      if (change.agent !== undefined) set("agent", change.agent === null ? null : String(change.agent));
      if (change.bucket !== undefined) set("bucket", change.bucket);
      return next;
    });
  };

  const filters: ReportFilters | null =
    "error" in period ? null : { from: period.from, to: period.to, inbox: state.inbox, agent: state.agent };
  return { state, update, filters, periodError: "error" in period ? period.error : null };
}

function Section({ id, title, actions, children }: { id: string; title: string; actions?: ReactNode; children: ReactNode }) {
  return (
    <section className={styles.section} aria-labelledby={id}>
      <div className={styles.sectionHeader}>
        <h2 id={id}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** "Download CSV", named for what it downloads ("Download CSV of the summary"): its label starts with its text. */
function CsvButton({ of, onClick }: { of: string; onClick: () => void }) {
  return (
    <button type="button" className="button button-small" aria-label={`Download CSV of ${of}`} onClick={onClick}>
      Download CSV
    </button>
  );
}

/** A file name for the filters' period: `smsdesk-agents-2026-12-01-to-2026-12-07.csv`. */
function fileName(part: string, filters: ReportFilters): string {
  return `smsdesk-${part}-${filters.from}-to-${filters.to}.csv`;
}

const VOLUME: readonly { metric: TimeseriesMetric; label: string; colour: string; dash: ChartSeries["dash"] }[] = [
  { metric: "new_tickets", label: "New tickets", colour: "#1d4ed8", dash: "solid" },
  { metric: "inbound_texts", label: "Inbound texts", colour: "#b45309", dash: "dashed" },
  { metric: "outbound_replies", label: "Replies", colour: "#047857", dash: "dotted" },
];

/** The series' values over the first one's buckets (the server gives every series the same buckets). */
function aligned(starts: readonly string[], series: ReportTimeseries): (number | null)[] {
  const byStart = new Map(series.points.map((point) => [point.start, point.value]));
  return starts.map((start) => byStart.get(start) ?? null);
}

/** The charts' figures from the answers: the volume series in `volume`'s order, then the first response. */
function chartData(volume: typeof VOLUME, series: readonly ReportTimeseries[]) {
  const first = series[0];
  const response = series[volume.length];
  if (!first || !response) return null;
  const starts = first.points.map((point) => point.start);
  const volumeSeries: ChartSeries[] = volume.map((line, index) => ({
    label: line.label,
    colour: line.colour,
    dash: line.dash,
    values: aligned(starts, series[index] ?? first),
    format: count,
  }));
  const responseSeries: ChartSeries[] = [
    { label: "First response (median)", colour: "#6d28d9", dash: "solid", values: aligned(starts, response), format: duration },
  ];
  return {
    starts,
    times: starts.map((start) => Date.parse(start) / 1000),
    labels: bucketLabels(starts, first.bucket, first.period.timezone),
    volumeSeries,
    responseSeries,
    timezone: first.period.timezone,
    bucket: first.bucket,
  };
}

const count = (value: number | null) => formatCount(value);
const duration = (value: number | null) => formatDuration(value);

function Charts({ filters, bucket }: { filters: ReportFilters; bucket: Bucket }) {
  // Customer texts have no agent: with an agent chosen, volume is their tickets and replies.
  const volume = useMemo(() => VOLUME.filter((line) => filters.agent === null || line.metric !== "inbound_texts"), [filters.agent]);
  const results = useTimeseries(filters, [...volume.map((line) => line.metric), "first_response_median"], bucket);
  const failed = results.find((result) => result.isError);
  const series = results.map((result) => result.data).filter((answer) => answer !== undefined);
  const charts = series.length === results.length ? chartData(volume, series) : null;

  if (failed) return <ErrorState message={errorMessage(failed.error)} onRetry={() => void failed.refetch()} />;
  if (!charts) return <Loading label="Loading charts…" />;
  const per = charts.bucket === "hour" ? "hour" : "day";
  const totals = charts.volumeSeries
    .map((line) => `${formatCount(line.values.reduce<number>((sum, value) => sum + (value ?? 0), 0))} ${line.label.toLowerCase()}`)
    .join(", ");
  const answered = charts.responseSeries[0]?.values.filter((value) => value !== null).length ?? 0;
  return (
    <div className={styles.charts}>
      <TimeChart
        title="Volume"
        description={`Line chart of volume by ${per} (${String(charts.times.length)} ${per}s): ${totals} in all. “Show table” below it lists every ${per}.`}
        times={charts.times}
        labels={charts.labels}
        timezone={charts.timezone}
        bucketName={per === "hour" ? "Hour" : "Day"}
        series={charts.volumeSeries}
        actions={
          <CsvButton
            of="volume"
            onClick={() => {
              downloadCsv(
                fileName(`volume-by-${per}`, filters),
                seriesCsv(
                  charts.starts,
                  volume.map((line, index) => ({ name: line.metric, values: charts.volumeSeries[index]?.values ?? [] })),
                ),
              );
            }}
          />
        }
      />
      <TimeChart
        title="First response (median)"
        description={`Line chart of the median first response by ${per}, with first responses in ${String(answered)} of ${String(charts.times.length)} ${per}s. “Show table” below it lists every ${per}.`}
        times={charts.times}
        labels={charts.labels}
        timezone={charts.timezone}
        bucketName={per === "hour" ? "Hour" : "Day"}
        series={charts.responseSeries}
        scale={DURATIONS}
        actions={
          <CsvButton
            of="first response"
            onClick={() => {
              downloadCsv(
                fileName(`first-response-by-${per}`, filters),
                seriesCsv(charts.starts, [
                  { name: "first_response_median_seconds", values: charts.responseSeries[0]?.values ?? [] },
                ]),
              );
            }}
          />
        }
      />
    </div>
  );
}

function Summary({ filters, agentName }: { filters: ReportFilters; agentName: string | null }) {
  const summary = useReportSummary(filters);
  return (
    <Section
      id="report-summary"
      title="Summary"
      actions={
        summary.data ? (
          <CsvButton
            of="the summary"
            onClick={() => {
              downloadCsv(fileName("summary", filters), summaryCsv(summary.data, { inbox: filters.inbox, agent: agentName }));
            }}
          />
        ) : null
      }
    >
      {summary.isPending ? (
        <Loading label="Loading the summary…" />
      ) : summary.isError ? (
        <ErrorState message={errorMessage(summary.error)} onRetry={() => void summary.refetch()} />
      ) : (
        <>
          <p className="muted">
            {formatPeriod(summary.data.period)} · times in {summary.data.period.timezone}
          </p>
          <SummaryTiles summary={summary.data} />
        </>
      )}
    </Section>
  );
}

function Agents({ filters, isAdmin }: { filters: ReportFilters; isAdmin: boolean }) {
  const agents = useAgentsReport(filters);
  const title = isAdmin ? "Agents" : "Your figures";
  return (
    <Section
      id="report-agents"
      title={title}
      actions={
        agents.data ? (
          <CsvButton
            of={isAdmin ? "the agents" : "your figures"}
            onClick={() => {
              downloadCsv(fileName("agents", filters), agentsCsv(agents.data.agents));
            }}
          />
        ) : null
      }
    >
      {agents.isPending ? (
        <Loading label="Loading agents…" />
      ) : agents.isError ? (
        <ErrorState message={errorMessage(agents.error)} onRetry={() => void agents.refetch()} />
      ) : agents.data.agents.length === 0 ? (
        <p className="muted">Nobody has figures in this period.</p>
      ) : (
        <AgentsTable agents={agents.data.agents} caption={title} />
      )}
    </Section>
  );
}

function Inboxes({ filters }: { filters: ReportFilters }) {
  const inboxes = useInboxesReport(filters);
  return (
    <Section
      id="report-inboxes"
      title="Inboxes"
      actions={
        inboxes.data ? (
          <CsvButton
            of="the inboxes"
            onClick={() => {
              downloadCsv(fileName("inboxes", filters), inboxesCsv(inboxes.data.inboxes));
            }}
          />
        ) : null
      }
    >
      {inboxes.isPending ? (
        <Loading label="Loading inboxes…" />
      ) : inboxes.isError ? (
        <ErrorState message={errorMessage(inboxes.error)} onRetry={() => void inboxes.refetch()} />
      ) : inboxes.data.inboxes.length === 0 ? (
        <p className="muted">No inboxes yet.</p>
      ) : (
        <InboxesTable inboxes={inboxes.data.inboxes} caption="Inboxes" />
      )}
    </Section>
  );
}

/**
 * `/reports`: what a support lead reads each morning. The summary as tiles, volume and first response over time
 * (each chart with a table of its figures), and the agents and inboxes tables, each downloadable as CSV. Agents
 * see the figures of the inboxes they can see, and only their own row of the agents table.
 */
export default function ReportsPage() {
  const user = useCurrentUser();
  const isAdmin = user.role === "admin";
  const { state, update, filters, periodError } = useFilterParams(isAdmin);
  const team = useTeam();
  const agentName = state.agent === null ? null : (team.data?.find((member) => member.id === state.agent)?.name ?? String(state.agent));
  return (
    <div className={["page", styles.page].join(" ")}>
      <h1>Reports</h1>
      <ReportFiltersForm state={state} isAdmin={isAdmin} periodError={periodError} onChange={update} />
      {filters ? (
        <>
          <Summary filters={filters} agentName={agentName} />
          <Section id="report-charts" title="Over time">
            <Charts filters={filters} bucket={state.bucket} />
          </Section>
          <Agents filters={filters} isAdmin={isAdmin} />
          <Inboxes filters={filters} />
        </>
      ) : null}
    </div>
  );
}
