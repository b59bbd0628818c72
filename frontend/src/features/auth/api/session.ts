import { createContext, useContext } from "react";
import { queryOptions, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, setCsrfToken, unwrap, type Schemas } from "../../../lib/api-client";

export type SessionInfo = Schemas["SessionInfo"];
export type User = Schemas["User"];

/** Who is signed in: the SessionInfo, or `null` when signed out (the server answered 401). */
export const sessionQuery = queryOptions({
  queryKey: ["session"] as const,
  queryFn: async (): Promise<SessionInfo | null> => {
    try {
      const session = await unwrap(api.GET("/api/me"));
      setCsrfToken(session.csrf_token);
      return session;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setCsrfToken(null);
        return null;
      }
      throw error;
    }
  },
  staleTime: 60_000,
  retry: false,
});

export function useSession() {
  return useQuery(sessionQuery);
}

/**
 * The signed-in user, provided by the sign-in gate (RequireSession). A context rather than the query itself, so
 * that signing out swaps the whole page for the sign-in page instead of leaving components without a user.
 */
export const CurrentUserContext = createContext<User | null>(null);

/** The signed-in user; only for components rendered behind the sign-in gate. */
export function useCurrentUser(): User {
  const user = useContext(CurrentUserContext);
  if (!user) throw new Error("useCurrentUser is only for components behind the sign-in gate");
  return user;
}

export function useSignIn() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (credentials: Schemas["SignIn"]) => unwrap(api.POST("/api/session", { body: credentials })),
    onSuccess: (session) => {
      setCsrfToken(session.csrf_token);
      // Whatever was cached belonged to whoever was signed in before.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== "session" });
      queryClient.setQueryData(sessionQuery.queryKey, session);
    },
  });
}

export function useSignOut() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        await unwrap(api.DELETE("/api/session"));
      } catch (error) {
        // Already signed out on the server: the outcome the person wanted.
        if (!(error instanceof ApiError && error.status === 401)) throw error;
      }
    },
    onSuccess: () => {
      setCsrfToken(null);
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== "session" });
      queryClient.setQueryData(sessionQuery.queryKey, null);
    },
  });
}
