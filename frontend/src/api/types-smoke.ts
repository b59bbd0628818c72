// Compile-time checks that the generated API types (src/api/schema.d.ts) exist and have the shapes the app
// relies on. Nothing here runs: `npm run typecheck` fails if the generated file stops type-checking or a
// schema loses what these lines use.
import type { components, operations, paths } from "./schema";

type Schemas = components["schemas"];

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;

export type Ticket = Schemas["Ticket"];
export type Message = Schemas["MessageView"];
export type ErrorBody = Schemas["ErrorBody"];
export type TicketList = paths["/api/tickets"]["get"]["responses"][200]["content"]["application/json"];
export type TicketQuery = NonNullable<operations["list_tickets"]["parameters"]["query"]>;
export type NewMessage = paths["/api/tickets/{id}/messages"]["post"]["requestBody"]["content"]["application/json"];

export type SmokeAssertions = [
  Assert<Equal<TicketList, Schemas["TicketList"]>>,
  Assert<Equal<TicketList["tickets"][number], Ticket>>,
  Assert<Equal<Ticket["status"], "open" | "pending" | "closed">>,
  Assert<Equal<Ticket["id"], number>>,
  Assert<Equal<Message["direction"], "inbound" | "outbound">>,
  Assert<Equal<ErrorBody, { error: string; message: string; ticket_id?: number | null; field?: string | null }>>,
  Assert<Equal<paths["/api/tickets/{id}"]["get"]["parameters"]["path"], { id: number }>>,
  Assert<Equal<NewMessage["body"], string>>,
];

// Values of these types, so the object shapes are checked as a client would write them.
export const exampleQuery = { status: "open,pending", limit: 50 } satisfies TicketQuery;
export const exampleTicket = {
  id: 42,
  customer_number: "+14155550123",
  customer_number_display: "+1 415-555-0123",
  channel_number: "+14155550100",
  status: "open",
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
  opted_out: false,
  message_count: 1,
  unread: true,
  assignee_id: null,
  closed_at: null,
  contact: { id: 7, name: null },
  last_message: { preview: "Hello", direction: "inbound", at: "2025-01-01T00:00:00Z" },
  failed_delivery_at: null,
  priority: "normal",
  tags: [],
  waiting_since: null,
  inbox_name: null,
} satisfies Ticket;
