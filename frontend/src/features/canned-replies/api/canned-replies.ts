import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

export type CannedReply = Schemas["CannedReply"];
export type CannedReplyInput = Schemas["CannedReplyInput"];

export const cannedRepliesQuery = queryOptions({
  queryKey: ["canned-replies", "all"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/canned-replies", { signal })),
});

export function useCannedReplies() {
  return useQuery(cannedRepliesQuery);
}

/** After any change: refetch the admin list and the per-ticket (filled-in) lists the composer uses. */
function useCannedRepliesChanged() {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: ["canned-replies"] });
}

export function useCreateCannedReply() {
  const changed = useCannedRepliesChanged();
  return useMutation({
    mutationFn: (reply: CannedReplyInput) => unwrap(api.POST("/api/canned-replies", { body: reply })),
    onSuccess: changed,
  });
}

export function useUpdateCannedReply() {
  const changed = useCannedRepliesChanged();
  return useMutation({
    mutationFn: ({ id, update }: { id: number; update: CannedReplyInput }) =>
      unwrap(api.PATCH("/api/canned-replies/{id}", { params: { path: { id } }, body: update })),
    onSuccess: changed,
  });
}

export function useDeleteCannedReply() {
  const changed = useCannedRepliesChanged();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/canned-replies/{id}", { params: { path: { id } } })),
    onSuccess: changed,
  });
}
