import { useId, useState } from "react";
import { ErrorState, InlineError, Loading } from "../../../components/States";
import { errorMessage } from "../../../lib/api-client";
import { usePreferences, useUpdatePreferences, type Preferences, type PreferencesChange } from "../api/preferences";
import { playChime } from "../notify";
import "./notifications.css";

type Choice = Exclude<keyof Preferences, "notifications">;

const KINDS: { key: Choice; label: string }[] = [
  { key: "notify_new_unassigned", label: "A new ticket arrives in Unassigned" },
  { key: "notify_assigned_texts", label: "A customer texts on a ticket assigned to me" },
  { key: "notify_failed_deliveries", label: "A reply on one of my tickets is not delivered" },
];

function permissionNow(): NotificationPermission | "unsupported" {
  return typeof window !== "undefined" && "Notification" in window ? window.Notification.permission : "unsupported";
}

/** `/preferences`: the agent's own notification choices (stored on the server) and the browser's permission. */
export default function NotificationsPage() {
  const preferences = usePreferences();
  const update = useUpdatePreferences();
  const [permission, setPermission] = useState(permissionNow);
  const headingId = useId();

  if (preferences.isPending) return <Loading label="Loading your preferences…" />;
  if (preferences.isError) {
    return <ErrorState message={errorMessage(preferences.error)} onRetry={() => void preferences.refetch()} />;
  }
  const current = preferences.data;
  const save = (change: PreferencesChange) => {
    update.mutate(change);
  };

  return (
    <section className="page" aria-labelledby={headingId}>
      <h1 id={headingId}>Notifications</h1>
      <p className="muted">
        While smsdesk is open in a tab you are not looking at, your browser can tell you when something needs you.
        Clicking a notification opens the ticket.
      </p>
      <fieldset>
        <legend>Browser notifications</legend>
        <label className="notification-choice">
          <input
            type="checkbox"
            checked={current.notifications}
            disabled={update.isPending}
            onChange={(event) => {
              const on = event.target.checked;
              if (on && permission === "default") {
                void window.Notification.requestPermission().then((answer) => {
                  setPermission(answer);
                });
              }
              save({ notifications: on });
            }}
          />
          Show browser notifications
        </label>
        {current.notifications && permission === "denied" ? (
          <p className="inline-error" role="alert">
            Your browser blocks notifications from this site. Allow them in the site settings (the icon left of the
            address), then reload.
          </p>
        ) : null}
        {current.notifications && permission === "unsupported" ? (
          <p className="inline-error" role="alert">
            This browser cannot show notifications.
          </p>
        ) : null}
        <ul className="notification-choices">
          {KINDS.map(({ key, label }) => (
            <li key={key}>
              <label className="notification-choice">
                <input
                  type="checkbox"
                  checked={current[key]}
                  disabled={!current.notifications || update.isPending}
                  onChange={(event) => {
                    save({ [key]: event.target.checked });
                  }}
                />
                {label}
              </label>
            </li>
          ))}
          <li>
            <label className="notification-choice">
              <input
                type="checkbox"
                checked={current.sound}
                disabled={!current.notifications || update.isPending}
                onChange={(event) => {
                  save({ sound: event.target.checked });
                  if (event.target.checked) playChime();
                }}
              />
              Play a sound
            </label>
          </li>
        </ul>
      </fieldset>
      {update.isError ? <InlineError>{errorMessage(update.error)}</InlineError> : null}
      {update.isSuccess ? (
        <p className="muted" role="status">
          Saved.
        </p>
      ) : null}
    </section>
  );
}
