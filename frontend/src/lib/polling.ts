// How often live data is polled: about every 2 s while the tab is visible, every 30 s while it is hidden.
// Queries pass `pollInterval` as `refetchInterval` (TanStack Query re-reads it after every fetch) together with
// `refetchIntervalInBackground: true`; coming back to the tab refetches at once (refetchOnWindowFocus).

export const VISIBLE_POLL_MS = 2_000;
export const HIDDEN_POLL_MS = 30_000;

export function pollInterval(): number {
  return typeof document !== "undefined" && document.visibilityState === "hidden" ? HIDDEN_POLL_MS : VISIBLE_POLL_MS;
}

/** Spread into a query's options to keep it live. */
export const livePolling = {
  refetchInterval: pollInterval,
  refetchIntervalInBackground: true,
} as const;
