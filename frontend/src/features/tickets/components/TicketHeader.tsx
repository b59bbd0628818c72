import { useEffect, useId, useState } from "react";
import { Link } from "react-router";
import { InlineError } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { contactLabel, formatDateTime, formatPhoneNumber } from "../../../lib/format";
import { useCurrentUser } from "../../auth/api/session";
import { TicketTagging } from "../../tags/components/TicketTagging";
import { useTeam } from "../api/team";
import { useUpdateContactName, useUpdateTicket, type Ticket } from "../api/tickets";

const STATUS_LABELS = { open: "Open", pending: "Pending", closed: "Closed" } as const;

/** How long "Close ticket" can be undone. */
export const UNDO_CLOSE_MS = 8_000;

function ContactNameForm({ ticket, contactId, onDone }: { ticket: Ticket; contactId: number; onDone: () => void }) {
  const [name, setName] = useState(ticket.contact?.name ?? "");
  const update = useUpdateContactName(ticket.id);
  const inputId = useId();
  return (
    <form
      className="inline-form"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({ contactId, name }, { onSuccess: onDone });
      }}
      onKeyDown={(event) => {
        if (event.key === "Escape") {
          event.preventDefault();
          onDone();
        }
      }}
    >
      <label htmlFor={inputId}>Contact name</label>
      <input
        id={inputId}
        value={name}
        maxLength={100}
        autoFocus
        onChange={(event) => {
          setName(event.target.value);
        }}
      />
      <button type="submit" className="button button-primary button-small" disabled={update.isPending}>
        Save
      </button>
      <button type="button" className="button button-small" onClick={onDone}>
        Cancel
      </button>
      {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
    </form>
  );
}

/** Who the ticket is with, its state, and what can be done with it: assign, set pending, close, rename contact. */
export function TicketHeader({ ticket }: { ticket: Ticket }) {
  const user = useCurrentUser();
  const team = useTeam();
  const update = useUpdateTicket(ticket.id);
  const [editingName, setEditingName] = useState(false);
  // The status a just-closed ticket had, while the close can still be undone.
  const [undoTo, setUndoTo] = useState<"open" | "pending" | null>(null);
  const closed = ticket.status === "closed";
  useEffect(() => {
    if (undoTo === null) return;
    const timer = setTimeout(() => {
      setUndoTo(null);
    }, UNDO_CLOSE_MS);
    return () => {
      clearTimeout(timer);
    };
  }, [undoTo]);
  const hasName = Boolean(ticket.contact?.name?.trim());
  const assignable = (team.data ?? []).filter((member) => member.active || member.id === ticket.assignee_id);
  if (ticket.assignee_id !== null && !assignable.some((member) => member.id === ticket.assignee_id)) {
    // Not in the (loading or stale) team list: still show who it is assigned to.
    assignable.push({ id: ticket.assignee_id, name: ticket.assignee_id === user.id ? user.name : "Someone", active: true, role: "agent" });
  }

  return (
    <div className="ticket-head">
      <Link to="/" className="back-link">
        <span aria-hidden="true">← </span>Queue
      </Link>
      <div className="ticket-title-row">
        <h2 id="ticket-title" className="ticket-title">
          {contactLabel(ticket)}
        </h2>
        <span className={`badge badge-${ticket.status}`}>{STATUS_LABELS[ticket.status]}</span>
        {ticket.opted_out ? <span className="badge badge-danger">Opted out</span> : null}
        {ticket.contact && !editingName ? (
          <button
            type="button"
            className="button button-quiet button-small"
            onClick={() => {
              setEditingName(true);
            }}
          >
            {hasName ? "Edit name" : "Add name"}
          </button>
        ) : null}
      </div>
      {editingName && ticket.contact ? (
        <ContactNameForm
          ticket={ticket}
          contactId={ticket.contact.id}
          onDone={() => {
            setEditingName(false);
          }}
        />
      ) : null}
      <p className="ticket-sub">
        {hasName ? <span>{ticket.customer_number_display}</span> : null}
        <span>Ticket #{ticket.id}</span>
        <span>To {formatPhoneNumber(ticket.channel_number)}</span>
        {ticket.closed_at ? <span>Closed {formatDateTime(ticket.closed_at)}</span> : null}
      </p>
      <TicketTagging ticket={ticket} />
      {closed ? null : (
        <div className="ticket-actions">
          <div className="field-inline">
            <label htmlFor={`assignee-${ticket.id}`}>Assignee</label>
            <select
              id={`assignee-${ticket.id}`}
              value={ticket.assignee_id ?? ""}
              disabled={update.isPending}
              onChange={(event) => {
                update.mutate({ assignee_id: event.target.value === "" ? null : Number(event.target.value) });
              }}
            >
              <option value="">Unassigned</option>
              {assignable.map((member) => (
                <option key={member.id} value={member.id}>
                  {member.id === user.id ? `${member.name} (you)` : member.name}
                </option>
              ))}
            </select>
          </div>
          {ticket.assignee_id !== user.id ? (
            <button
              type="button"
              className="button"
              disabled={update.isPending}
              onClick={() => {
                update.mutate({ assignee_id: user.id });
              }}
            >
              Assign to me
            </button>
          ) : null}
          {ticket.status === "open" ? (
            <button
              type="button"
              className="button"
              disabled={update.isPending}
              onClick={() => {
                update.mutate({ status: "pending" });
              }}
            >
              Set pending
            </button>
          ) : (
            <button
              type="button"
              className="button"
              disabled={update.isPending}
              onClick={() => {
                update.mutate({ status: "open" });
              }}
            >
              Set open
            </button>
          )}
          <button
            type="button"
            className="button button-danger"
            disabled={update.isPending}
            onClick={() => {
              const before = ticket.status === "pending" ? "pending" : "open";
              update.mutate(
                { status: "closed" },
                {
                  onSuccess: () => {
                    setUndoTo(before);
                  },
                },
              );
            }}
          >
            Close ticket
          </button>
        </div>
      )}
      {undoTo !== null && closed ? (
        <div className="undo-bar" role="status">
          <span>Ticket closed.</span>
          <button
            type="button"
            className="button button-small"
            disabled={update.isPending}
            onClick={() => {
              update.mutate({ status: undoTo });
              setUndoTo(null);
            }}
          >
            Undo
          </button>
        </div>
      ) : null}
      {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
    </div>
  );
}
