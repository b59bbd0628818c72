import { useState } from "react";
import { Link } from "react-router";
import { TextAreaField, TextField } from "../../../components/Field";
import { ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { useSettings } from "../../settings/api/settings";
import { useSimulateInboundText, type SimulatedTextFiled } from "../api/simulator";

/** `/simulator`: send a fake inbound text, as if a customer had texted us (admins, when the setting is on). */
export default function SimulatorPage() {
  const settings = useSettings();
  const simulate = useSimulateInboundText();
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [body, setBody] = useState("");
  const [received, setReceived] = useState<SimulatedTextFiled | null>(null);

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

  const defaultSender = settings.data.default_sender_number ?? "";
  return (
    <div className="page page-narrow">
      <h1>SMS simulator</h1>
      <p className="muted">Sends a fake text to smsdesk as if a customer had texted one of our numbers. Nothing goes over the phone network.</p>
      <form
        className="card form"
        aria-label="Send a fake inbound text"
        onSubmit={(event) => {
          event.preventDefault();
          simulate.mutate(
            { from: from.trim(), to: to.trim() || null, body },
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
        <TextField
          label="To"
          type="tel"
          placeholder={defaultSender || "+14155550100"}
          value={to}
          hint={defaultSender ? `Our number; empty means the default sender, ${defaultSender}.` : "Our number; empty means the default sender number."}
          onChange={(event) => { setTo(event.target.value); }}
        />
        <TextAreaField label="Message" required rows={4} value={body} onChange={(event) => { setBody(event.target.value); }} />
        {simulate.isError ? <InlineError>{errorMessage(simulate.error)}</InlineError> : null}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={simulate.isPending || !from.trim() || !body.trim()}>
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
    </div>
  );
}
