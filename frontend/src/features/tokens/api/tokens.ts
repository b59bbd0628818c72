import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

export type ApiToken = Schemas["ApiToken"];
export type CreatedToken = Schemas["CreatedToken"];

export const tokensQuery = queryOptions({
  queryKey: ["tokens"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/tokens", { signal })),
});

export function useTokens() {
  return useQuery(tokensQuery);
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (token: Schemas["CreateToken"]) => unwrap(api.POST("/api/tokens", { body: token })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensQuery.queryKey }),
  });
}

export function useDeleteToken() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => unwrap(api.DELETE("/api/tokens/{id}", { params: { path: { id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: tokensQuery.queryKey }),
  });
}
