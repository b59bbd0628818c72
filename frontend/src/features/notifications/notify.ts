import type { Notification as DeskNotification, Preferences } from "./api/preferences";

/** Whether the agent asked to hear about this kind. */
export function wanted(notification: DeskNotification, preferences: Preferences): boolean {
  if (!preferences.notifications) return false;
  switch (notification.kind) {
    case "new_ticket":
      return preferences.notify_new_unassigned;
    case "new_text":
      return preferences.notify_assigned_texts;
    case "delivery_failed":
      return preferences.notify_failed_deliveries;
  }
}

/** The notification's title and body, as the browser shows them. */
export function describeNotification(notification: DeskNotification): { title: string; body: string } {
  const preview = notification.preview ?? "";
  switch (notification.kind) {
    case "new_ticket":
      return { title: `New ticket from ${notification.customer}`, body: preview };
    case "new_text":
      return { title: `${notification.customer} texted`, body: preview };
    case "delivery_failed":
      return { title: `A reply to ${notification.customer} was not delivered`, body: `Ticket #${String(notification.ticket_id)}` };
  }
}

/** Identifies a notification across overlapping polls. */
export function notificationKey(notification: DeskNotification): string {
  return `${notification.kind}:${String(notification.ticket_id)}:${notification.at}`;
}

/** Whether the browser can show notifications and the agent allowed it. */
export function browserAllowsNotifications(): boolean {
  return typeof window !== "undefined" && "Notification" in window && window.Notification.permission === "granted";
}

/** A short, quiet two-tone chime (Web Audio: no sound file to download). */
export function playChime(): void {
  const AudioContextClass = typeof window === "undefined" ? undefined : window.AudioContext;
  if (!AudioContextClass) return;
  const context = new AudioContextClass();
  const gain = context.createGain();
  gain.gain.value = 0.06;
  gain.connect(context.destination);
  [880, 1320].forEach((frequency, index) => {
    const tone = context.createOscillator();
    tone.frequency.value = frequency;
    tone.connect(gain);
    const start = context.currentTime + index * 0.12;
    tone.start(start);
    tone.stop(start + 0.1);
  });
  setTimeout(() => void context.close(), 600);
}
