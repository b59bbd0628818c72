// Callers of smsdesk's REST API from Node: with an API token, or with a user's browser session (cookie and
// CSRF token), for the tests' fixtures and the benchmark's seeding.

/** A ticket as `GET /api/tickets` lists it (the fields the tests and the benchmark read). */
export interface Ticket {
  id: number;
  customer_number: string;
  customer_number_display: string;
  /** The number of ours the conversation goes over. */
  channel_number: string;
  status: "open" | "pending" | "closed";
  assignee_id: number | null;
  contact: { id: number; name: string | null } | null;
}

/** One of our numbers, as `GET /api/numbers` lists them (the default sender first). */
export interface NumberOfOurs {
  number: string;
  display: string;
  default: boolean;
}

/** Calls the API; returns the parsed JSON (or null for 204), or throws with the status and the answer. */
export type ApiCall = <T = unknown>(method: string, path: string, body?: unknown) => Promise<T>;

function caller(baseUrl: string, headers: Record<string, string>, who: string): ApiCall {
  return async <T,>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}${who} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  };
}

/** The API as the holder of an API token (`Authorization: Bearer …`). */
export function tokenApi(baseUrl: string, token: string): ApiCall {
  return caller(baseUrl, { Authorization: `Bearer ${token}` }, "");
}

/** Signs `user` in through the API (as the browser does: session cookie and CSRF token); the API as them. */
export async function sessionApi(baseUrl: string, user: { email: string; password: string }): Promise<ApiCall> {
  const response = await fetch(`${baseUrl}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: user.email, password: user.password }),
  });
  if (!response.ok) throw new Error(`signing in ${user.email} answered ${response.status}: ${await response.text()}`);
  const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const { csrf_token: csrf } = (await response.json()) as { csrf_token: string };
  return caller(baseUrl, { Cookie: cookie, "X-CSRF-Token": csrf }, ` as ${user.email}`);
}
