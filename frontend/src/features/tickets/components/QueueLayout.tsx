import { useState } from "react";
import { Outlet, useMatch } from "react-router";
import { useDebounced } from "../../../lib/hooks";
import { QUEUE_TABS, type QueueTab, type SearchScope } from "../api/tickets";
import { QueuePane } from "./QueuePane";

const TAB_STORAGE_KEY = "smsdesk.queue-tab";

function storedTab(): QueueTab {
  try {
    const tab = sessionStorage.getItem(TAB_STORAGE_KEY);
    return QUEUE_TABS.find((known) => known === tab) ?? "all";
  } catch {
    return "all";
  }
}

/**
 * The queue beside the open ticket (`/` and `/tickets/:id`). On a phone-sized screen only one of the two shows:
 * the queue at `/`, the ticket at `/tickets/:id`.
 */
export function QueueLayout() {
  const [tab, setTab] = useState<QueueTab>(storedTab);
  const [search, setSearch] = useState("");
  // A search looks in every ticket until the agent narrows it to the tab; a new search starts wide again.
  const [scope, setScope] = useState<SearchScope>("everywhere");
  const debouncedSearch = useDebounced(search.trim(), 300);
  const match = useMatch("/tickets/:ticketId");
  const selectedId = match?.params.ticketId ? Number(match.params.ticketId) : null;

  return (
    <div className={selectedId === null ? "queue-layout" : "queue-layout has-ticket"}>
      {/* The page's h1 for both panes: on a phone only one of them shows. */}
      <h1 className="visually-hidden">Tickets</h1>
      <QueuePane
        tab={tab}
        onTabChange={(next) => {
          setTab(next);
          try {
            sessionStorage.setItem(TAB_STORAGE_KEY, next);
          } catch {
            // Private mode without storage: the tab just is not remembered.
          }
        }}
        search={search}
        onSearchChange={(next) => {
          setSearch(next);
          if (next.trim() === "") setScope("everywhere");
        }}
        activeSearch={debouncedSearch}
        scope={scope}
        onScopeChange={setScope}
        selectedId={selectedId}
      />
      <div className="thread-pane">
        <Outlet />
      </div>
    </div>
  );
}
