import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

export type CannedReplyView = Schemas["CannedReplyView"];

/** The canned replies with their placeholders filled in for ticket `ticketId` (`rendered`). */
export function cannedRepliesForTicketQuery(ticketId: number) {
  return queryOptions({
    queryKey: ["canned-replies", { ticketId }] as const,
    queryFn: ({ signal }) =>
      unwrap(api.GET("/api/canned-replies", { params: { query: { ticket_id: ticketId } }, signal })),
    staleTime: 60_000,
  });
}

export function useCannedRepliesForTicket(ticketId: number) {
  return useQuery(cannedRepliesForTicketQuery(ticketId));
}
