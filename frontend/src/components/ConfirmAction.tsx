import { useState } from "react";

/**
 * A destructive action that asks once before it happens: "Delete" turns into "Yes, delete" and "Keep".
 * Accessible names carry the subject ("Delete Refund policy"), since a list has one such button per row.
 */
export function ConfirmAction({
  verb,
  subject,
  pending,
  question,
  onConfirm,
}: {
  verb: string;
  subject: string;
  pending: boolean;
  /** Shown beside the confirmation buttons. */
  question?: string;
  onConfirm: () => void;
}) {
  const [confirming, setConfirming] = useState(false);
  const confirmLabel = `Yes, ${verb.toLowerCase()}`;
  if (!confirming) {
    return (
      <button
        type="button"
        className="button button-small button-danger"
        aria-label={`${verb} ${subject}`}
        onClick={() => {
          setConfirming(true);
        }}
      >
        {verb}
      </button>
    );
  }
  return (
    <>
      {question ? <span>{question}</span> : null}
      <button
        type="button"
        className="button button-small button-danger"
        disabled={pending}
        aria-label={question ? undefined : `${confirmLabel} ${subject}`}
        onClick={onConfirm}
      >
        {confirmLabel}
      </button>
      <button
        type="button"
        className="button button-small"
        onClick={() => {
          setConfirming(false);
        }}
      >
        Keep
      </button>
    </>
  );
}
