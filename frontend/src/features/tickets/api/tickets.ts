import {
  infiniteQueryOptions,
  queryOptions,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { livePolling } from "../../../lib/polling";

export type Ticket = Schemas["Ticket"];
export type TicketCounts = Schemas["TicketCounts"];
export type TicketStatus = Schemas["TicketStatus"];

/** The queue's tabs, in the order they are shown. */
export const QUEUE_TABS = ["mine", "unassigned", "all", "closed"] as const;
export type QueueTab = (typeof QUEUE_TABS)[number];

export const QUEUE_TAB_LABELS: Record<QueueTab, string> = {
  mine: "Mine",
  unassigned: "Unassigned",
  all: "All",
  closed: "Closed",
};

/** The list API's filters behind each tab: every tab but Closed shows open and pending tickets. */
const TAB_FILTERS: Record<QueueTab, { status: string; assignee?: string }> = {
  mine: { status: "open,pending", assignee: "me" },
  unassigned: { status: "open,pending", assignee: "none" },
  all: { status: "open,pending" },
  closed: { status: "closed" },
};

/** The number shown on a tab (Closed has none: the API does not count closed tickets). */
export function tabCount(tab: QueueTab, counts: TicketCounts | undefined): number | null {
  if (!counts) return null;
  switch (tab) {
    case "mine":
      return counts.mine;
    case "unassigned":
      return counts.unassigned;
    case "all":
      return counts.open + counts.pending;
    case "closed":
      return null;
  }
}

export const QUEUE_PAGE_SIZE = 50;

/**
 * Where a search looks: in every ticket whatever its status or assignee (the default, so that "invoice" finds the
 * closed ticket too), or only in the open tab's tickets.
 */
export type SearchScope = "everywhere" | "tab";

export type QueueSort = "activity" | "waiting" | "priority";

export const QUEUE_SORT_LABELS: Record<QueueSort, string> = {
  activity: "Newest activity",
  waiting: "Waiting longest",
  priority: "Priority",
};

/** How the queue is narrowed and ordered on top of its tab: a sort, and an inbox, a tag and a priority to show only. */
export interface QueueView {
  sort: QueueSort;
  /** A number of ours (one inbox), or "" for every inbox the viewer can see. */
  inbox: string;
  /** A tag's name, or "" for any. */
  tag: string;
  /** A priority, or "" for any. */
  priority: Schemas["Priority"] | "";
}

export const DEFAULT_QUEUE_VIEW: QueueView = { sort: "activity", inbox: "", tag: "", priority: "" };

/** The list API's filters of a view (the CSV export takes them too): only those set. */
export function viewFilters(view: QueueView): { inbox?: string; tag?: string; priority?: Schemas["Priority"] } {
  return {
    ...(view.inbox ? { inbox: view.inbox } : {}),
    ...(view.tag ? { tag: view.tag } : {}),
    ...(view.priority ? { priority: view.priority } : {}),
  };
}

/** The list API's parameters for a view: only what differs from the default. */
function viewParams(view: QueueView): ReturnType<typeof viewFilters> & { sort?: QueueSort } {
  return { ...(view.sort !== "activity" ? { sort: view.sort } : {}), ...viewFilters(view) };
}

export const ticketKeys = {
  /** Everything ticket-shaped: invalidate after any change to a ticket. */
  all: ["tickets"] as const,
  counts: ["tickets", "counts"] as const,
  list: (tab: QueueTab, search: string, scope: SearchScope = "everywhere", view: QueueView = DEFAULT_QUEUE_VIEW) =>
    ["tickets", "list", { tab, search, scope: search ? scope : "tab", ...viewParams(view) }] as const,
  detail: (id: number) => ["tickets", "detail", id] as const,
};

export const countsQuery = queryOptions({
  queryKey: ticketKeys.counts,
  queryFn: ({ signal }) => unwrap(api.GET("/api/tickets/counts", { signal })),
  ...livePolling,
});

/** The list API's filters for a tab, or for a search in every ticket (the CSV export takes them too). */
export function listFilters(tab: QueueTab, search: string, scope: SearchScope): { status: string; assignee?: string; q?: string } {
  if (!search) return TAB_FILTERS[tab];
  return scope === "everywhere" ? { status: "all", q: search } : { ...TAB_FILTERS[tab], q: search };
}

/** A page of the queue; the first also carries the tab counts fetched with it, so tabs and list agree. */
export type QueuePage = Schemas["TicketList"] & { counts?: TicketCounts };

export function queueQuery(
  tab: QueueTab,
  search: string,
  scope: SearchScope = "everywhere",
  view: QueueView = DEFAULT_QUEUE_VIEW,
) {
  return infiniteQueryOptions({
    queryKey: ticketKeys.list(tab, search, scope, view),
    queryFn: async ({ pageParam, signal, client }): Promise<QueuePage> => {
      const list = unwrap(
        api.GET("/api/tickets", {
          params: {
            query: {
              ...listFilters(tab, search, scope),
              ...viewParams(view),
              ...(pageParam ? { cursor: pageParam } : {}),
              limit: QUEUE_PAGE_SIZE,
            },
          },
          signal,
        }),
      );
      if (pageParam) return list;
      // The first page is what every poll refetches: the counts come with it, in parallel, and both show in the
      // same render. client.query shares a counts request already under way and updates the counts everyone uses.
      const [page, counts] = await Promise.all([list, client.query({ ...countsQuery, staleTime: 0 })]);
      return { ...page, counts };
    },
    initialPageParam: null as string | null,
    getNextPageParam: (lastPage) => lastPage.next_cursor,
    ...livePolling,
  });
}

/** One tab of the queue (or a search), a page at a time (the first page only until "Load more"), kept live by polling. */
export function useQueue(tab: QueueTab, search: string, scope: SearchScope = "everywhere", view: QueueView = DEFAULT_QUEUE_VIEW) {
  return useInfiniteQuery(queueQuery(tab, search, scope, view));
}

export function useTicketCounts() {
  return useQuery(countsQuery);
}

export function ticketQuery(id: number) {
  return queryOptions({
    queryKey: ticketKeys.detail(id),
    queryFn: ({ signal }) => unwrap(api.GET("/api/tickets/{id}", { params: { path: { id } }, signal })),
    ...livePolling,
  });
}

export function useTicket(id: number) {
  return useQuery(ticketQuery(id));
}

/** After a change to ticket `ticket.id`: show it at once, and refetch the lists and counts it may move between. */
function ticketChanged(queryClient: QueryClient, ticket: Ticket) {
  queryClient.setQueryData(ticketKeys.detail(ticket.id), ticket);
  return queryClient.invalidateQueries({ queryKey: ticketKeys.all });
}

export function useUpdateTicket(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (update: Schemas["TicketUpdate"]) =>
      unwrap(api.PATCH("/api/tickets/{id}", { params: { path: { id } }, body: update })),
    onSuccess: (ticket) => ticketChanged(queryClient, ticket),
    // A 409 (`ticket_closed`) means someone else closed it: show the ticket as it is now.
    onError: () => queryClient.invalidateQueries({ queryKey: ticketKeys.detail(id) }),
  });
}

export function useMarkRead(id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/tickets/{id}/read", { params: { path: { id } } })),
    onSuccess: () => {
      queryClient.setQueryData<Ticket>(ticketKeys.detail(id), (ticket) => (ticket ? { ...ticket, unread: false } : ticket));
      return queryClient.invalidateQueries({ queryKey: ticketKeys.all });
    },
  });
}

export function useUpdateContactName(ticketId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: ({ contactId, name }: { contactId: number; name: string }) =>
      unwrap(api.PATCH("/api/contacts/{id}", { params: { path: { id: contactId } }, body: { name: name.trim() || null } })),
    onSuccess: (contact) => {
      queryClient.setQueryData<Ticket>(ticketKeys.detail(ticketId), (ticket) =>
        ticket ? { ...ticket, contact: { id: contact.id, name: contact.name } } : ticket,
      );
      return queryClient.invalidateQueries({ queryKey: ticketKeys.all });
    },
  });
}
