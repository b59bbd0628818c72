// Example API objects for component tests, typed by the generated schema: override what a test is about.
import type { Schemas } from "../lib/api-client";

export const NOW = Date.now();
export const minutesAgo = (minutes: number) => new Date(NOW - minutes * 60_000).toISOString();

export const agent: Schemas["User"] = {
  id: 1,
  name: "Ana Agent",
  email: "ana@example.com",
  role: "agent",
  active: true,
  created_at: minutesAgo(60 * 24 * 30),
  away: false,
};

export const admin: Schemas["User"] = {
  id: 2,
  name: "Ada Admin",
  email: "ada@example.com",
  role: "admin",
  active: true,
  created_at: minutesAgo(60 * 24 * 60),
  away: false,
};

export const team: Schemas["TeamMember"][] = [
  { id: agent.id, name: agent.name, role: "agent", active: true },
  { id: admin.id, name: admin.name, role: "admin", active: true },
  { id: 3, name: "Bo Builder", role: "agent", active: true },
];

export function session(user: Schemas["User"] = agent): Schemas["SessionInfo"] {
  return { user, csrf_token: `csrf-${user.id}` };
}

export const tags: Schemas["Tag"][] = [
  { id: 1, name: "billing", colour: "#2563eb" },
  { id: 2, name: "refund", colour: "#d97706" },
];

/** A ticket as the API sends it. */
export type TicketFixture = Schemas["Ticket"];

export function ticket(overrides: Partial<TicketFixture> = {}): TicketFixture {
  return {
    id: 42,
    customer_number: "+14155550123",
    customer_number_display: "+1 415-555-0123",
    channel_number: "+14155550100",
    status: "open",
    created_at: minutesAgo(30),
    updated_at: minutesAgo(3),
    opted_out: false,
    message_count: 2,
    unread: false,
    failed_delivery_at: null,
    assignee_id: null,
    closed_at: null,
    contact: { id: 7, name: "Carla Customer" },
    last_message: { preview: "Is my order on its way?", direction: "inbound", at: minutesAgo(3) },
    priority: "normal",
    tags: [],
    waiting_since: minutesAgo(30),
    inbox_name: null,
    ...overrides,
  };
}

let nextMessageId = 100;

export function message(overrides: Partial<Schemas["MessageView"]> = {}): Schemas["MessageView"] {
  const id = overrides.id ?? nextMessageId++;
  const outbound = overrides.direction === "outbound";
  return {
    id,
    ticket_id: 42,
    direction: "inbound",
    body: "Hello",
    internal: false,
    author_id: null,
    created_at: minutesAgo(10),
    updated_at: minutesAgo(10),
    delivery_status: outbound && !overrides.internal ? "delivered" : null,
    error_code: null,
    error_message: null,
    media_urls: [],
    provider_message_id: null,
    encoding: outbound ? "GSM-7" : null,
    segments: outbound ? 1 : null,
    delivery_attempts: null,
    next_attempt_at: null,
    delivery_error: null,
    ...overrides,
  };
}

/** Our numbers (GET /api/numbers): the default sender first. */
export const numbers: Schemas["NumberOfOurs"][] = [
  { number: "+14155550100", display: "+1 415-555-0100", default: true },
  { number: "+14155550199", display: "+1 415-555-0199", default: false },
];

export const counts: Schemas["TicketCounts"] = {
  mine: 2,
  unassigned: 5,
  open: 9,
  pending: 1,
  unread_mine: 0,
  unread_unassigned: 0,
};

export const preferences: Schemas["Preferences"] = {
  notifications: false,
  notify_new_unassigned: true,
  notify_assigned_texts: true,
  notify_failed_deliveries: true,
  sound: false,
  compact_rows: false,
};

export function settings(overrides: Partial<Schemas["AppSettings"]> = {}): Schemas["AppSettings"] {
  return {
    business_name: "Acme",
    confirmation_template: "Thanks! Your ticket is #{ticket_id}.",
    auto_close_after_hours: 72,
    default_sender_number: "+14155550100",
    sender_numbers: [],
    twilio_verify_signatures: true,
    messagebird_verify_signatures: true,
    sms_simulator_enabled: false,
    help_reply_template: "{business_name}: we answer texts here. Reply STOP to opt out.",
    business_hours: null,
    out_of_office_template: "We are closed until {next_open}. Ticket {ticket_id}.",
    agents_can_create_tags: false,
    ...overrides,
  };
}

const GSM_BASIC = /^[A-Za-z0-9 \n\r@£$¥èéùìòÇØøÅå_ÆæßÉ!"#%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà]$/;
const TYPOGRAPHIC: Record<string, string> = { "‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..." };

/** A stand-in for the server's segment counter (same rules for the cases the tests use). */
export function segmentCount(body: string): Schemas["SegmentCount"] {
  const characters = Array.from(body);
  const nonGsm = [...new Set(characters.filter((character) => !GSM_BASIC.test(character)))];
  const ucs2 = nonGsm.length > 0;
  const units = ucs2 ? body.length : characters.length;
  const [single, multi] = ucs2 ? [70, 67] : [160, 153];
  const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi);
  const perSegment = segments > 1 ? multi : single;
  const alternative = characters.map((character) => TYPOGRAPHIC[character] ?? character).join("");
  const alternativeIsGsm = Array.from(alternative).every((character) => GSM_BASIC.test(character));
  return {
    characters: characters.length,
    encoding: ucs2 ? "UCS-2" : "GSM-7",
    units,
    segments,
    units_left_in_segment: segments === 0 ? single : segments * perSegment - units,
    non_gsm_characters: nonGsm,
    gsm_alternative: ucs2 && alternativeIsGsm ? alternative : null,
  };
}

/** The inboxes an agent sees: the main number, shared by everyone. */
export const inboxes: Schemas["Inbox"][] = [
  {
    number: "+14155550100",
    display: "+1 415-555-0100",
    name: "+1 415-555-0100",
    assignment_policy: "manual",
    members: [],
    created_at: minutesAgo(60 * 24 * 30),
    updated_at: minutesAgo(60 * 24 * 30),
  },
];
