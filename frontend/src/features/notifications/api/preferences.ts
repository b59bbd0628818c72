import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";

export type Preferences = Schemas["Preferences"];
export type PreferencesChange = Schemas["PreferencesChange"];

const preferencesKey = ["me", "preferences"] as const;

/** The signed-in agent's own choices, stored on the server (they follow the agent between browsers). */
export function usePreferences() {
  return useQuery({
    queryKey: preferencesKey,
    queryFn: ({ signal }) => unwrap(api.GET("/api/me/preferences", { signal })),
    staleTime: 60_000,
  });
}

export function useUpdatePreferences() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: PreferencesChange) => unwrap(api.PATCH("/api/me/preferences", { body: change })),
    onSuccess: (saved) => {
      queryClient.setQueryData(preferencesKey, saved);
    },
  });
}

export type Notification = Schemas["Notification"];

/** One poll of what the agent should hear about since `since` (`null`: only learn where to start). */
export async function fetchNotifications(since: string | null, signal: AbortSignal) {
  return unwrap(api.GET("/api/me/notifications", { params: { query: since ? { since } : {} }, signal }));
}
