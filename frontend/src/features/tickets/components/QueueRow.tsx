import { Link } from "react-router";
import { contactLabel, formatAge, formatDateTime, formatPhoneNumber } from "../../../lib/format";
import type { Ticket } from "../api/tickets";
import { PriorityBadge, TagChips } from "../../tags/components/TagChips";
import { Highlight } from "./Highlight";
import styles from "./queue.module.css";

/** One ticket in the queue: who, the last message, how long ago, who has it, and whether it is unread. */
export function QueueRow({
  ticket,
  selected,
  assignee,
  now,
  search = "",
  showChannel = false,
  compact = false,
  checked = false,
  onToggle,
}: {
  ticket: Ticket;
  selected: boolean;
  /** The assignee's name as the viewer should read it ("You", "Ana"), or null when unassigned. */
  assignee: string | null;
  now: number;
  /** The search the list shows: what it matched is marked. */
  search?: string;
  /** Say which number of ours the customer texted (the team has several). */
  showChannel?: boolean;
  /** One line per ticket. */
  compact?: boolean;
  /** Whether the row is selected for a bulk action. */
  checked?: boolean;
  /** Toggles the row's selection (with Shift: the range from the last one toggled); no checkbox without it. */
  onToggle?: (range: boolean) => void;
}) {
  const last = ticket.last_message;
  const at = last?.at ?? ticket.updated_at;
  const notDelivered = Boolean(ticket.failed_delivery_at);
  const className = [
    "queue-row",
    ticket.unread ? "is-unread" : "",
    selected ? "is-selected" : "",
    compact ? styles.compactRow : "",
  ]
    .filter(Boolean)
    .join(" ");
  const name = ticket.contact?.name?.trim() ? (
    <Highlight text={contactLabel(ticket)} search={search} kind="name" />
  ) : (
    <Highlight text={ticket.customer_number_display} search={search} kind="number" />
  );
  return (
    <li className={onToggle ? styles.selectable : undefined}>
      {onToggle ? (
        <input
          type="checkbox"
          className={styles.select}
          checked={checked}
          aria-label={`Select ticket #${String(ticket.id)}`}
          onChange={(event) => {
            onToggle((event.nativeEvent as MouseEvent).shiftKey);
          }}
        />
      ) : null}
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
          <span className="row-name">{name}</span>
          {notDelivered ? (
            <span className={styles.notDelivered}>
              <span aria-hidden="true" className={styles.warningIcon}>
                !
              </span>
              Not delivered
            </span>
          ) : null}
          <time className="row-age" dateTime={at} title={formatDateTime(at)}>
            {formatAge(at, now)}
          </time>
        </span>
        <span className="row-preview">
          {last ? (
            <>
              {last.direction === "outbound" ? <span className="row-preview-you">You: </span> : null}
              <Highlight text={last.preview} search={search} kind="words" />
            </>
          ) : (
            <span className="muted">No messages</span>
          )}
        </span>
        <span className="row-meta">
          <span className="row-ticket">#{ticket.id}</span>
          <PriorityBadge priority={ticket.priority} />
          <TagChips tags={ticket.tags} />
          {ticket.status !== "open" ? (
            <span className={`badge badge-${ticket.status}`}>{ticket.status === "pending" ? "Pending" : "Closed"}</span>
          ) : null}
          {ticket.opted_out ? <span className="badge badge-danger">Opted out</span> : null}
          {ticket.contact?.name?.trim() && search ? (
            <span className={styles.rowNumber}>
              <Highlight text={ticket.customer_number_display} search={search} kind="number" />
            </span>
          ) : null}
          {showChannel ? (
            <span className={styles.channel} title="The number of ours the customer texted">
              <span className="visually-hidden">Texted </span>
              <span aria-hidden="true">→ </span>
              {ticket.inbox_name ?? formatPhoneNumber(ticket.channel_number)}
            </span>
          ) : null}
          <span className="row-assignee">{assignee ?? "Unassigned"}</span>
        </span>
      </Link>
    </li>
  );
}
