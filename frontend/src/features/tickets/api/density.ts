// The queue's row density: an agent's preference, stored on the server with their others (it follows them from
// browser to browser).
import { useCallback } from "react";
import { usePreferences, useUpdatePreferences } from "../../notifications/api/preferences";

export type QueueDensity = "comfortable" | "compact";

/** The density and a setter that remembers it. */
export function useQueueDensity(): [QueueDensity, (density: QueueDensity) => void] {
  const preferences = usePreferences();
  const { mutate } = useUpdatePreferences();
  const density: QueueDensity = preferences.data?.compact_rows ? "compact" : "comfortable";
  const setDensity = useCallback(
    (next: QueueDensity) => {
      mutate({ compact_rows: next === "compact" });
    },
    [mutate],
  );
  return [density, setDensity];
}
