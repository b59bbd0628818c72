import { useId, useRef, useState, type ReactNode } from "react";
import { Link } from "react-router";
import { ErrorState, InlineError, Loading } from "../../../components/States";
import { ApiError, errorMessage } from "../../../lib/api-client";
import { formatDateTime, formatPhoneNumber } from "../../../lib/format";
import { useCustomer, useUpdateCustomer, type Customer, type CustomerSource, type CustomerTicket } from "../api/contacts";
import styles from "./CustomerPanel.module.css";

const STATUS_LABELS = { open: "Open", pending: "Pending", closed: "Closed" } as const;
const MAX_NAME_CHARS = 100;
const MAX_NOTES_CHARS = 5000;

type HeadingLevel = 2 | 3;

function Heading({ level, id, children }: { level: HeadingLevel; id?: string; children: ReactNode }) {
  return level === 2 ? (
    <h2 id={id} className={styles.heading}>
      {children}
    </h2>
  ) : (
    <h3 id={id} className={styles.heading}>
      {children}
    </h3>
  );
}

function DateTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" })}
    </time>
  );
}

/** The name, shown with an "Edit name" button; edited in place (Enter saves, Escape cancels). */
function NameField({ customer, source, asPageTitle }: { customer: Customer; source: CustomerSource; asPageTitle: boolean }) {
  const [draft, setDraft] = useState<string | null>(null);
  const update = useUpdateCustomer(source);
  const editButton = useRef<HTMLButtonElement>(null);
  const inputId = useId();
  const stopEditing = () => {
    setDraft(null);
    update.reset();
    // Back to where the person was: the button they pressed to edit.
    requestAnimationFrame(() => editButton.current?.focus());
  };
  const name = customer.name?.trim() ?? "";

  const className = name ? styles.name : `${styles.name} ${styles.muted}`;
  const title = asPageTitle ? <h1 className={styles.name}>{name || customer.phone_number_display}</h1> : null;

  if (draft === null) {
    return (
      <div className={styles.nameRow}>
        {title ?? <p className={className}>{name || "No name yet"}</p>}
        <button
          ref={editButton}
          type="button"
          className="button button-quiet button-small"
          onClick={() => {
            setDraft(name);
          }}
        >
          {name ? "Edit name" : "Add name"}
        </button>
      </div>
    );
  }
  return (
    <>
      {title}
      <form
        className={styles.nameForm}
        onSubmit={(event) => {
          event.preventDefault();
          update.mutate({ customer, update: { name: draft.trim() || null } }, { onSuccess: stopEditing });
        }}
        onKeyDown={(event) => {
          if (event.key === "Escape") {
            event.preventDefault();
            event.stopPropagation();
            stopEditing();
          }
        }}
      >
        <label htmlFor={inputId}>Name</label>
        <input
          id={inputId}
          value={draft}
          maxLength={MAX_NAME_CHARS}
          autoFocus
          autoComplete="off"
          aria-describedby={`${inputId}-hint`}
          onChange={(event) => {
            setDraft(event.target.value);
          }}
        />
        <p id={`${inputId}-hint`} className={styles.hint}>
          Enter saves, Escape cancels. An empty name removes it.
        </p>
        <div className={styles.actions}>
          <button type="submit" className="button button-primary button-small" disabled={update.isPending}>
            {update.isPending ? "Saving…" : "Save"}
          </button>
          <button type="button" className="button button-small" onClick={stopEditing}>
            Cancel
          </button>
        </div>
        {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
      </form>
    </>
  );
}

/** The notes: a textarea saved with its button; says when they are saved, and the server's refusal if any. */
function NotesField({ customer, source, level }: { customer: Customer; source: CustomerSource; level: HeadingLevel }) {
  // null: not being edited, so it follows the server (another agent's edit shows up).
  const [draft, setDraft] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const update = useUpdateCustomer(source);
  const id = useId();
  const value = draft ?? customer.notes;
  const changed = draft !== null && draft !== customer.notes;
  return (
    <form
      className={styles.section}
      aria-labelledby={`${id}-heading`}
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate(
          { customer, update: { notes: value } },
          {
            onSuccess: () => {
              setDraft(null);
              setSaved(true);
            },
          },
        );
      }}
    >
      <Heading level={level} id={`${id}-heading`}>
        <label htmlFor={id}>Notes</label>
      </Heading>
      <textarea
        id={id}
        className={styles.notes}
        rows={5}
        maxLength={MAX_NOTES_CHARS}
        value={value}
        placeholder="What the team should know about this customer"
        onChange={(event) => {
          setDraft(event.target.value);
          setSaved(false);
          if (update.isError) update.reset();
        }}
      />
      <div className={styles.actions}>
        <button type="submit" className="button button-small" disabled={!changed || update.isPending}>
          {update.isPending ? "Saving…" : "Save notes"}
        </button>
        <span role="status" className={styles.saveState}>
          {saved ? "Notes saved." : changed ? "Unsaved changes" : ""}
        </span>
      </div>
      {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
    </form>
  );
}

