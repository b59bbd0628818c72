import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as customers from "../../../testing/customers";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

const CONTACTS = [
  customers.contact(),
  customers.contact({ id: 8, name: null, phone_number: "+14155550124", notes: "", opted_out: false }),
  customers.contact({ id: 9, name: "Priya Natarajan", phone_number: "+14155550125", notes: "Wholesale account", opted_out: false }),
];

/** GET /api/contacts as the server answers it: `q` matches name, number or notes; pages of `limit` after `cursor`. */
function serveContacts(all: Schemas["Contact"][] = CONTACTS) {
  server.use(
    http.get("/api/contacts", ({ request }) => {
      const url = new URL(request.url);
      const q = (url.searchParams.get("q") ?? "").toLowerCase();
      const cursor = Number(url.searchParams.get("cursor") ?? 0);
      const limit = Number(url.searchParams.get("limit") ?? 50);
      const matching = all.filter(
        (c) => c.id > cursor && [c.name ?? "", c.phone_number, c.notes].some((text) => text.toLowerCase().includes(q)),
      );
      const page = matching.slice(0, limit);
      const next = matching.length > limit ? (page.at(-1)?.id ?? null) : null;
      return HttpResponse.json<Schemas["ContactList"]>({ contacts: page, next_cursor: next });
    }),
  );
}

describe("contacts page", () => {
  it("is in the navigation for agents", async () => {
    serveContacts();
    const { user, router } = renderApp("/");
    const nav = await screen.findByRole("navigation", { name: "Main" });
    await user.click(within(nav).getByRole("link", { name: "Contacts" }));
    expect(router.state.location.pathname).toBe("/contacts");
    expect(await screen.findByRole("heading", { level: 1, name: "Contacts" })).toBeInTheDocument();
  });

  it("lists contacts with their number, notes and opt-out, and searches name, number and notes", async () => {
    serveContacts();
    const requests = recordRequests("GET", "/api/contacts");
    const { user, router } = renderApp("/contacts");
    const carla = await screen.findByRole("link", { name: /Carla Customer/ });
    expect(carla).toHaveAttribute("href", "/contacts/7");
    expect(carla).toHaveTextContent("+1 415-555-0123");
    expect(carla).toHaveTextContent("Prefers texts after 5 pm.");
    expect(carla).toHaveTextContent("Opted out");
    // A contact without a name is listed by number.
    expect(screen.getByRole("link", { name: /^\+1 415-555-0124/ })).toHaveAttribute("href", "/contacts/8");
    expect(screen.getByRole("status")).toHaveTextContent("3 contacts.");

    await user.type(screen.getByRole("searchbox", { name: "Search contacts" }), "wholesale");
    expect(await screen.findByText("1 contact match “wholesale”.")).toBeInTheDocument();
    expect(screen.getAllByRole("link", { name: /Priya|Carla|\+1 415/ }).map((link) => link.getAttribute("href"))).toEqual(["/contacts/9"]);
    expect(requests.at(-1)?.url.searchParams.get("q")).toBe("wholesale");
    expect(router.state.location.search).toBe("?q=wholesale");

    await user.clear(screen.getByRole("searchbox", { name: "Search contacts" }));
    await user.type(screen.getByRole("searchbox", { name: "Search contacts" }), "nobody");
    expect(await screen.findByText("No contact matches “nobody”.")).toBeInTheDocument();
  });

  it("starts from the search in the address and loads more a page at a time", async () => {
    const many = Array.from({ length: 60 }, (_, i) =>
      customers.contact({ id: i + 1, name: `Customer ${i + 1}`, phone_number: `+1415555${String(1000 + i)}`, notes: "" }),
    );
    serveContacts(many);
    const requests = recordRequests("GET", "/api/contacts");
    const { user } = renderApp("/contacts?q=customer");
    expect(await screen.findByText("50 contacts so far match “customer”.")).toBeInTheDocument();
    expect(screen.getByRole("searchbox", { name: "Search contacts" })).toHaveValue("customer");
    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByText("60 contacts match “customer”.")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(requests.at(-1)?.url.searchParams.get("cursor")).toBe("50");
  });

  it("shows the server's error with a way to try again", async () => {
    server.use(http.get("/api/contacts", () => errorResponse(500, "internal_error", "The server had a problem.")));
    renderApp("/contacts");
    expect(await screen.findByRole("alert")).toHaveTextContent("The server had a problem.");
    expect(screen.getByRole("button", { name: "Try again" })).toBeInTheDocument();
  });

  it("opens a contact: the panel's content with all their tickets, and edits", async () => {
    serveContacts();
    let current = customers.customer();
    server.use(
      http.get("/api/contacts/7", () => HttpResponse.json(current)),
      http.patch("/api/contacts/7", async ({ request }) => {
        const update = (await request.json()) as Schemas["ContactUpdate"];
        current = { ...current, name: update.name ?? null };
        return HttpResponse.json(customers.contact({ name: current.name }));
      }),
      http.get("/api/tickets/42", () => HttpResponse.json(fixtures.ticket())),
      http.get("/api/tickets/42/messages", () => HttpResponse.json<Schemas["MessageList"]>({ messages: [], cursor: "c1" })),
    );
    const { user, router } = renderApp("/contacts");
    await user.click(await screen.findByRole("link", { name: /Carla Customer/ }));
    expect(router.state.location.pathname).toBe("/contacts/7");
    expect(await screen.findByRole("heading", { level: 1, name: "Carla Customer" })).toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Notes" })).toHaveValue("Prefers texts after 5 pm.");
    expect(screen.getByRole("region", { name: "Texting" })).toHaveTextContent(/opted out since/);
    const tickets = screen.getByRole("region", { name: "Tickets" });
    expect(within(tickets).getAllByRole("link").map((link) => link.getAttribute("href"))).toEqual([
      "/tickets/42",
      "/tickets/17",
      "/tickets/3",
    ]);

    await user.click(screen.getByRole("button", { name: "Edit name" }));
    await user.clear(screen.getByRole("textbox", { name: "Name" }));
    await user.type(screen.getByRole("textbox", { name: "Name" }), "Carla Jones{Enter}");
    expect(await screen.findByRole("heading", { level: 1, name: "Carla Jones" })).toBeInTheDocument();

    await user.click(within(tickets).getByRole("link", { name: /Ticket #42/ }));
    expect(router.state.location.pathname).toBe("/tickets/42");
  });

  it("says so for an unknown contact", async () => {
    server.use(http.get("/api/contacts/99", () => errorResponse(404, "not_found", "There is no such contact.")));
    renderApp("/contacts/99");
    expect(await screen.findByText("There is no contact #99.")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "All contacts" })).toHaveAttribute("href", "/contacts");
  });
});
