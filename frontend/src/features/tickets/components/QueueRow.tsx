import { Link } from "react-router";
import { contactLabel, formatAge, formatDateTime } from "../../../lib/format";
import type { Ticket } from "../api/tickets";

/** One ticket in the queue: who, the last message, how long ago, who has it, and whether it is unread. */
export function QueueRow({
  ticket,
  selected,
  assignee,
  now,
}: {
  ticket: Ticket;
  selected: boolean;
  /** The assignee's name as the viewer should read it ("You", "Ana"), or null when unassigned. */
  assignee: string | null;
  now: number;
}) {
  const last = ticket.last_message;
  const at = last?.at ?? ticket.updated_at;
  const className = ["queue-row", ticket.unread ? "is-unread" : "", selected ? "is-selected" : ""]
    .filter(Boolean)
    .join(" ");
  return (
    <li>
      <Link
        to={`/tickets/${ticket.id}`}
        className={className}
        aria-current={selected ? "page" : undefined}
        data-ticket-id={ticket.id}
      >
        <span className="row-top">
          {ticket.unread ? (
            <>
              <span className="unread-dot" aria-hidden="true" />
              <span className="visually-hidden">Unread: </span>
            </>
          ) : null}
          <span className="row-name">{contactLabel(ticket)}</span>
          <time className="row-age" dateTime={at} title={formatDateTime(at)}>
            {formatAge(at, now)}
          </time>
        </span>
        <span className="row-preview">
          {last ? (
            <>
              {last.direction === "outbound" ? <span className="row-preview-you">You: </span> : null}
              {last.preview}
            </>
          ) : (
            <span className="muted">No messages</span>
          )}
        </span>
        <span className="row-meta">
          <span className="row-ticket">#{ticket.id}</span>
          {ticket.status !== "open" ? (
            <span className={`badge badge-${ticket.status}`}>{ticket.status === "pending" ? "Pending" : "Closed"}</span>
          ) : null}
          {ticket.opted_out ? <span className="badge badge-danger">Opted out</span> : null}
          <span className="row-assignee">{assignee ?? "Unassigned"}</span>
        </span>
      </Link>
    </li>
  );
}
