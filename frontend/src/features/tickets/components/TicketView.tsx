import { useEffect, useRef } from "react";
import { Link, useParams } from "react-router";
import { EmptyState, ErrorState, Loading } from "../../../components/States";
import { ApiError, errorMessage } from "../../../lib/api-client";
import { contactLabel } from "../../../lib/format";
import { useNow, usePageVisible } from "../../../lib/hooks";
import { useShortcuts } from "../../../lib/keyboard";
import { Composer } from "../../composer/components/Composer";
import { WithCustomerPanel } from "../../contacts/components/CustomerAside";
import { useThread } from "../api/messages";
import { useTeamNames } from "../api/team";
import { useTicketEvents } from "../api/events";
import { useMarkRead, useTicket, useUpdateTicket, type Ticket } from "../api/tickets";
import { TicketHeader } from "./TicketHeader";
import { Thread } from "./Thread";

/** `/tickets/:ticketId` */
export function TicketView() {
  const { ticketId } = useParams();
  const id = Number(ticketId);
  if (!Number.isSafeInteger(id) || id <= 0) {
    return <EmptyState title={`There is no ticket “${ticketId ?? ""}”.`} />;
  }
  // A fresh component per ticket: nothing (draft, note mode, errors) leaks from one ticket into the next.
  return <TicketDetail key={id} id={id} />;
}

function ClosedNotice({ ticket }: { ticket: Ticket }) {
  const reopen = useUpdateTicket(ticket.id);
  const newer = reopen.error instanceof ApiError && reopen.error.code === "newer_ticket_open" ? reopen.error.ticketId : null;
  return (
    <div className="closed-notice">
      <p>This ticket is closed. Reopen it to reply here; if the customer texts again, a new ticket opens by itself.</p>
      <div className="closed-notice-actions">
        <button
          type="button"
          className="button button-primary"
          disabled={reopen.isPending}
          onClick={() => {
            reopen.mutate({ status: "open" });
          }}
        >
          Reopen ticket
        </button>
        <Link to={`/new?to=${encodeURIComponent(ticket.customer_number)}`} className="button">
          Text {ticket.customer_number_display} again
        </Link>
      </div>
      {newer !== null ? (
        <p className="inline-error" role="alert">
          The customer&apos;s conversation continues in <Link to={`/tickets/${String(newer)}`}>ticket #{newer}</Link>,
          which is still open: reply there.
        </p>
      ) : reopen.isError ? (
        <p className="inline-error" role="alert">
          {errorMessage(reopen.error)}
        </p>
      ) : null}
    </div>
  );
}

function TicketDetail({ id }: { id: number }) {
  const ticket = useTicket(id);
  const thread = useThread(id);
  const events = useTicketEvents(id);
  const authorName = useTeamNames();
  const visible = usePageVisible();
  const now = useNow();
  const { mutate: markRead, isPending: markingRead } = useMarkRead(id);
  const replyBox = useRef<HTMLTextAreaElement>(null);
  const section = useRef<HTMLElement>(null);
  const unread = ticket.data?.unread ?? false;

  // Viewing a ticket reads it: on opening, and again whenever a new text arrives while it is on screen.
  useEffect(() => {
    if (unread && visible && !markingRead) markRead();
  }, [unread, visible, markingRead, markRead]);

  useShortcuts({
    r: () => {
      replyBox.current?.focus();
    },
  });

  if (ticket.isPending) return <Loading label="Loading ticket…" />;
  if (ticket.isError) {
    const missing = ticket.error instanceof ApiError && ticket.error.status === 404;
    return missing ? (
      <EmptyState title={`There is no ticket #${id}.`}>
        <p>
          <Link to="/">Back to the queue</Link>
        </p>
      </EmptyState>
    ) : (
      <ErrorState message={errorMessage(ticket.error)} onRetry={() => void ticket.refetch()} />
    );
  }

  const current = ticket.data;
  const ticketSection = (
    <section className="ticket" aria-labelledby="ticket-title" ref={section} tabIndex={-1}>
      <TicketHeader ticket={current} />
      {thread.isPending ? (
        <Loading label="Loading messages…" />
      ) : thread.isError && !thread.data ? (
        <ErrorState message={errorMessage(thread.error)} onRetry={() => void thread.refetch()} />
      ) : (
        <Thread
          messages={thread.data.messages}
          events={events.data}
          customer={contactLabel(current)}
          authorName={authorName}
          now={now}
        />
      )}
      {current.status === "closed" ? (
        <ClosedNotice ticket={current} />
      ) : (
        <Composer
          ticket={current}
          textareaRef={replyBox}
          onLeave={() => {
            section.current?.focus();
          }}
        />
      )}
    </section>
  );
  return (
    <WithCustomerPanel customerNumber={current.customer_number} ticketId={current.id}>
      {ticketSection}
    </WithCustomerPanel>
  );
}
