import { formatPhoneNumber } from "../../../lib/format";
import type { AgentReportRow, InboxReportRow } from "../api/reports";
import { formatCount, formatDuration } from "../format";
import styles from "./reports.module.css";

/** Per agent: tickets assigned, replies sent, median first response of the tickets they answered first, closed. */
export function AgentsTable({ agents, caption }: { agents: readonly AgentReportRow[]; caption: string }) {
  return (
    <div className={styles.tableScroll} role="region" aria-label={`${caption}, table`} tabIndex={0}>
      <table className={styles.table}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Assigned</th>
            <th scope="col">Replies</th>
            <th scope="col">First response (median)</th>
            <th scope="col">Closed</th>
          </tr>
        </thead>
        <tbody>
          {agents.map((agent) => (
            <tr key={agent.id}>
              <th scope="row">{agent.name}</th>
              <td>{formatCount(agent.assigned_tickets)}</td>
              <td>{formatCount(agent.outbound_replies)}</td>
              <td>{formatDuration(agent.first_response_median_seconds)}</td>
              <td>{formatCount(agent.closed_tickets)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Per inbox (our number): the same totals, and how many of its tickets are open now. */
export function InboxesTable({ inboxes, caption }: { inboxes: readonly InboxReportRow[]; caption: string }) {
  return (
    <div className={styles.tableScroll} role="region" aria-label={`${caption}, table`} tabIndex={0}>
      <table className={styles.table}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Inbox</th>
            <th scope="col">New</th>
            <th scope="col">Closed</th>
            <th scope="col">Inbound texts</th>
            <th scope="col">Replies</th>
            <th scope="col">First response (median)</th>
            <th scope="col">Resolution (median)</th>
            <th scope="col">Open now</th>
          </tr>
        </thead>
        <tbody>
          {inboxes.map((inbox) => {
            const display = formatPhoneNumber(inbox.number);
            return (
              <tr key={inbox.number}>
                <th scope="row">
                  {inbox.name}
                  {inbox.name === display ? null : <span className={styles.subtle}> {display}</span>}
                </th>
                <td>{formatCount(inbox.new_tickets)}</td>
                <td>{formatCount(inbox.closed_tickets)}</td>
                <td>{formatCount(inbox.inbound_texts)}</td>
                <td>{formatCount(inbox.outbound_replies)}</td>
                <td>{formatDuration(inbox.first_response_median_seconds)}</td>
                <td>{formatDuration(inbox.resolution_median_seconds)}</td>
                <td>{formatCount(inbox.open_tickets)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
