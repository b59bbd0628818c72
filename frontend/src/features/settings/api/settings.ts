import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { numbersQuery } from "../../numbers/api/numbers";

export type AppSettings = Schemas["AppSettings"];
export type SettingsUpdate = Schemas["SettingsUpdate"];

export const settingsQuery = queryOptions({
  queryKey: ["settings"] as const,
  queryFn: ({ signal }) => unwrap(api.GET("/api/settings", { signal })),
  staleTime: 30_000,
});

/** The settings (admins only: agents get 403, so pass `enabled: false` for them). */
export function useSettings(enabled = true) {
  return useQuery({ ...settingsQuery, enabled });
}

export function useSaveSettings() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (update: SettingsUpdate) => unwrap(api.PUT("/api/settings", { body: update })),
    onSuccess: (settings) => {
      queryClient.setQueryData(settingsQuery.queryKey, settings);
      // The default sender and `sender_numbers` are among our numbers: the pickers list them.
      return queryClient.invalidateQueries({ queryKey: numbersQuery.queryKey });
    },
  });
}
