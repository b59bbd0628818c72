import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { teamQuery } from "../../tickets/api/team";

export type User = Schemas["User"];

export const usersQuery = queryOptions({
  queryKey: ["users"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/users", { signal })),
});

export function useUsers() {
  return useQuery(usersQuery);
}

function useUsersChanged() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: usersQuery.queryKey }),
      queryClient.invalidateQueries({ queryKey: teamQuery.queryKey }),
    ]);
}

export function useCreateUser() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: (user: Schemas["CreateUser"]) => unwrap(api.POST("/api/users", { body: user })),
    onSuccess: changed,
  });
}

export function useUpdateUser() {
  const changed = useUsersChanged();
  return useMutation({
    mutationFn: ({ id, update }: { id: number; update: Schemas["UpdateUser"] }) =>
      unwrap(api.PATCH("/api/users/{id}", { params: { path: { id } }, body: update })),
    onSuccess: changed,
  });
}
