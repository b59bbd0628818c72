// Formatting for people: phone numbers, ages and times.

/**
 * Our own (channel) numbers for display, written like the server writes customers' numbers
 * (`customer_number_display`): `+14155550100` → `+1 415-555-0100`, `+447700900123` → `+44 7700 900123`;
 * other numbers stay as they are.
 */
export function formatPhoneNumber(e164: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  if (nanp) return `+1 ${nanp[1]}-${nanp[2]}-${nanp[3]}`;
  const uk = /^\+44(\d{4})(\d{6})$/.exec(e164);
  if (uk) return `+44 ${uk[1]} ${uk[2]}`;
  return e164;
}

/** Who a ticket is with: the contact's name, or else their number as the server formats it. */
export function contactLabel(ticket: { contact: { name: string | null } | null; customer_number_display: string }): string {
  const name = ticket.contact?.name?.trim() ?? "";
  return name === "" ? ticket.customer_number_display : name;
}

/** Short age of a timestamp, as a queue shows it: "now", "3 min", "2 h", "5 d", "12 Mar". */
export function formatAge(iso: string, now: number = Date.now()): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return "now";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  const days = Math.floor(hours / 24);
  if (days < 7) return `${days} d`;
  return new Date(then).toLocaleDateString(undefined, { day: "numeric", month: "short" });
}

/** A message's time: "14:05" today, else "12 Mar, 14:05". */
export function formatTime(iso: string, now: number = Date.now()): string {
  const date = new Date(iso);
  const sameDay = new Date(now).toDateString() === date.toDateString();
  return sameDay
    ? date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" })
    : date.toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

/** Full date and time, for tooltips and `<time title>`. */
export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString();
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
