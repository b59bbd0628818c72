import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { ticketKeys } from "../../tickets/api/tickets";

export type Tag = Schemas["Tag"];
export type TagInput = Schemas["TagInput"];
export type Priority = Schemas["Priority"];
export type BulkChange = Schemas["BulkChange"];
export type BulkOutcome = Schemas["BulkOutcome"];

export const PRIORITIES: readonly Priority[] = ["urgent", "high", "normal", "low"];

export const PRIORITY_LABELS: Record<Priority, string> = {
  urgent: "Urgent",
  high: "High",
  normal: "Normal",
  low: "Low",
};

export const tagsQuery = queryOptions({
  queryKey: ["tags"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/tags", { signal })),
  staleTime: 30_000,
});

/** Every tag, and whether the viewer may create one by naming it on a ticket. */
export function useTags() {
  return useQuery(tagsQuery);
}

/** After a change to the tags: the list, and the tickets that show them. */
function useTagsChanged() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: tagsQuery.queryKey }),
      queryClient.invalidateQueries({ queryKey: ticketKeys.all }),
    ]);
}

export function useCreateTag() {
  const changed = useTagsChanged();
  return useMutation({
    mutationFn: (tag: TagInput) => unwrap(api.POST("/api/tags", { body: tag })),
    onSuccess: changed,
  });
}

export function useUpdateTag() {
  const changed = useTagsChanged();
  return useMutation({
    mutationFn: ({ id, update }: { id: number; update: TagInput }) =>
      unwrap(api.PATCH("/api/tags/{id}", { params: { path: { id } }, body: update })),
    onSuccess: changed,
  });
}

export function useDeleteTag() {
  const changed = useTagsChanged();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/tags/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}

/** One change to several tickets; each ticket's outcome. */
export function useBulkChange() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ ticketIds, change }: { ticketIds: number[]; change: BulkChange }) =>
      unwrap(api.POST("/api/tickets/bulk", { body: { ticket_ids: ticketIds, change } })),
    onSuccess: () =>
      Promise.all([
        queryClient.invalidateQueries({ queryKey: ticketKeys.all }),
        queryClient.invalidateQueries({ queryKey: tagsQuery.queryKey }),
      ]),
  });
}
