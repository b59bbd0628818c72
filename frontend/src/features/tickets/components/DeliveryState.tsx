import { errorMessage } from "../../../lib/api-client";
import { plural } from "../../../lib/format";
import { useNow } from "../../../lib/hooks";
import type { Message } from "../api/messages";
import { useRetryMessage, useRetryMessages } from "../api/messages";
import styles from "./delivery.module.css";

const IN_FLIGHT_LABELS = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
} as const;

/** A text to the customer that did not reach them: the gateway refused it, or the carrier could not deliver it. */
export function isUndelivered(message: Message): boolean {
  return (
    message.direction === "outbound" &&
    !message.internal &&
    (message.delivery_status === "failed" || message.delivery_status === "undelivered")
  );
}

/** Why a text did not arrive, in the gateway's words, with its error code when there is one. */
function failureReason(message: Message): string {
  const given = message.error_message?.trim() ?? "";
  const reason = given === "" ? "the gateway gave no reason" : given;
  return message.error_code ? `${reason} (error ${message.error_code})` : reason;
}

/** "8 s", "3 min", "2 h": how long until `iso`. */
function timeUntil(iso: string, now: number): string | null {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return null;
  const seconds = Math.ceil(ms / 1000);
  if (seconds <= 0) return null;
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.ceil(minutes / 60)} h`;
}

/** Why a queued text waits (the gateway is down or refusing), and when the next try is, counted down. */
function QueuedReason({ reason, nextAttemptAt }: { reason: string; nextAttemptAt: string | null }) {
  const now = useNow(1_000);
  const wait = nextAttemptAt ? timeUntil(nextAttemptAt, now) : null;
  return (
    <span className={`delivery delivery-queued ${styles.waiting ?? ""}`}>
      Queued · {reason}, {wait ? `next try in ${wait}` : "trying again now"}
    </span>
  );
}

/** The sign on an undelivered text's bubble: an icon and words, not only a colour. */
export function NotDeliveredLabel({ message }: { message: Message }) {
  return (
    <p className={styles.bubbleLabel}>
      <WarningIcon />
      {message.delivery_status === "undelivered" ? "Not delivered" : "Not sent"}
    </p>
  );
}

function WarningIcon() {
  return (
    <svg className={styles.icon} viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
      <path d="M8 1 15 14H1z" fill="currentColor" />
      <path d="M8 6v4M8 11.5v1" stroke="#fff" strokeWidth="1.6" strokeLinecap="round" />
    </svg>
  );
}

/** How far an outgoing text has got; a failed one says why and offers to send it again. */
export function DeliveryState({ message }: { message: Message }) {
  const retry = useRetryMessage();
  const status = message.delivery_status;
  if (status === null) return null;
  if (status === "queued" && message.delivery_error) {
    return <QueuedReason reason={message.delivery_error} nextAttemptAt={message.next_attempt_at} />;
  }
  if (status !== "failed" && status !== "undelivered") {
    return <span className={`delivery delivery-${status}`}>{IN_FLIGHT_LABELS[status]}</span>;
  }
  const retrying = retry.isPending && retry.variables === message.id;
  return (
    <span className="delivery delivery-failed">
      <span>
        {status === "failed" ? "Failed" : "Undelivered"}: {failureReason(message)}
      </span>
      <button
        type="button"
        className="button button-small"
        disabled={retrying}
        aria-busy={retrying}
        onClick={() => {
          retry.mutate(message.id);
        }}
      >
        Retry
      </button>
      {retry.isError && retry.variables === message.id ? (
        <span className="inline-error" role="alert">
          {errorMessage(retry.error)}
        </span>
      ) : null}
    </span>
  );
}

/**
 * Above the thread while any reply did not reach the customer: how many, the latest reason, a way to the message,
 * and Retry for all of them, so a failure cannot go unseen at the bottom of a long thread.
 */
export function DeliveryProblemBanner({ messages }: { messages: readonly Message[] }) {
  const retry = useRetryMessages();
  const undelivered = messages.filter(isUndelivered);
  const latest = undelivered.at(-1);
  if (!latest) return null;
  const several = undelivered.length > 1;
  return (
    <section className={styles.banner} aria-label="Delivery problem">
      <WarningIcon />
      <p className={styles.bannerText}>
        <strong>
          {several
            ? `${plural(undelivered.length, "reply", "replies")} did not reach the customer.`
            : "A reply did not reach the customer."}
        </strong>{" "}
        {several ? "Latest: " : ""}
        {failureReason(latest)}
      </p>
      <div className={styles.bannerActions}>
        <a
          href={`#message-${latest.id}`}
          className="button button-small"
          onClick={(event) => {
            event.preventDefault();
            document.getElementById(`message-${latest.id}`)?.scrollIntoView({ block: "center" });
          }}
        >
          Show
        </a>
        <button
          type="button"
          className="button button-small button-primary"
          disabled={retry.isPending}
          aria-busy={retry.isPending}
          onClick={() => {
            retry.mutate(undelivered.map((message) => message.id));
          }}
        >
          {several ? "Retry all" : "Retry sending"}
        </button>
      </div>
      {retry.isError ? (
        <p className={`inline-error ${styles.bannerError}`} role="alert">
          {errorMessage(retry.error)}
        </p>
      ) : null}
    </section>
  );
}
