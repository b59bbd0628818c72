// The network for component tests: MSW intercepts fetch and answers like the smsdesk API. Each test starts from
// these defaults (an agent signed in, an empty queue) and overrides what it is about with `server.use(...)`.
import { delay, http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import type { Schemas } from "../lib/api-client";
import * as customers from "./customers";
import * as fixtures from "./fixtures";

export { delay, http, HttpResponse };

export function errorResponse(status: number, error: string, message: string) {
  return HttpResponse.json<Schemas["ErrorBody"]>({ error, message }, { status });
}

export const defaultHandlers = [
  http.get("/api/me", () => HttpResponse.json(fixtures.session())),
  http.get("/api/team", () => HttpResponse.json(fixtures.team)),
  http.get("/api/tickets/counts", () => HttpResponse.json(fixtures.counts)),
  http.get("/api/tickets", () => HttpResponse.json<Schemas["TicketList"]>({ tickets: [], next_cursor: null })),
  http.get("/api/numbers", () => HttpResponse.json(fixtures.numbers)),
  http.get("/api/inboxes", () => HttpResponse.json(fixtures.inboxes)),
  http.get("/api/canned-replies", () => HttpResponse.json<Schemas["CannedReplyView"][]>([])),
  http.get("/api/tags", () => HttpResponse.json<Schemas["TagList"]>({ tags: fixtures.tags, can_create: false })),
  http.post("/api/tickets/:id/read", () => new HttpResponse(null, { status: 204 })),
  http.get("/api/tickets/:id/events", () => HttpResponse.json<Schemas["EventList"]>({ events: [] })),
  http.get("/api/me/preferences", () => HttpResponse.json(fixtures.preferences)),
  http.get("/api/me/notifications", () =>
    HttpResponse.json<Schemas["NotificationList"]>({ notifications: [], now: "2026-12-07T10:00:00Z" }),
  ),
  // The customer panel beside every ticket.
  http.get("/api/contacts/by-number/:number", () => HttpResponse.json(customers.customer())),
  http.post("/api/sms/segments", async ({ request }) => {
    const { body } = (await request.json()) as Schemas["Draft"];
    return HttpResponse.json(fixtures.segmentCount(body));
  }),
];

export const server = setupServer(...defaultHandlers);

/** Records the requests matching `method` and `path` (any query), for asserting what the app sent. */
export function recordRequests(method: string, path: string) {
  const requests: { url: URL; body: unknown; headers: Headers }[] = [];
  server.events.on("request:start", ({ request }) => {
    const url = new URL(request.url);
    if (request.method !== method || url.pathname !== path) return;
    const entry = { url, body: undefined as unknown, headers: request.headers };
    requests.push(entry);
    if (method !== "GET") {
      void request
        .clone()
        .text()
        .then((text) => {
          entry.body = text ? (JSON.parse(text) as unknown) : undefined;
        });
    }
  });
  return requests;
}
