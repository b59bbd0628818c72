import { useNavigate } from "react-router";
import { EmptyState, ErrorState, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useNow } from "../../../lib/hooks";
import { useShortcuts } from "../../../lib/keyboard";
import { useCurrentUser } from "../../auth/api/session";
import { useQueue, useTicketCounts, type QueueTab } from "../api/tickets";
import { useTeamNames } from "../api/team";
import { QueueRow } from "./QueueRow";
import { QUEUE_PANEL_ID, QueueTabs, queueTabId } from "./QueueTabs";

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
  selectedId,
}: {
  tab: QueueTab;
  onTabChange: (tab: QueueTab) => void;
  search: string;
  onSearchChange: (search: string) => void;
  /** The search the list shows (the box's text once typing pauses). */
  activeSearch: string;
  selectedId: number | null;
}) {
  const user = useCurrentUser();
  const counts = useTicketCounts();
  const queue = useQueue(tab, activeSearch);
  const teamName = useTeamNames();
  const navigate = useNavigate();
  const now = useNow();
  const tickets = queue.data?.pages.flatMap((page) => page.tickets) ?? [];

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
  useShortcuts({
    j: () => {
      move(1);
    },
    k: () => {
      move(-1);
    },
  });

  function assigneeName(id: number | null): string | null {
    if (id === null) return null;
    if (id === user.id) return "You";
    return teamName(id) ?? "Someone";
  }

  return (
    <section className="queue-pane" aria-labelledby="queue-heading">
      <div className="queue-head">
        <h2 id="queue-heading" className="pane-title">
          Queue
        </h2>
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
        <QueueTabs tab={tab} counts={counts.data} onChange={onTabChange} />
      </div>
      <div
        className="queue-list"
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
          <EmptyState title={activeSearch ? `No tickets match “${activeSearch}”.` : EMPTY_TEXT[tab]} />
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
        <kbd>j</kbd> <kbd>k</kbd> next/previous · <kbd>r</kbd> reply · <kbd>Esc</kbd> leave reply
      </p>
    </section>
  );
}
