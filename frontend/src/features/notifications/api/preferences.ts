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

/** The fields a change sets (absent and `null` ones keep their value). */
function stripUnset(change: PreferencesChange): Partial<Preferences> {
  return Object.fromEntries(Object.entries(change).filter(([, value]) => typeof value === "boolean"));
}

export function useUpdatePreferences() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: PreferencesChange) => unwrap(api.PATCH("/api/me/preferences", { body: change })),
    // Shown at once (a toggle must not wait for the server); the answer, or a refetch after an error, settles it.
    onMutate: (change) => {
      queryClient.setQueryData<Preferences>(preferencesKey, (held) => (held ? { ...held, ...stripUnset(change) } : held));
    },
    onSuccess: (saved) => {
      queryClient.setQueryData(preferencesKey, saved);
    },
    onError: () => queryClient.invalidateQueries({ queryKey: preferencesKey }),
  });
}

export type Notification = Schemas["Notification"];

/** One poll of what the agent should hear about since `since` (`null`: only learn where to start). */
export async function fetchNotifications(since: string | null, signal: AbortSignal) {
  return unwrap(api.GET("/api/me/notifications", { params: { query: since ? { since } : {} }, signal }));
}
