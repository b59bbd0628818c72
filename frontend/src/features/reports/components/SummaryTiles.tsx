import type { ReactNode } from "react";
import type { DurationStats, ReportSummary } from "../api/reports";
import { formatCount, formatDuration } from "../format";
import styles from "./reports.module.css";

function Tile({ label, value, detail }: { label: string; value: string; detail?: ReactNode }) {
  return (
    <div className={styles.tile}>
      <dt>{label}</dt>
      <dd className={styles.tileValue}>{value}</dd>
      {detail ? <dd className={styles.tileDetail}>{detail}</dd> : null}
    </div>
  );
}

/** "p90 12 min · 8 tickets", or that there were none. */
function spread(stats: DurationStats): string {
  if (stats.count === 0) return "No tickets in the period";
  return `p90 ${formatDuration(stats.p90)} · ${formatCount(stats.count)} ${stats.count === 1 ? "ticket" : "tickets"}`;
}

/**
 * The summary's figures as tiles: a description list, so each figure is read with its name. Customer texts and
 * automatic replies have no agent: with an agent chosen they show "—" and say why.
 */
export function SummaryTiles({ summary }: { summary: ReportSummary }) {
  const noAgent = "Not counted per agent";
  const { backlog } = summary;
  return (
    <dl className={styles.tiles}>
      <Tile label="New tickets" value={formatCount(summary.new_tickets)} />
      <Tile
        label="Closed"
        value={formatCount(summary.closed_tickets)}
        detail={`${formatCount(summary.auto_closed_tickets)} closed automatically`}
      />
      <Tile
        label="Inbound texts"
        value={formatCount(summary.inbound_texts)}
        detail={summary.inbound_texts === null ? noAgent : "From customers"}
      />
      <Tile label="Replies" value={formatCount(summary.outbound_replies)} detail="Sent by agents" />
      <Tile
        label="Automatic replies"
        value={formatCount(summary.automatic_replies)}
        detail={summary.automatic_replies === null ? noAgent : "Confirmations, help and out-of-office texts"}
      />
      <Tile label="Notes" value={formatCount(summary.notes)} detail="Internal" />
      <Tile
        label="First response (median)"
        value={formatDuration(summary.first_response_seconds.median)}
        detail={spread(summary.first_response_seconds)}
      />
      {summary.first_response_business_seconds ? (
        <Tile
          label="First response in business hours (median)"
          value={formatDuration(summary.first_response_business_seconds.median)}
          detail={spread(summary.first_response_business_seconds)}
        />
      ) : null}
      <Tile
        label="Resolution (median)"
        value={formatDuration(summary.resolution_seconds.median)}
        detail={spread(summary.resolution_seconds)}
      />
      <Tile label="Open now" value={formatCount(backlog.open)} detail={`${formatCount(backlog.pending)} pending`} />
      <Tile
        label="Oldest waiting"
        value={formatDuration(backlog.oldest_waiting_seconds)}
        detail={backlog.oldest_waiting_seconds === null ? "No customer waiting" : "Customer text without a reply"}
      />
    </dl>
  );
}
