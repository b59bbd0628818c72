import { useEffect, useId, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { EmptyState, ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { formatPhoneNumber, plural } from "../../../lib/format";
import { useDebounced } from "../../../lib/hooks";
import { useContacts, type Contact } from "../api/contacts";
import styles from "./ContactsPage.module.css";

function ContactRow({ contact }: { contact: Contact }) {
  const name = contact.name?.trim() ?? "";
  return (
    <li>
      <Link to={`/contacts/${contact.id}`} className={styles.row}>
        <span className={styles.rowTop}>
          <span className={styles.rowName}>{name || formatPhoneNumber(contact.phone_number)}</span>
          {contact.opted_out ? <span className="badge badge-danger">Opted out</span> : null}
        </span>
        {name ? <span className={styles.rowNumber}>{formatPhoneNumber(contact.phone_number)}</span> : null}
        {contact.notes ? <span className={styles.rowNotes}>{contact.notes}</span> : null}
      </Link>
    </li>
  );
}

/** `/contacts`: every customer the team knows, searchable by name, number and notes. */
export default function ContactsPage() {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState(() => params.get("q") ?? "");
  const active = useDebounced(search.trim(), 300);
  const contacts = useContacts(active);
  const searchId = useId();

  // The search is kept in the address, so Back from a contact returns to the same results.
  useEffect(() => {
    setParams(active ? { q: active } : {}, { replace: true });
  }, [active, setParams]);

  const list = contacts.data?.pages.flatMap((page) => page.contacts) ?? [];
  return (
    <div className="page">
      <h1>Contacts</h1>
      <div className={styles.search} role="search">
        <label htmlFor={searchId}>Search contacts</label>
        <input
          id={searchId}
          type="search"
          value={search}
          autoComplete="off"
          aria-describedby={`${searchId}-hint`}
          onChange={(event) => {
            setSearch(event.target.value);
          }}
        />
        <p id={`${searchId}-hint`} className="field-hint">
          Part of a name, a phone number or the notes.
        </p>
      </div>
      <section aria-labelledby={`${searchId}-results`}>
        <h2 id={`${searchId}-results`} className="visually-hidden">
          Results
        </h2>
        {contacts.isPending ? (
          <Loading label="Loading contacts…" />
        ) : contacts.isError && !contacts.isFetchNextPageError ? (
          <ErrorState message={errorMessage(contacts.error)} onRetry={() => void contacts.refetch()} />
        ) : (
          <>
            <p role="status" className={styles.count}>
              {list.length === 0
                ? ""
                : active
                  ? `${plural(list.length, "contact")}${contacts.hasNextPage ? " so far" : ""} match “${active}”.`
                  : `${plural(list.length, "contact")}${contacts.hasNextPage ? " so far" : ""}.`}
            </p>
            {list.length === 0 ? (
              <EmptyState title={active ? `No contact matches “${active}”.` : "No contacts yet."}>
                {active ? null : <p>A customer becomes a contact with their first text.</p>}
              </EmptyState>
            ) : (
              <ul className={styles.list}>
                {list.map((contact) => (
                  <ContactRow key={contact.id} contact={contact} />
                ))}
              </ul>
            )}
            {contacts.hasNextPage ? (
              <button
                type="button"
                className="button"
                disabled={contacts.isFetchingNextPage}
                onClick={() => void contacts.fetchNextPage()}
              >
                {contacts.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            ) : null}
            {contacts.isFetchNextPageError ? <InlineError>{errorMessage(contacts.error)}</InlineError> : null}
          </>
        )}
      </section>
    </div>
  );
}
