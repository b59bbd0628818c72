import { useId, useState, type ReactNode } from "react";
import { CustomerPanel } from "./CustomerPanel";
import styles from "./CustomerAside.module.css";

/**
 * A ticket (`children`) with its customer's panel beside it. Where there is no room for a column (narrow
 * windows, phones) the panel sits above the ticket, folded behind a "Customer" button (a disclosure).
 */
export function WithCustomerPanel({
  customerNumber,
  ticketId,
  children,
}: {
  customerNumber: string;
  ticketId: number;
  children: ReactNode;
}) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className={styles.layout}>
      {children}
      <section className={styles.aside} aria-labelledby={`${id}-title`}>
        <h2 className={styles.heading}>
          <button
            type="button"
            className={styles.toggle}
            aria-expanded={open}
            aria-controls={`${id}-panel`}
            onClick={() => {
              setOpen(!open);
            }}
          >
            <span aria-hidden="true" className={styles.chevron}>
              {open ? "▾" : "▸"}
            </span>
            Customer
          </button>
          <span id={`${id}-title`} className={styles.title}>
            Customer
          </span>
        </h2>
        <div id={`${id}-panel`} className={open ? `${styles.body} ${styles.open}` : styles.body}>
          <CustomerPanel source={{ number: customerNumber }} currentTicketId={ticketId} />
        </div>
      </section>
    </div>
  );
}
