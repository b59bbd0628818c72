import { useState } from "react";
import { useNavigate } from "react-router";
import { EmptyState, ErrorState, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useNow } from "../../../lib/hooks";
import { useShortcuts } from "../../../lib/keyboard";
import { useCurrentUser } from "../../auth/api/session";
import { ExportMenu } from "../../export/ExportMenu";
import { useInboxes } from "../../inboxes/api/inboxes";
import { useNumbersOfOurs } from "../../numbers/api/numbers";
import { useQueueDensity } from "../api/density";
import { BulkToolbar } from "../../tags/components/BulkToolbar";
import { PRIORITIES, PRIORITY_LABELS, useTags } from "../../tags/api/tags";
import {
  DEFAULT_QUEUE_VIEW,
  QUEUE_SORT_LABELS,
  QUEUE_TAB_LABELS,
  listFilters,
  useQueue,
  viewFilters,
  type QueueSort,
  type QueueTab,
  type QueueView,
  type SearchScope,
} from "../api/tickets";
import { useTeamNames } from "../api/team";
import styles from "./queue.module.css";
import { QueueRow } from "./QueueRow";
import { QUEUE_PANEL_ID, QueueTabs, queueTabId } from "./QueueTabs";

/** What a tab holds, for the search's scope line: "Showing tickets in Mine (open and pending, yours) …". */
const TAB_SCOPE: Record<QueueTab, string> = {
  mine: "open and pending tickets assigned to you",
  unassigned: "open and pending tickets assigned to nobody",
  all: "open and pending tickets",
  closed: "closed tickets",
};

/** Says which tickets a search shows, and offers the other scope. */
function SearchScopeLine({
  search,
  scope,
  tab,
  onScopeChange,
}: {
  search: string;
  scope: SearchScope;
  tab: QueueTab;
  onScopeChange: (scope: SearchScope) => void;
}) {
  const everywhere = scope === "everywhere";
  return (
    <p className={styles.scope}>
      <span role="status">
        {everywhere
          ? `Showing open, pending and closed tickets matching “${search}”.`
          : `Showing ${TAB_SCOPE[tab]} (${QUEUE_TAB_LABELS[tab]}) matching “${search}”.`}
      </span>
      <button
        type="button"
        className={styles.scopeButton}
        onClick={() => {
          onScopeChange(everywhere ? "tab" : "everywhere");
        }}
      >
        {everywhere ? `Only in ${QUEUE_TAB_LABELS[tab]}` : "Search all tickets"}
      </button>
    </p>
  );
}

const EMPTY_TEXT: Record<QueueTab, string> = {
  mine: "Nothing is assigned to you.",
  unassigned: "Every open ticket has someone on it.",
  all: "No open tickets. New texts show up here by themselves.",
  closed: "No closed tickets yet.",
};