function TicketLink({ ticket }: { ticket: CustomerTicket }) {
  return (
    <Link to={`/tickets/${ticket.id}`} className={styles.ticketLink}>
      <span className={styles.ticketTop}>
        <span className={styles.ticketId}>Ticket #{ticket.id}</span>
        <span className={`badge badge-${ticket.status}`}>{STATUS_LABELS[ticket.status]}</span>
      </span>
      <span className={styles.ticketMeta}>
        To {formatPhoneNumber(ticket.channel_number)} · opened <DateTime iso={ticket.created_at} />
        {ticket.last_message_at ? (
          <>
            {" "}
            · last activity <DateTime iso={ticket.last_message_at} />
          </>
        ) : null}
      </span>
      {ticket.preview ? <span className={styles.preview}>{ticket.preview}</span> : null}
    </Link>
  );
}

/** What the panel shows once the customer is loaded. */
export function CustomerDetails({
  customer,
  source,
  currentTicketId,
  level,
  nameAsPageTitle = false,
}: {
  customer: Customer;
  source: CustomerSource;
  /** The ticket on screen beside the panel: left out of the list of their other tickets. */
  currentTicketId?: number;
  level: HeadingLevel;
  /** The name (or else the number) is the page's h1: a contact's page. */
  nameAsPageTitle?: boolean;
}) {
  const id = useId();
  const tickets = customer.tickets.filter((ticket) => ticket.id !== currentTicketId);
  const ticketsHeading = currentTicketId === undefined ? "Tickets" : "Earlier tickets";
  return (
    <div className={styles.details}>
      <NameField customer={customer} source={source} asPageTitle={nameAsPageTitle} />
      <dl className={styles.facts}>
        <dt>Number</dt>
        <dd>{customer.phone_number_display}</dd>
        <dt>First seen</dt>
        <dd>
          <DateTime iso={customer.first_seen_at} />
        </dd>
      </dl>

      <NotesField customer={customer} source={source} level={level} />

      <section className={styles.section} aria-labelledby={`${id}-texting`}>
        <Heading level={level} id={`${id}-texting`}>
          Texting
        </Heading>
        {customer.numbers.length === 0 ? (
          <p className={styles.muted}>No texts with any number of ours yet.</p>
        ) : (
          <ul className={styles.numbers}>
            {customer.numbers.map((number) => (
              <li key={number.channel_number}>
                <span>From {formatPhoneNumber(number.channel_number)}: </span>
                {number.opted_out_at ? (
                  <span className={styles.optedOut}>
                    opted out since <DateTime iso={number.opted_out_at} />
                  </span>
                ) : (
                  <span className={styles.textable}>can be texted</span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className={styles.section} aria-labelledby={`${id}-tickets`}>
        <Heading level={level} id={`${id}-tickets`}>
          {ticketsHeading}
        </Heading>
        {tickets.length === 0 ? (
          <p className={styles.muted}>{currentTicketId === undefined ? "No tickets." : "No earlier tickets."}</p>
        ) : (
          <ul className={styles.tickets}>
            {tickets.map((ticket) => (
              <li key={ticket.id}>
                <TicketLink ticket={ticket} />
              </li>
            ))}
          </ul>
        )}
        {customer.more_tickets ? <p className={styles.muted}>Only the newest {customer.tickets.length} are listed.</p> : null}
      </section>
    </div>
  );
}

/**
 * Everything the team knows about one customer: their name and notes (both editable), since when we know them,
 * whether each of our numbers may text them, and their tickets on any of our numbers (each opens in place).
 */
export function CustomerPanel({
  source,
  currentTicketId,
  level = 3,
}: {
  source: CustomerSource;
  currentTicketId?: number;
  level?: HeadingLevel;
}) {
  const customer = useCustomer(source);
  if (customer.isPending) return <Loading label="Loading customer…" />;
  if (customer.isError) {
    if (customer.error instanceof ApiError && customer.error.status === 404) {
      return <p className={styles.muted}>Nothing is known about this customer yet.</p>;
    }
    return <ErrorState message={errorMessage(customer.error)} onRetry={() => void customer.refetch()} />;
  }
  return <CustomerDetails customer={customer.data} source={source} currentTicketId={currentTicketId} level={level} />;
}
