import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { livePolling } from "../../../lib/polling";

export type TicketEvent = Schemas["TicketEvent"];

export const eventsKey = (ticketId: number) => ["tickets", "detail", ticketId, "events"] as const;

/** A ticket's timeline, kept live (ETag-cheap: unchanged polls are 304s). */
export function eventsQuery(ticketId: number) {
  return queryOptions({
    queryKey: eventsKey(ticketId),
    queryFn: async ({ signal }) =>
      (await unwrap(api.GET("/api/tickets/{id}/events", { params: { path: { id: ticketId } }, signal }))).events,
    ...livePolling,
  });
}

export function useTicketEvents(ticketId: number) {
  return useQuery(eventsQuery(ticketId));
}
