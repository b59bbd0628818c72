// The queue's row density: one of an agent's preferences, stored on the server with the others, so it follows them
// from browser to browser.
import { useCallback, useState } from "react";
import { usePreferences, useUpdatePreferences } from "../../notifications/api/preferences";

export type QueueDensity = "comfortable" | "compact";

/** The density and a setter that remembers it. */
export function useQueueDensity(): [QueueDensity, (density: QueueDensity) => void] {
  const stored = usePreferences().data?.compact_rows;
  const { mutate } = useUpdatePreferences();
  // The toggle follows the click at once (a controlled checkbox must not flip back while the request is out); a
  // failed save falls back to what the server holds.
  const [chosen, setChosen] = useState<QueueDensity | null>(null);
  const density = chosen ?? (stored ? "compact" : "comfortable");
  const setDensity = useCallback(
    (next: QueueDensity) => {
      setChosen(next);
      mutate(
        { compact_rows: next === "compact" },
        {
          onError: () => {
            setChosen(null);
          },
        },
      );
    },
    [mutate],
  );
  return [density, setDensity];
}
