// Example customers (the customer panel, the Contacts page), typed by the generated schema.
import type { Schemas } from "../lib/api-client";
import { minutesAgo } from "./fixtures";

export function customerTicket(overrides: Partial<Schemas["CustomerTicket"]> = {}): Schemas["CustomerTicket"] {
  return {
    id: 42,
    status: "open",
    channel_number: "+14155550100",
    created_at: minutesAgo(30),
    last_message_at: minutesAgo(3),
    preview: "Is my order on its way?",
    ...overrides,
  };
}

/** Carla (contact 7, the default ticket's customer): tickets on two of our numbers, opted out of one. */
export function customer(overrides: Partial<Schemas["Customer"]> = {}): Schemas["Customer"] {
  return {
    id: 7,
    phone_number: "+14155550123",
    phone_number_display: "+1 415-555-0123",
    name: "Carla Customer",
    notes: "Prefers texts after 5 pm.",
    first_seen_at: "2026-03-02T10:00:00Z",
    opted_out: true,
    created_at: "2026-03-02T10:00:00Z",
    updated_at: minutesAgo(60),
    numbers: [
      { channel_number: "+14155550100", opted_out_at: null },
      { channel_number: "+14155550199", opted_out_at: "2026-04-01T09:30:00Z" },
    ],
    tickets: [
      customerTicket(),
      customerTicket({
        id: 17,
        status: "closed",
        channel_number: "+14155550199",
        created_at: "2026-03-30T08:00:00Z",
        last_message_at: "2026-04-01T09:30:00Z",
        preview: "Wrong size, can I swap it?",
      }),
      customerTicket({
        id: 3,
        status: "closed",
        created_at: "2026-03-02T10:00:00Z",
        last_message_at: "2026-03-02T11:00:00Z",
        preview: "Do you ship to Canada?",
      }),
    ],
    more_tickets: false,
    ...overrides,
  };
}

export function contact(overrides: Partial<Schemas["Contact"]> = {}): Schemas["Contact"] {
  return {
    id: 7,
    phone_number: "+14155550123",
    name: "Carla Customer",
    notes: "Prefers texts after 5 pm.",
    opted_out: true,
    created_at: "2026-03-02T10:00:00Z",
    updated_at: minutesAgo(60),
    ...overrides,
  };
}
