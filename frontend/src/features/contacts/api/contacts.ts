import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

export type Customer = Schemas["Customer"];
export type CustomerTicket = Schemas["CustomerTicket"];
export type Contact = Schemas["Contact"];
export type ContactUpdate = Schemas["ContactUpdate"];

/**
 * Which customer a panel shows: a contact (the Contacts page), or a ticket's customer number (the ticket view),
 * which also works for a number whose tickets have no contact yet.
 */
export type CustomerSource = { contactId: number } | { number: string };

export const CONTACTS_PAGE_SIZE = 50;

export const contactKeys = {
  /** Everything contact-shaped: invalidated after any edit. */
  all: ["contacts"] as const,
  list: (search: string) => ["contacts", "list", { search }] as const,
  customer: (source: CustomerSource) =>
    "contactId" in source
      ? (["contacts", "customer", "id", source.contactId] as const)
      : (["contacts", "customer", "number", source.number] as const),
};

export function customerQuery(source: CustomerSource) {
  return queryOptions({
    queryKey: contactKeys.customer(source),
    queryFn: ({ signal }) =>
      "contactId" in source
        ? unwrap(api.GET("/api/contacts/{id}", { params: { path: { id: source.contactId } }, signal }))
        : unwrap(api.GET("/api/contacts/by-number/{number}", { params: { path: { number: source.number } }, signal })),
    // A customer changes when an agent edits them or a ticket of theirs moves: refresh now and then, and on focus.
    refetchInterval: 30_000,
  });
}

/** A customer's name, notes, opt-outs per number of ours and tickets. */
export function useCustomer(source: CustomerSource) {
  return useQuery(customerQuery(source));
}

/**
 * Names a customer or edits their notes: by contact id, or by number while they have no contact (the server
 * makes it on that first edit). Shows the change at once, then refetches contacts and tickets (which carry the name).
 */
export function useUpdateCustomer(source: CustomerSource) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ customer, update }: { customer: Customer; update: ContactUpdate }) =>
      customer.id === null
        ? unwrap(api.PATCH("/api/contacts/by-number/{number}", { params: { path: { number: customer.phone_number } }, body: update }))
        : unwrap(api.PATCH("/api/contacts/{id}", { params: { path: { id: customer.id } }, body: update })),
    onSuccess: (contact) => {
      queryClient.setQueryData<Customer>(contactKeys.customer(source), (customer) =>
        customer
          ? { ...customer, id: contact.id, name: contact.name, notes: contact.notes, created_at: contact.created_at, updated_at: contact.updated_at }
          : customer,
      );
      void queryClient.invalidateQueries({ queryKey: contactKeys.all });
      return queryClient.invalidateQueries({ queryKey: ["tickets"] });
    },
  });
}

export function contactsQuery(search: string) {
  return infiniteQueryOptions({
    queryKey: contactKeys.list(search),
    queryFn: ({ pageParam, signal }) =>
      unwrap(
        api.GET("/api/contacts", {
          params: {
            query: { ...(search ? { q: search } : {}), ...(pageParam === null ? {} : { cursor: pageParam }), limit: CONTACTS_PAGE_SIZE },
          },
          signal,
        }),
      ),
    initialPageParam: null as number | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
  });
}

/** Contacts matching `search` (name, number or notes), a page at a time. */
export function useContacts(search: string) {
  return useInfiniteQuery(contactsQuery(search));
}
