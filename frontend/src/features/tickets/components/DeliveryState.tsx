import { errorMessage } from "../../../lib/api-client";
import type { Message } from "../api/messages";
import { useRetryMessage } from "../api/messages";

const IN_FLIGHT_LABELS = {
  queued: "Queued",
  sending: "Sending",
  sent: "Sent",
  delivered: "Delivered",
} as const;

/** Why a text did not arrive, in the gateway's words, with its error code when there is one. */
function failureReason(message: Message): string {
  const given = message.error_message?.trim() ?? "";
  const reason = given === "" ? "the gateway gave no reason" : given;
  return message.error_code ? `${reason} (error ${message.error_code})` : reason;
}

/** How far an outgoing text has got; a failed one says why and offers to send it again. */
export function DeliveryState({ message }: { message: Message }) {
  const retry = useRetryMessage();
  const status = message.delivery_status;
  if (status === null) return null;
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
