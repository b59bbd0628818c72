import { queryOptions, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "../../../lib/api-client";
import { livePolling } from "../../../lib/polling";
import { ticketKeys } from "./tickets";

export type Message = Schemas["MessageView"];
export type DeliveryStatus = Schemas["DeliveryStatus"];

/** A ticket's thread as the client holds it: every message so far, and the cursor to ask for what changed next. */
export interface Thread {
  messages: Message[];
  cursor: string | null;
}

export const threadKey = (ticketId: number) => ["tickets", "detail", ticketId, "messages"] as const;

function time(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? 0 : ms;
}

/**
 * `current` with `incoming` merged in by id: a message seen before is replaced unless the copy we hold is newer
 * (a change may arrive twice, or after our own mutation's answer). Oldest first, ties by id.
 */
export function mergeMessages(current: readonly Message[], incoming: readonly Message[]): Message[] {
  const byId = new Map(current.map((message) => [message.id, message]));
  for (const message of incoming) {
    const held = byId.get(message.id);
    if (!held || time(held.updated_at) <= time(message.updated_at)) byId.set(message.id, message);
  }
  return [...byId.values()].sort((a, b) => time(a.created_at) - time(b.created_at) || a.id - b.id);
}

/**
 * The thread, kept live: the first fetch loads it whole; every poll after that asks only for what changed since
 * the last answer's cursor (`?after=`) and merges it in.
 */
export function threadQuery(ticketId: number) {
  return queryOptions({
    queryKey: threadKey(ticketId),
    queryFn: async ({ client, queryKey, signal }): Promise<Thread> => {
      const before = client.getQueryData<Thread>(queryKey);
      const after = before?.cursor ?? undefined;
      const page = await unwrap(
        api.GET("/api/tickets/{id}/messages", {
          params: { path: { id: ticketId }, query: after ? { after } : {} },
          signal,
        }),
      );
      if (!after) return { messages: mergeMessages([], page.messages), cursor: page.cursor };
      // Merge into what is cached now: our own replies may have been added while this request was out.
      const latest = client.getQueryData<Thread>(queryKey) ?? before;
      return {
        messages: mergeMessages(latest?.messages ?? [], page.messages),
        cursor: page.cursor ?? after,
      };
    },
    ...livePolling,
  });
}

export function useThread(ticketId: number) {
  return useQuery(threadQuery(ticketId));
}

/** Puts a message the server just returned into its thread without waiting for the next poll. */
export function addToThread(queryClient: QueryClient, message: Message): void {
  queryClient.setQueryData<Thread>(threadKey(message.ticket_id), (thread) =>
    thread ? { ...thread, messages: mergeMessages(thread.messages, [message]) } : thread,
  );
}

export function usePostMessage(ticketId: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (message: Schemas["NewMessage"]) =>
      unwrap(api.POST("/api/tickets/{id}/messages", { params: { path: { id: ticketId } }, body: message })),
    onSuccess: (message) => {
      addToThread(queryClient, message);
      // Not awaited: the reply is in the thread already, so the composer clears without waiting for the queue.
      void queryClient.invalidateQueries({ queryKey: ticketKeys.all });
    },
    onError: () => queryClient.invalidateQueries({ queryKey: ticketKeys.detail(ticketId) }),
  });
}

function retryMessage(messageId: number) {
  return unwrap(api.POST("/api/messages/{id}/retry", { params: { path: { id: messageId } } }));
}

export function useRetryMessage() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: retryMessage,
    onSuccess: (message) => {
      addToThread(queryClient, message);
      // The queue marks tickets with a reply that was not delivered: the mark goes with the retry.
      void queryClient.invalidateQueries({ queryKey: ticketKeys.all });
    },
  });
}

/** Sends several failed texts again, one after the other; each one queued shows at once. */
export function useRetryMessages() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (messageIds: readonly number[]) => {
      for (const id of messageIds) addToThread(queryClient, await retryMessage(id));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ticketKeys.all }),
  });
}
