import { Link, useParams } from "react-router";
import { EmptyState, ErrorState, Loading } from "../../../components/States";
import { ApiError, errorMessage } from "../../../lib/api-client";
import { useCustomer } from "../api/contacts";
import { CustomerDetails } from "./CustomerPanel";

function Contact({ id }: { id: number }) {
  const source = { contactId: id };
  const customer = useCustomer(source);
  if (customer.isPending) return <Loading label="Loading contact…" />;
  if (customer.isError) {
    return customer.error instanceof ApiError && customer.error.status === 404 ? (
      <EmptyState title={`There is no contact #${id}.`} />
    ) : (
      <ErrorState message={errorMessage(customer.error)} onRetry={() => void customer.refetch()} />
    );
  }
  return <CustomerDetails customer={customer.data} source={source} level={2} nameAsPageTitle />;
}

/** `/contacts/:contactId`: one customer, as the panel beside their tickets shows them, with all their tickets. */
export default function ContactPage() {
  const { contactId } = useParams();
  const id = Number(contactId);
  return (
    <div className="page page-narrow">
      <p>
        <Link to="/contacts">
          <span aria-hidden="true">← </span>All contacts
        </Link>
      </p>
      {Number.isSafeInteger(id) && id > 0 ? (
        <Contact key={id} id={id} />
      ) : (
        <EmptyState title={`There is no contact “${contactId ?? ""}”.`} />
      )}
    </div>
  );
}
