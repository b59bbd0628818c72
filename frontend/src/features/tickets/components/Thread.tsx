import { useRef } from "react";
import { formatDateTime, formatTime, plural } from "../../../lib/format";
import type { TicketEvent } from "../api/events";
import type { Message } from "../api/messages";
import delivery from "./delivery.module.css";
import { DeliveryProblemBanner, DeliveryState, NotDeliveredLabel, isUndelivered } from "./DeliveryState";
import { useStickToBottom } from "./useStickToBottom";
import { TimelineEntry } from "./TimelineEntry";

type ThreadItem = { kind: "message"; at: string; message: Message } | { kind: "event"; at: string; event: TicketEvent };

/** Messages and timeline events in one list, oldest first (an event after a message of the same moment). */
export function interleave(messages: readonly Message[], events: readonly TicketEvent[]): ThreadItem[] {
  const items: ThreadItem[] = [
    ...messages.map((message) => ({ kind: "message" as const, at: message.created_at, message })),
    ...events.map((event) => ({ kind: "event" as const, at: event.at, event })),
  ];
  // A stable sort keeps messages in their own order (the server's, by time then id) among equal times.
  return items.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.kind === b.kind ? 0 : a.kind === "message" ? -1 : 1));
}

/** Links only for web addresses: anything else (`javascript:` …) is shown as text. */
function isWebUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

function MessageItem({
  message,
  customer,
  authorName,
  now,
}: {
  message: Message;
  customer: string;
  authorName: (id: number | null) => string | undefined;
  now: number;
}) {
  const kind = message.internal ? "note" : message.direction;
  const who =
    message.direction === "inbound"
      ? customer
      : message.author_id === null
        ? "Automatic reply"
        : (authorName(message.author_id) ?? "Agent");
  // Read out before the body, so the three kinds never sound alike either. Plain text rather than aria-label, so
  // that label queries for the composer ("Reply", "Internal note") find only the composer.
  const spoken = kind === "note" ? `Note by ${who}:` : kind === "inbound" ? `${customer} wrote:` : `${who} sent:`;
  const undelivered = isUndelivered(message);
  return (
    <li
      id={`message-${message.id}`}
      className={`message message-${kind} ${undelivered ? (delivery.undelivered ?? "") : ""}`}
    >
      <article className="bubble">
        <span className="visually-hidden">{spoken} </span>
        {kind === "note" ? (
          <p className="note-label">Internal note · not sent to the customer</p>
        ) : null}
        {undelivered ? <NotDeliveredLabel message={message} /> : null}
        {/* Always a text node: markup in an SMS shows as the characters it is. */}
        <p className="message-body">{message.body}</p>
        {message.media_urls.length > 0 ? (
          <ul className="message-media">
            {message.media_urls.map((url, index) => (
              <li key={`${index}:${url}`}>
                {isWebUrl(url) ? (
                  <a href={url} target="_blank" rel="noreferrer noopener">
                    Attachment {index + 1}
                  </a>
                ) : (
                  <span>{url}</span>
                )}
              </li>
            ))}
          </ul>
        ) : null}
      </article>
      <div className="message-meta">
        <span className="message-author">{who}</span>
        <time dateTime={message.created_at} title={formatDateTime(message.created_at)}>
          {formatTime(message.created_at, now)}
        </time>
        {message.segments !== null && !message.internal && message.direction === "outbound" ? (
          <span>
            {plural(message.segments, "segment")}
            {message.encoding ? ` · ${message.encoding}` : ""}
          </span>
        ) : null}
        {message.direction === "outbound" && !message.internal ? <DeliveryState message={message} /> : null}
      </div>
    </li>
  );
}

/**
 * The whole conversation, oldest first: the customer's texts on the left, our replies on the right, internal
 * notes as marked yellow cards. New messages are announced politely (role="log") and scrolled into view when the
 * reader is already at the bottom; it opens at the newest message. Replies that did not reach the customer are
 * marked in their bubble and summed up in a banner above the thread.
 */
export function Thread({
  messages,
  events = [],
  customer,
  authorName,
  now,
}: {
  messages: readonly Message[];
  /** The ticket's timeline, shown among the messages. */
  events?: readonly TicketEvent[];
  /** The customer's name or number. */
  customer: string;
  authorName: (id: number | null) => string | undefined;
  now: number;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  useStickToBottom(scroller, `${messages.length}:${messages.at(-1)?.id ?? ""}:${events.length}`);

  return (
    <>
      <DeliveryProblemBanner messages={messages} />
      <div
        ref={scroller}
        className="thread"
        role="log"
        aria-label="Messages"
        aria-live="polite"
        tabIndex={0}
      >
        {messages.length === 0 ? (
          <p className="muted thread-empty">No messages yet.</p>
        ) : (
          <ol className="thread-list">
            {interleave(messages, events).map((item) =>
              item.kind === "message" ? (
                <MessageItem
                  key={`m${String(item.message.id)}`}
                  message={item.message}
                  customer={customer}
                  authorName={authorName}
                  now={now}
                />
              ) : (
                <TimelineEntry key={`e${String(item.event.id)}`} event={item.event} now={now} />
              ),
            )}
          </ol>
        )}
      </div>
    </>
  );
}
