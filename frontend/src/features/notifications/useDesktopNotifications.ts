import { useEffect, useRef } from "react";
import { useNavigate } from "react-router";
import { fetchNotifications, usePreferences } from "./api/preferences";
import { browserAllowsNotifications, describeNotification, notificationKey, playChime, wanted } from "./notify";

/** How often the dashboard asks for news, visible or not (a hidden tab is when notifications matter). */
export const NOTIFICATION_POLL_MS = 5_000;

/**
 * Shows a browser notification for each new ticket in Unassigned, new text on my tickets and failed delivery on my
 * tickets the agent opted into, while the tab is hidden; clicking one opens the ticket. Each shows once, though
 * polls overlap.
 */
export function useDesktopNotifications(): void {
  const preferences = usePreferences().data;
  const navigate = useNavigate();
  const enabled = Boolean(preferences?.notifications);
  const latest = useRef(preferences);
  useEffect(() => {
    latest.current = preferences;
  }, [preferences]);

  useEffect(() => {
    if (!enabled) return;
    const seen = new Set<string>();
    let since: string | null = null;
    let stopped = false;
    const controller = new AbortController();
    const poll = async () => {
      try {
        const answer = await fetchNotifications(since, controller.signal);
        since = answer.now;
        const choices = latest.current;
        for (const notification of answer.notifications) {
          const key = notificationKey(notification);
          if (seen.has(key)) continue;
          seen.add(key);
          if (!choices || !wanted(notification, choices)) continue;
          if (document.visibilityState !== "hidden" || !browserAllowsNotifications()) continue;
          const { title, body } = describeNotification(notification);
          const shown = new window.Notification(title, { body, tag: key });
          shown.onclick = () => {
            window.focus();
            void navigate(`/tickets/${String(notification.ticket_id)}`);
            shown.close();
          };
          if (choices.sound) playChime();
        }
      } catch {
        // A failed poll is retried on the next tick; the queue shows the connection problem.
      }
      if (!stopped) timer = setTimeout(() => void poll(), NOTIFICATION_POLL_MS);
    };
    let timer = setTimeout(() => void poll(), 0);
    return () => {
      stopped = true;
      controller.abort();
      clearTimeout(timer);
    };
  }, [enabled, navigate]);
}
