import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { sessionQuery } from "../../auth/api/session";

export type Inbox = Schemas["Inbox"];
export type AssignmentPolicy = Schemas["AssignmentPolicy"];
export type Availability = Schemas["Availability"];

export const ASSIGNMENT_POLICY_LABELS: Record<AssignmentPolicy, string> = {
  manual: "Manual (agents take tickets)",
  round_robin: "Round robin (next available member)",
};

export const inboxesQuery = queryOptions({
  queryKey: ["inboxes"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/inboxes", { signal })),
  staleTime: 60_000,
});

/** The inboxes the viewer can see: all for admins; for agents, theirs and those shared by everyone. */
export function useInboxes() {
  return useQuery(inboxesQuery);
}

function useInboxesChanged() {
  const queryClient = useQueryClient();
  // Members decide which tickets agents see: the queue follows.
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: inboxesQuery.queryKey }),
      queryClient.invalidateQueries({ queryKey: ["tickets"] }),
    ]);
}

export function useCreateInbox() {
  const changed = useInboxesChanged();
  return useMutation({
    mutationFn: (inbox: Schemas["CreateInbox"]) => unwrap(api.POST("/api/inboxes", { body: inbox })),
    onSuccess: changed,
  });
}

export function useUpdateInbox() {
  const changed = useInboxesChanged();
  return useMutation({
    mutationFn: ({ number, update }: { number: string; update: Schemas["UpdateInbox"] }) =>
      unwrap(api.PATCH("/api/inboxes/{number}", { params: { path: { number } }, body: update })),
    onSuccess: changed,
  });
}

export function useDeleteInbox() {
  const changed = useInboxesChanged();
  return useMutation({
    mutationFn: (number: string) => unwrap(api.DELETE("/api/inboxes/{number}", { params: { path: { number } } })),
    onSuccess: changed,
  });
}

/** Online/away: round robin skips agents who are away. Stored on the server (`GET /api/me` shows it). */
export function useSetAvailability() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (availability: Availability) =>
      unwrap(api.PATCH("/api/me/availability", { body: { availability } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: sessionQuery.queryKey }),
  });
}
