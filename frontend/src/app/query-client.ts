import { QueryCache, QueryClient } from "@tanstack/react-query";
import { ApiError } from "../lib/api-client";
import { sessionQuery } from "../features/auth/api/session";

/**
 * The app's QueryClient. When any request finds the session gone (401), the session is checked again; if it is
 * really over, the sign-in gate shows the sign-in page. Nothing else is done behind the caller's back.
 */
export function createAppQueryClient({ retry = true }: { retry?: boolean } = {}): QueryClient {
  const queryClient: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        if (error instanceof ApiError && error.status === 401 && query.queryKey[0] !== sessionQuery.queryKey[0]) {
          void queryClient.invalidateQueries({ queryKey: sessionQuery.queryKey });
        }
      },
    }),
    defaultOptions: {
      queries: {
        // Client errors will not go away by asking again; network trouble and 5xx may.
        retry: (failures, error) =>
          retry && failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
        staleTime: 1_000,
      },
    },
  });
  return queryClient;
}
