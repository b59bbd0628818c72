import { useRef, type KeyboardEvent } from "react";
import { QUEUE_TABS, QUEUE_TAB_LABELS, tabCount, type QueueTab, type TicketCounts } from "../api/tickets";

export const QUEUE_PANEL_ID = "queue-panel";
export const queueTabId = (tab: QueueTab) => `queue-tab-${tab}`;

/** Mine / Unassigned / All / Closed, with live counts; arrow keys move between tabs (WAI-ARIA tabs pattern). */
export function QueueTabs({
  tab,
  counts,
  onChange,
}: {
  tab: QueueTab;
  counts: TicketCounts | undefined;
  onChange: (tab: QueueTab) => void;
}) {
  const refs = useRef(new Map<QueueTab, HTMLButtonElement>());

  function onKeyDown(event: KeyboardEvent<HTMLDivElement>) {
    const index = QUEUE_TABS.indexOf(tab);
    const last = QUEUE_TABS.length - 1;
    const target =
      event.key === "ArrowRight"
        ? index === last ? 0 : index + 1
        : event.key === "ArrowLeft"
          ? index === 0 ? last : index - 1
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? last
              : null;
    if (target === null) return;
    event.preventDefault();
    const next = QUEUE_TABS[target];
    if (next) {
      onChange(next);
      refs.current.get(next)?.focus();
    }
  }

  return (
    <div className="tabs" role="tablist" aria-label="Queue" onKeyDown={onKeyDown}>
      {QUEUE_TABS.map((name) => {
        const count = tabCount(name, counts);
        const selected = name === tab;
        return (
          <button
            key={name}
            ref={(element) => {
              if (element) refs.current.set(name, element);
              else refs.current.delete(name);
            }}
            type="button"
            role="tab"
            id={queueTabId(name)}
            aria-selected={selected}
            aria-controls={QUEUE_PANEL_ID}
            tabIndex={selected ? 0 : -1}
            className="tab"
            onClick={() => {
              onChange(name);
            }}
          >
            {QUEUE_TAB_LABELS[name]}
            {count !== null ? <span className="tab-count">{count}</span> : null}
          </button>
        );
      })}
    </div>
  );
}
