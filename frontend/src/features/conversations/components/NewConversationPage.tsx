import { useId, useState } from "react";
import { useNavigate, useSearchParams } from "react-router";
import { ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useSegmentCount } from "../../composer/api/segments";
import { SegmentMeter, Ucs2Warning } from "../../composer/components/SegmentMeter";
import { defaultNumber, senderErrorMessage, stillOurs, useNumbersOfOurs, type NumberOfOurs } from "../../numbers/api/numbers";
import { NoNumbersYet, OurNumberSelect } from "../../numbers/components/OurNumberSelect";
import { useStartConversation } from "../api/conversations";

function NewConversationForm({ numbers }: { numbers: readonly NumberOfOurs[] }) {
  const [params] = useSearchParams();
  const [to, setTo] = useState(params.get("to") ?? "");
  const [chosenFrom, setFrom] = useState(() => defaultNumber(numbers));
  const [message, setMessage] = useState("");
  const start = useStartConversation();
  const navigate = useNavigate();
  const segments = useSegmentCount(message.trim());
  const ids = { to: useId(), toHint: useId(), message: useId(), meter: useId() };
  const from = stillOurs(numbers, chosenFrom);
  const canSend = from !== "" && to.trim().length > 0 && message.trim().length > 0 && !start.isPending;

  function submit() {
    if (!canSend) return;
    start.mutate(
      { from, to: to.trim(), body: message.trim() },
      {
        onSuccess: ({ ticket }) => {
          void navigate(`/tickets/${ticket.id}`);
        },
      },
    );
  }

  return (
    <form
      className="card form"
      onSubmit={(event) => {
        event.preventDefault();
        submit();
      }}
    >
      <OurNumberSelect label="From" hint="Our number the text goes out from." numbers={numbers} value={from} onChange={setFrom} />
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
      {start.isError ? (
        <InlineError>{senderErrorMessage(start.error, errorMessage(start.error), start.variables.from ?? undefined)}</InlineError>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={!canSend}>
          Start conversation
        </button>
      </div>
    </form>
  );
}

/** `/new`: text a number that has not written in, from one of our numbers; opens (or joins) its ticket and goes there. */
export function NewConversationPage() {
  const numbers = useNumbersOfOurs();
  return (
    <div className="page page-narrow">
      <h1>New conversation</h1>
      <p className="muted">
        Text a number that has not written in. If it already has an open ticket with the number of ours you send from,
        the text joins it.
      </p>
      {numbers.isPending ? (
        <Loading label="Loading our numbers…" />
      ) : numbers.isError ? (
        <ErrorState message={errorMessage(numbers.error)} onRetry={() => void numbers.refetch()} />
      ) : numbers.data.length === 0 ? (
        <NoNumbersYet />
      ) : (
        <NewConversationForm numbers={numbers.data} />
      )}
    </div>
  );
}
