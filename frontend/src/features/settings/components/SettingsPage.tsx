import { useState } from "react";
import { CheckboxField, TextAreaField, TextField } from "../../../components/Field";
import { ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage, fieldError } from "../../../lib/api-client";
import { useSaveSettings, useSettings, type AppSettings } from "../api/settings";
import { BusinessHoursEditor, draftFrom, hoursFromDraft } from "./BusinessHoursEditor";

function SettingsForm({ settings }: { settings: AppSettings }) {
  const save = useSaveSettings();
  const [businessName, setBusinessName] = useState(settings.business_name);
  const [template, setTemplate] = useState(settings.confirmation_template);
  const [autoClose, setAutoClose] = useState(settings.auto_close_after_hours != null);
  const [autoCloseHours, setAutoCloseHours] = useState(String(settings.auto_close_after_hours ?? 72));
  const [sender, setSender] = useState(settings.default_sender_number ?? "");
  const [senderNumbers, setSenderNumbers] = useState(settings.sender_numbers.join("\n"));
  const [twilio, setTwilio] = useState(settings.twilio_verify_signatures);
  const [messagebird, setMessagebird] = useState(settings.messagebird_verify_signatures);
  const [simulator, setSimulator] = useState(settings.sms_simulator_enabled);
  const [helpReply, setHelpReply] = useState(settings.help_reply_template);
  const [outOfOffice, setOutOfOffice] = useState(settings.out_of_office_template);
  const [hours, setHours] = useState(() => draftFrom(settings.business_hours));
  const [agentTags, setAgentTags] = useState(settings.agents_can_create_tags);
  const [saved, setSaved] = useState(false);
  const templateError = fieldError(save.error, "confirmation_template");
  const helpReplyError = fieldError(save.error, "help_reply_template");
  const outOfOfficeError = fieldError(save.error, "out_of_office_template");
  const hoursError = fieldError(save.error, "business_hours");
  const shownNextToAField = [templateError, helpReplyError, outOfOfficeError, hoursError].some((e) => e !== undefined);

  return (
    <form
      className="card form"
      aria-label="Settings"
      onChange={() => {
        setSaved(false);
      }}
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate(
          {
            business_name: businessName.trim(),
            confirmation_template: template,
            auto_close_after_hours: autoClose ? Number(autoCloseHours) : null,
            default_sender_number: sender.trim() || null,
            sender_numbers: senderNumbers
              .split(/[\n,]/)
              .map((line) => line.trim())
              .filter((line) => line !== ""),
            twilio_verify_signatures: twilio,
            messagebird_verify_signatures: messagebird,
            sms_simulator_enabled: simulator,
            help_reply_template: helpReply,
            out_of_office_template: outOfOffice,
            business_hours: hoursFromDraft(hours),
            agents_can_create_tags: agentTags,
          },
          {
            onSuccess: (saved) => {
              // As the server stored them: E.164, each once.
              setSender(saved.default_sender_number ?? "");
              setSenderNumbers(saved.sender_numbers.join("\n"));
              // Sorted and tidied as stored.
              setHours(draftFrom(saved.business_hours));
              setSaved(true);
            },
          },
        );
      }}
    >
      <fieldset>
        <legend>Customers see</legend>
        <TextField label="Business name" required value={businessName} onChange={(event) => { setBusinessName(event.target.value); }} />
        <TextAreaField
          label="Confirmation template"
          required
          rows={3}
          value={template}
          spellCheck={false}
          hint="The automatic reply to a new ticket. Must contain {ticket_id}; may contain {contact_name} ({contact_name|there} greets customers without a name as “there”) and {business_name}. Write {{ for a literal {."
          error={templateError}
          onChange={(event) => { setTemplate(event.target.value); }}
        />
      </fieldset>
      <fieldset>
        <legend>Automatic replies</legend>
        <TextAreaField
          label="Help reply"
          required
          rows={2}
          value={helpReply}
          spellCheck={false}
          hint="The answer to HELP or INFO (instead of the confirmation). Carriers expect the business name and how to opt out. May contain {business_name} and {contact_name}."
          error={helpReplyError}
          onChange={(event) => { setHelpReply(event.target.value); }}
        />
        <TextAreaField
          label="Out-of-office reply"
          required
          rows={3}
          value={outOfOffice}
          spellCheck={false}
          hint="Sent outside business hours instead of the confirmation, and at most once per closed period to a ticket texted again. May contain {next_open} (e.g. “Monday 09:00”; {next_open|soon} if it never opens), {ticket_id}, {business_name} and {contact_name}."
          error={outOfOfficeError}
          onChange={(event) => { setOutOfOffice(event.target.value); }}
        />
      </fieldset>
      <BusinessHoursEditor draft={hours} onChange={setHours} error={hoursError} />
      <fieldset>
        <legend>Our numbers</legend>
        <TextField
          label="Default sender number"
          type="tel"
          value={sender}
          placeholder="+14155550100"
          hint="Our number that new conversations go out from unless the agent picks another. Leave empty for none."
          onChange={(event) => { setSender(event.target.value); }}
        />
        <TextAreaField
          label="More numbers to send from"
          rows={3}
          value={senderNumbers}
          placeholder="+14155550199"
          spellCheck={false}
          hint="One per line, with the country code. Agents may also send from the gateway's configured number and from the numbers customers have texted."
          onChange={(event) => { setSenderNumbers(event.target.value); }}
        />
      </fieldset>
      <fieldset>
        <legend>Tickets</legend>
        <CheckboxField label="Close inactive tickets automatically" checked={autoClose} onChange={(event) => { setAutoClose(event.target.checked); }} />
        {autoClose ? (
          <TextField
            label="Auto-close after (hours)"
            type="number"
            min={1}
            step={1}
            required
            value={autoCloseHours}
            onChange={(event) => { setAutoCloseHours(event.target.value); }}
          />
        ) : null}
      </fieldset>
      <fieldset>
        <legend>Gateways</legend>
        <CheckboxField
          label="Check Twilio signatures"
          hint="Refuse webhooks without a valid X-Twilio-Signature."
          checked={twilio}
          onChange={(event) => { setTwilio(event.target.checked); }}
        />
        <CheckboxField
          label="Check MessageBird signatures"
          hint="Refuse webhooks without a valid MessageBird-Signature-JWT."
          checked={messagebird}
          onChange={(event) => { setMessagebird(event.target.checked); }}
        />
      </fieldset>
      <fieldset>
        <legend>Tags</legend>
        <CheckboxField
          label="Agents may create tags"
          hint="Lets agents add a tag by typing a new name on a ticket. Admins always may; they manage tags under Tags."
          checked={agentTags}
          onChange={(event) => { setAgentTags(event.target.checked); }}
        />
      </fieldset>
      <fieldset>
        <legend>Testing</legend>
        <CheckboxField
          label="SMS simulator"
          hint="Lets admins send fake inbound texts from the dashboard. Turn it off in production."
          checked={simulator}
          onChange={(event) => { setSimulator(event.target.checked); }}
        />
      </fieldset>
      {save.isError && !shownNextToAField ? <InlineError>{errorMessage(save.error)}</InlineError> : null}
      <p role="status" className="success">
        {saved ? "Settings saved." : ""}
      </p>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={save.isPending}>
          Save settings
        </button>
      </div>
    </form>
  );
}

/** `/admin/settings` */
export default function SettingsPage() {
  const settings = useSettings();
  return (
    <div className="page page-narrow">
      <h1>Settings</h1>
      {settings.isPending ? (
        <Loading label="Loading settings…" />
      ) : settings.isError ? (
        <ErrorState message={errorMessage(settings.error)} onRetry={() => void settings.refetch()} />
      ) : (
        <SettingsForm settings={settings.data} />
      )}
    </div>
  );
}
