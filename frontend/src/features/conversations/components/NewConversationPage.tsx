import { useId, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { InlineError } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useSegmentCount } from "../../composer/api/segments";
import { SegmentMeter, Ucs2Warning } from "../../composer/components/SegmentMeter";
import { useStartConversation } from "../api/conversations";

/** `/new`: text a number that has not written in; opens (or joins) its ticket and goes there. */
export function NewConversationPage() {
  const [params] = useSearchParams();
  const [to, setTo] = useState(params.get("to") ?? "");
  const [message, setMessage] = useState("");
  const start = useStartConversation();
  const navigate = useNavigate();
  const segments = useSegmentCount(message.trim());
  const ids = { to: useId(), toHint: useId(), message: useId(), meter: useId() };
  const canSend = to.trim().length > 0 && message.trim().length > 0 && !start.isPending;

  function submit() {
    if (!canSend) return;
    start.mutate(
      { to: to.trim(), body: message.trim() },
      {
        onSuccess: ({ ticket }) => {
          void navigate(`/tickets/${ticket.id}`);
        },
      },
    );
  }

  return (
    <div className="page page-narrow">
      <h1>New conversation</h1>
      <p className="muted">Text a number that has not written in. If it already has an open ticket, the text joins it.</p>
      <form
        className="card form"
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <div className="field">
          <label htmlFor={ids.to}>To</label>
          <input
            id={ids.to}
            type="tel"
            autoComplete="off"
            required
            value={to}
            aria-describedby={ids.toHint}
            placeholder="+14155550123"
            onChange={(event) => {
              setTo(event.target.value);
            }}
          />
          <p className="field-hint" id={ids.toHint}>
            With the country code, e.g. +1 415 555 0123.
          </p>
        </div>
        <div className="field">
          <label htmlFor={ids.message}>Message</label>
          <textarea
            id={ids.message}
            rows={5}
            required
            maxLength={1600}
            value={message}
            aria-describedby={ids.meter}
            onChange={(event) => {
              setMessage(event.target.value);
            }}
            onKeyDown={(event) => {
              if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                event.preventDefault();
                submit();
              }
            }}
          />
          <SegmentMeter id={ids.meter} count={segments.count} pending={segments.pending} />
          {segments.count ? (
            <Ucs2Warning
              count={segments.count}
              swapDisabled={segments.pending}
              onSwap={() => {
                if (segments.count?.gsm_alternative) setMessage(segments.count.gsm_alternative);
              }}
            />
          ) : null}
        </div>
        {start.isError ? <InlineError>{errorMessage(start.error)}</InlineError> : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={!canSend}>
            Start conversation
          </button>
        </div>
      </form>
    </div>
  );
}
