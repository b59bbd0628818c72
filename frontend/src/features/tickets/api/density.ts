// The queue's row density, an agent's preference. Kept in this browser's localStorage for now; when preferences
// move to the server, only this hook changes.
import { useCallback, useSyncExternalStore } from "react";

export type QueueDensity = "comfortable" | "compact";

const STORAGE_KEY = "smsdesk.queue-density";
const listeners = new Set<() => void>();
/** This page's choice, for browsers without storage (private mode). */
let chosen: QueueDensity = "comfortable";

function read(): QueueDensity {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === "compact" || stored === "comfortable" ? stored : chosen;
  } catch {
    return chosen;
  }
}

function subscribe(onChange: () => void): () => void {
  listeners.add(onChange);
  // Another tab of the dashboard changed it.
  const onStorage = (event: StorageEvent) => {
    if (event.key === STORAGE_KEY) onChange();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(onChange);
    window.removeEventListener("storage", onStorage);
  };
}

/** The density and a setter that remembers it. */
export function useQueueDensity(): [QueueDensity, (density: QueueDensity) => void] {
  const density = useSyncExternalStore(subscribe, read, () => "comfortable" as const);
  const setDensity = useCallback((next: QueueDensity) => {
    chosen = next;
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // Private mode without storage: the choice lasts until the page is left.
    }
    for (const listener of listeners) listener();
  }, []);
  return [density, setDensity];
}
