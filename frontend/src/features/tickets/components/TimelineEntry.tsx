import { formatDateTime, formatPhoneNumber, formatTime } from "../../../lib/format";
import { PRIORITY_LABELS } from "../../tags/api/tags";
import type { TicketEvent } from "../api/events";
import "./timeline.css";

const STATUS_NAMES = { open: "Open", pending: "Pending", closed: "Closed" } as const;

/** One sentence for an event, e.g. "Ana assigned it to Bo", "smsdesk closed it after 168 h without activity". */
export function describeEvent(event: TicketEvent): string {
  const who = event.actor?.name ?? (event.kind === "opted_out" || event.kind === "opted_in" ? "The customer" : "smsdesk");
  const status = (s: TicketEvent["to_status"]) => (s ? STATUS_NAMES[s] : "?");
  switch (event.kind) {
    case "assigned":
      return event.from
        ? `${who} reassigned it from ${event.from.name} to ${event.to?.name ?? "someone"}`
        : `${who} assigned it to ${event.to?.name ?? "someone"}${event.rule === "round_robin" ? " (round robin)" : ""}`;
    case "unassigned":
      return `${who} unassigned ${event.from?.name ?? "it"}`;
    case "status_changed":
      return event.to_status === "closed"
        ? `${who} closed it`
        : `${who} changed the status from ${status(event.from_status)} to ${status(event.to_status)}`;
    case "reopened":
      return `${who} reopened it as ${status(event.to_status)}`;
    case "auto_closed":
      return `Closed automatically after ${String(event.idle_hours ?? "?")} h without activity`;
    case "opted_out":
      return `The customer opted out (STOP) of texts from ${formatPhoneNumber(event.channel_number ?? "")}`;
    case "opted_in":
      return `The customer opted back in (START) to texts from ${formatPhoneNumber(event.channel_number ?? "")}`;
    case "delivery_failed":
      return `A reply was not delivered${event.error ? `: ${event.error}` : ""}`;
    case "tags_changed":
      return describeTagChange(who, event.added ?? [], event.removed ?? []);
    case "priority_changed":
      return `${who} changed the priority from ${priorityName(event.from_priority)} to ${priorityName(event.to_priority)}`;
  }
}

function priorityName(priority: TicketEvent["to_priority"]): string {
  return priority ? PRIORITY_LABELS[priority] : "?";
}

function describeTagChange(who: string, added: readonly string[], removed: readonly string[]): string {
  const parts = [
    added.length > 0 ? `tagged it ${added.join(", ")}` : "",
    removed.length > 0 ? `removed ${removed.join(", ")}` : "",
  ].filter(Boolean);
  return `${who} ${parts.join(" and ") || "changed its tags"}`;
}

/** An event among the messages: a quiet centred line with its time. */
export function TimelineEntry({ event, now }: { event: TicketEvent; now: number }) {
  return (
    <li className={`timeline-event timeline-${event.kind}`}>
      <p>
        <span>{describeEvent(event)}</span>{" "}
        <time dateTime={event.at} title={formatDateTime(event.at)}>
          {formatTime(event.at, now)}
        </time>
      </p>
    </li>
  );
}
