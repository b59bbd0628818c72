// The one way the app talks to the server: an openapi-fetch client typed by the generated schema, which sends the
// session's CSRF token on state-changing requests, plus `unwrap`, which turns any failure into an ApiError.
//
// Requests use the browser's default HTTP cache mode on purpose: the server answers polled GETs with a strong ETag
// and `Cache-Control: private, no-cache`, so the browser revalidates with If-None-Match and a 304 costs nothing.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "../api/schema";

export type Schemas = components["schemas"];
export type ErrorBody = Schemas["ErrorBody"];

/**
 * A failed API call: the server's error code and sentence (`{"error", "message"}`), the request field it is about
 * (`field`, when the server names one) and the HTTP status.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The server's machine-readable code, e.g. `recipient_opted_out`. */
    readonly code: string,
    message: string,
    /** The request field the error is about, e.g. `confirmation_template`. */
    readonly field?: string,
    /** The ticket the error points to, e.g. the newer ticket a reopen ran into (`newer_ticket_open`). */
    readonly ticketId: number | null = null,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Remember the CSRF token of the signed-in session (from SessionInfo); `null` after signing out. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Adds `X-CSRF-Token` to every state-changing request made with the session cookie. */
const csrfMiddleware: Middleware = {
  onRequest({ request }) {
    if (csrfToken !== null && !SAFE_METHODS.has(request.method)) {
      request.headers.set("X-CSRF-Token", csrfToken);
    }
    return request;
  },
};

/** The API client, typed by the schema generated from the server's OpenAPI document. */
export const api = createClient<paths>({
  // Absolute, so that requests also work where `Request` needs one (tests run in Node).
  baseUrl: typeof location === "undefined" ? "" : location.origin,
  credentials: "same-origin",
  // Looked up on every call rather than captured once, so test doubles installed later are used.
  fetch: (request) => globalThis.fetch(request),
});
api.use(csrfMiddleware);

function isErrorBody(value: unknown): value is ErrorBody {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<string, unknown>).error === "string" &&
    typeof (value as Record<string, unknown>).message === "string"
  );
}

/** The ApiError for a non-2xx answer whose body was `body`. */
export function toApiError(status: number, body: unknown): ApiError {
  if (isErrorBody(body)) return new ApiError(status, body.error, body.message, body.field ?? undefined, body.ticket_id ?? null);
  if (status === 429) return new ApiError(status, "too_many_requests", "Too many attempts. Wait a moment and try again.");
  if (status >= 500) return new ApiError(status, "server_error", `The server had a problem (HTTP ${status}). Try again.`);
  return new ApiError(status, `http_${status}`, `The request failed (HTTP ${status}).`);
}

interface ClientResult<D> {
  data?: D;
  error?: unknown;
  response: Response;
}

/**
 * Awaits an openapi-fetch call and returns its data, or throws an ApiError (also when the network failed).
 *
 *     const ticket = await unwrap(api.GET("/api/tickets/{id}", { params: { path: { id } } }));
 */
export async function unwrap<D>(call: Promise<ClientResult<D>>): Promise<D> {
  let result: ClientResult<D>;
  try {
    result = await call;
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "network_error", "Could not reach the server. Check your connection and try again.");
  }
  const { data, error, response } = result;
  if (!response.ok || error !== undefined) throw toApiError(response.status, error);
  // openapi-fetch leaves `data` undefined for empty (204) answers, which the schema types as no content.
  return data as D;
}

/** The server's sentence about request field `field`, if `error` is about that field: to show next to it. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message : undefined;
}

/** The sentence to show a person for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong.";
}
