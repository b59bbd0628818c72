import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { ticketKeys } from "../../tickets/api/tickets";

export function useStartConversation() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (conversation: Schemas["NewConversation"]) =>
      unwrap(api.POST("/api/conversations", { body: conversation })),
    onSuccess: ({ ticket }) => {
      queryClient.setQueryData(ticketKeys.detail(ticket.id), ticket);
      return queryClient.invalidateQueries({ queryKey: ticketKeys.all });
    },
  });
}
