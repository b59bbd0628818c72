import { useState } from "react";
import { Link } from "react-router";
import { TextAreaField, TextField } from "../../../components/Field";
import { ErrorState, InlineError, Loading } from "../../../components/States";
import { ApiError, errorMessage } from "../../../lib/api-client";
import { defaultNumber, senderErrorMessage, stillOurs, useNumbersOfOurs, type NumberOfOurs } from "../../numbers/api/numbers";
import { NoNumbersYet, OurNumberSelect } from "../../numbers/components/OurNumberSelect";
import { useSettings } from "../../settings/api/settings";
import { useSimulateInboundText, type SimulatedTextFiled } from "../api/simulator";

/** The server's refusals in the dashboard's words (its own messages name settings and endpoints). */
function simulatorErrorMessage(error: unknown): string {
  if (error instanceof ApiError && error.code === "simulator_disabled") {
    return "The simulator has just been turned off. An admin can turn it on again in Settings.";
  }
  return senderErrorMessage(error, errorMessage(error));
}

function SimulatorForm({ numbers }: { numbers: readonly NumberOfOurs[] }) {
  const simulate = useSimulateInboundText();
  const [from, setFrom] = useState("");
  const [chosenTo, setTo] = useState(() => defaultNumber(numbers));
  const [body, setBody] = useState("");
  const [received, setReceived] = useState<SimulatedTextFiled | null>(null);
  const to = stillOurs(numbers, chosenTo);

  return (
    <form
      className="card form"
      aria-label="Send a fake inbound text"
      onSubmit={(event) => {
        event.preventDefault();
        simulate.mutate(
          { from: from.trim(), to, body },
          {
            onSuccess: (result) => {
              setReceived(result);
              setBody("");
            },
          },
        );
      }}
    >
      <TextField label="From" type="tel" required placeholder="+14155550123" value={from} hint="The customer's number." onChange={(event) => { setFrom(event.target.value); }} />
      <OurNumberSelect label="To" hint="Our number the customer texts." numbers={numbers} value={to} onChange={setTo} />
      <TextAreaField label="Message" required rows={4} value={body} onChange={(event) => { setBody(event.target.value); }} />
      {simulate.isError ? <InlineError>{simulatorErrorMessage(simulate.error)}</InlineError> : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={simulate.isPending || !from.trim() || !to || !body.trim()}>
          Send text
        </button>
      </div>
      <div role="status" className="simulator-result">
        {received ? (
          <p className="success">
            Text received {received.opened_ticket ? "and opened a new ticket" : "in an open ticket"}:{" "}
            <Link to={`/tickets/${received.ticket_id}`}>open ticket #{received.ticket_id}</Link>
          </p>
        ) : null}
      </div>
    </form>
  );
}

/** `/simulator`: send a fake inbound text, as if a customer had texted one of our numbers (admins, when the setting is on). */
export default function SimulatorPage() {
  const settings = useSettings();
  const numbers = useNumbersOfOurs();

  if (settings.isPending) return <Loading label="Loading…" />;
  if (settings.isError) return <ErrorState message={errorMessage(settings.error)} onRetry={() => void settings.refetch()} />;
  if (!settings.data.sms_simulator_enabled) {
    return (
      <div className="page page-narrow">
        <h1>SMS simulator</h1>
        <p>
          The simulator is off. An admin can turn it on in <Link to="/admin/settings">Settings</Link>.
        </p>
      </div>
    );
  }

  return (
    <div className="page page-narrow">
      <h1>SMS simulator</h1>
      <p className="muted">Sends a fake text to smsdesk as if a customer had texted one of our numbers. Nothing goes over the phone network.</p>
      {numbers.isPending ? (
        <Loading label="Loading our numbers…" />
      ) : numbers.isError ? (
        <ErrorState message={errorMessage(numbers.error)} onRetry={() => void numbers.refetch()} />
      ) : numbers.data.length === 0 ? (
        <NoNumbersYet title="No number of ours for customers to text yet" />
      ) : (
        <SimulatorForm numbers={numbers.data} />
      )}
    </div>
  );
}