export function QueuePane({
  tab,
  onTabChange,
  search,
  onSearchChange,
  activeSearch,
  scope = "everywhere",
  onScopeChange = () => undefined,
  selectedId,
}: {
  tab: QueueTab;
  onTabChange: (tab: QueueTab) => void;
  search: string;
  onSearchChange: (search: string) => void;
  /** The search the list shows (the box's text once typing pauses). */
  activeSearch: string;
  /** Where the search looks: every ticket (the default) or the open tab's. */
  scope?: SearchScope;
  onScopeChange?: (scope: SearchScope) => void;
  selectedId: number | null;
}) {
  const user = useCurrentUser();
  const [view, setView] = useState<QueueView>(DEFAULT_QUEUE_VIEW);
  const queue = useQueue(tab, activeSearch, scope, view);
  const tags = useTags();
  // Tickets selected for a bulk action, and the one toggled last (where a Shift-click range starts).
  const [checked, setChecked] = useState<ReadonlySet<number>>(new Set());
  const [anchor, setAnchor] = useState<number | null>(null);
  const numbers = useNumbersOfOurs();
  const inboxes = useInboxes();
  const [density, setDensity] = useQueueDensity();
  const teamName = useTeamNames();
  const navigate = useNavigate();
  const now = useNow();
  const tickets = queue.data?.pages.flatMap((page) => page.tickets) ?? [];
  // The counts fetched with the list's first page: the tabs and the list change in the same render.
  const counts = queue.data?.pages[0]?.counts;
  // Which number of ours a ticket is on matters only when the team has several.
  const severalNumbers = (numbers.data?.length ?? 0) > 1;
  const searching = activeSearch !== "";

  /** j/k: open the next/previous ticket of the list and put the keyboard focus on its row. */
  function move(step: 1 | -1) {
    if (tickets.length === 0) return;
    const index = tickets.findIndex((ticket) => ticket.id === selectedId);
    const nextIndex = index === -1 ? (step === 1 ? 0 : tickets.length - 1) : index + step;
    const next = tickets[Math.min(Math.max(nextIndex, 0), tickets.length - 1)];
    if (!next || next.id === selectedId) return;
    void navigate(`/tickets/${next.id}`);
    const row = document.querySelector<HTMLElement>(`[data-ticket-id="${next.id}"]`);
    row?.focus();
    row?.scrollIntoView({ block: "nearest" });
  }
  /** Selects or unselects a row; with `range`, every row from the last one toggled to it takes its new state. */
  function toggle(id: number, range: boolean) {
    const next = new Set(checked);
    const on = !checked.has(id);
    const from = anchor === null ? -1 : tickets.findIndex((ticket) => ticket.id === anchor);
    const to = tickets.findIndex((ticket) => ticket.id === id);
    const span = range && from !== -1 && to !== -1 ? tickets.slice(Math.min(from, to), Math.max(from, to) + 1) : [];
    for (const ticketId of span.length > 0 ? span.map((ticket) => ticket.id) : [id]) {
      if (on) next.add(ticketId);
      else next.delete(ticketId);
    }
    setChecked(next);
    setAnchor(id);
  }

  useShortcuts({
    j: () => {
      move(1);
    },
    k: () => {
      move(-1);
    },
    // x: select or unselect the row with the keyboard focus (or the open ticket's).
    x: (event) => {
      // The row's link, or its checkbox (beside the link, in the same list item).
      const row = event.target instanceof Element ? event.target.closest("li") : null;
      const focused = row?.querySelector<HTMLElement>("[data-ticket-id]");
      const id = focused ? Number(focused.dataset.ticketId) : selectedId;
      if (id !== null && tickets.some((ticket) => ticket.id === id)) toggle(id, event.shiftKey);
    },
  });
  const selectedIds = tickets.filter((ticket) => checked.has(ticket.id)).map((ticket) => ticket.id);

  function assigneeName(id: number | null): string | null {
    if (id === null) return null;
    if (id === user.id) return "You";
    return teamName(id) ?? "Someone";
  }

  return (
    <section className="queue-pane" aria-labelledby="queue-heading">
      <div className="queue-head">
        <div className={styles.headRow}>
          <h2 id="queue-heading" className="pane-title">
            Queue
          </h2>
          <label className={styles.densityToggle}>
            <input
              type="checkbox"
              checked={density === "compact"}
              onChange={(event) => {
                setDensity(event.target.checked ? "compact" : "comfortable");
              }}
            />
            Compact rows
          </label>
          {user.role === "admin" ? <ExportMenu filters={{ ...listFilters(tab, activeSearch, scope), ...viewFilters(view) }} /> : null}
        </div>
        <form
          role="search"
          className="queue-search"
          onSubmit={(event) => {
            event.preventDefault();
          }}
        >
          <label htmlFor="queue-search" className="visually-hidden">
            Search tickets
          </label>
          <input
            id="queue-search"
            type="search"
            placeholder="Search name, number or text"
            value={search}
            onChange={(event) => {
              onSearchChange(event.target.value);
            }}
          />
        </form>
        {searching ? (
          <SearchScopeLine search={activeSearch} scope={scope} tab={tab} onScopeChange={onScopeChange} />
        ) : null}
        <div className={styles.viewControls}>
          {(inboxes.data?.length ?? 0) > 1 ? (
            <div className={styles.control}>
              <label htmlFor="queue-inbox">Inbox</label>
              <select
                id="queue-inbox"
                value={view.inbox}
                onChange={(event) => {
                  setView({ ...view, inbox: event.target.value });
                }}
              >
                <option value="">All inboxes</option>
                {inboxes.data?.map((choice) => (
                  <option key={choice.number} value={choice.number}>
                    {choice.name}
                  </option>
                ))}
              </select>
            </div>
          ) : null}
          <div className={styles.control}>
            <label htmlFor="queue-sort">Sort</label>
            <select
              id="queue-sort"
              value={view.sort}
              onChange={(event) => {
                setView({ ...view, sort: event.target.value as QueueSort });
              }}
            >
              {(Object.keys(QUEUE_SORT_LABELS) as QueueSort[]).map((sort) => (
                <option key={sort} value={sort}>
                  {QUEUE_SORT_LABELS[sort]}
                </option>
              ))}
            </select>
          </div>
          <div className={styles.control}>
            <label htmlFor="queue-tag">Tag</label>
            <select
              id="queue-tag"
              value={view.tag}
              onChange={(event) => {
                setView({ ...view, tag: event.target.value });
              }}
            >
              <option value="">Any</option>
              {(tags.data?.tags ?? []).map((tag) => (
                <option key={tag.id} value={tag.name}>
                  {tag.name}
                </option>
              ))}
            </select>
          </div>
          <div className={styles.control}>
            <label htmlFor="queue-priority">Priority</label>
            <select
              id="queue-priority"
              value={view.priority}
              onChange={(event) => {
                setView({ ...view, priority: event.target.value as QueueView["priority"] });
              }}
            >
              <option value="">Any</option>
              {PRIORITIES.map((priority) => (
                <option key={priority} value={priority}>
                  {PRIORITY_LABELS[priority]}
                </option>
              ))}
            </select>
          </div>
        </div>
        {selectedIds.length > 0 ? (
          <BulkToolbar
            ticketIds={selectedIds}
            onClear={() => {
              setChecked(new Set());
              setAnchor(null);
            }}
          />
        ) : null}
        <QueueTabs
          tab={tab}
          counts={counts}
          onChange={(next) => {
            onTabChange(next);
            // Choosing a tab while searching everywhere narrows the search to it.
            if (searching) onScopeChange("tab");
          }}
        />
      </div>
      <div
        className={`queue-list ${styles.list ?? ""}`}
        data-density={density}
        role="tabpanel"
        id={QUEUE_PANEL_ID}
        aria-labelledby={queueTabId(tab)}
        aria-busy={queue.isFetching && !queue.isFetchingNextPage}
      >
        {queue.isPending ? (
          <Loading label="Loading tickets…" />
        ) : queue.isError && tickets.length === 0 ? (
          <ErrorState message={errorMessage(queue.error)} onRetry={() => void queue.refetch()} />
        ) : tickets.length === 0 ? (
          <EmptyState
            title={
              !searching
                ? EMPTY_TEXT[tab]
                : scope === "everywhere"
                  ? `No tickets match “${activeSearch}”.`
                  : `No ${TAB_SCOPE[tab]} match “${activeSearch}”.`
            }
          >
            {searching && scope === "tab" ? (
              <button
                type="button"
                className="button"
                onClick={() => {
                  onScopeChange("everywhere");
                }}
              >
                Search all tickets
              </button>
            ) : null}
          </EmptyState>
        ) : (
          <>
            <ul className="queue-rows">
              {tickets.map((ticket) => (
                <QueueRow
                  key={ticket.id}
                  ticket={ticket}
                  selected={ticket.id === selectedId}
                  assignee={assigneeName(ticket.assignee_id)}
                  now={now}
                  search={activeSearch}
                  showChannel={severalNumbers}
                  compact={density === "compact"}
                  checked={checked.has(ticket.id)}
                  onToggle={(range) => {
                    toggle(ticket.id, range);
                  }}
                />
              ))}
            </ul>
            {queue.hasNextPage ? (
              <div className="load-more">
                <button
                  type="button"
                  className="button"
                  disabled={queue.isFetchingNextPage}
                  aria-busy={queue.isFetchingNextPage}
                  onClick={() => void queue.fetchNextPage()}
                >
                  Load more
                </button>
              </div>
            ) : null}
          </>
        )}
      </div>
      <p className="shortcut-hint">
        <kbd>j</kbd> <kbd>k</kbd> next/previous · <kbd>x</kbd> select · <kbd>r</kbd> reply · <kbd>Esc</kbd> leave reply
      </p>
    </section>
  );
}
