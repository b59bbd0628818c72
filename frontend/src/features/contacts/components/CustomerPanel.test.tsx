import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as customers from "../../../testing/customers";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

function serveTicket(id: number, overrides: Partial<Schemas["Ticket"]> = {}) {
  server.use(
    http.get(`/api/tickets/${id}`, () => HttpResponse.json(fixtures.ticket({ id, ...overrides }))),
    http.get(`/api/tickets/${id}/messages`, () =>
      HttpResponse.json<Schemas["MessageList"]>({ messages: [fixtures.message({ id: id * 10, ticket_id: id, body: `Text of ticket ${id}` })], cursor: "c1" }),
    ),
  );
}

/** The panel beside ticket 42, once Carla is loaded. */
async function openPanel(route = "/tickets/42") {
  const view = renderApp(route);
  const panel = await screen.findByRole("region", { name: "Customer" });
  await within(panel).findByText("+1 415-555-0123");
  return { ...view, panel };
}

/**
 * A server that remembers edits, as the real one does: GET by number answers `start` with the edits so far,
 * and PATCH (by id, or by number, which gives a contact-less customer the id `newId`) applies one.
 */
function serveCustomer(start: Schemas["Customer"] = customers.customer(), newId = 8) {
  let current = start;
  const edit = async (request: Request) => {
    const update = (await request.json()) as Schemas["ContactUpdate"];
    current = {
      ...current,
      id: current.id ?? newId,
      ...(update.name === undefined ? {} : { name: update.name?.trim() ? update.name.trim() : null }),
      ...(update.notes == null ? {} : { notes: update.notes }),
    };
    return HttpResponse.json(customers.contact({ id: current.id ?? newId, name: current.name, notes: current.notes }));
  };
  server.use(
    http.get("/api/contacts/by-number/:number", () => HttpResponse.json(current)),
    http.patch("/api/contacts/by-number/:number", ({ request }) => edit(request)),
    http.patch("/api/contacts/:id", ({ request }) => edit(request)),
  );
}

describe("customer panel", () => {
  it("shows who the customer is, since when, where they opted out, and their earlier tickets", async () => {
    serveTicket(42);
    const requests = recordRequests("GET", "/api/contacts/by-number/%2B14155550123");
    const { panel } = await openPanel();

    expect(requests).toHaveLength(1);
    expect(within(panel).getByText("Carla Customer")).toBeInTheDocument();
    expect(within(panel).getByText("First seen").nextElementSibling).toHaveTextContent("2026");
    expect(within(panel).getByRole("textbox", { name: "Notes" })).toHaveValue("Prefers texts after 5 pm.");
    const texting = within(panel).getByRole("region", { name: "Texting" });
    expect(within(texting).getByText(/\+1 415-555-0100/).closest("li")).toHaveTextContent("can be texted");
    expect(within(texting).getByText(/\+1 415-555-0199/).closest("li")).toHaveTextContent(/opted out since .*2026/);

    const earlier = within(panel).getByRole("region", { name: "Earlier tickets" });
    const links = within(earlier).getAllByRole("link");
    // The ticket on screen is not listed as an earlier one.
    expect(links.map((link) => link.getAttribute("href"))).toEqual(["/tickets/17", "/tickets/3"]);
    expect(links[0]).toHaveTextContent("Ticket #17");
    expect(links[0]).toHaveTextContent("Closed");
    expect(links[0]).toHaveTextContent("To +1 415-555-0199");
    expect(links[0]).toHaveTextContent(/opened .* last activity/);
    expect(links[0]).toHaveTextContent("Wrong size, can I swap it?");
  });

  it("opens an earlier ticket in place, in the same ticket view", async () => {
    serveTicket(42);
    serveTicket(17, { status: "closed", channel_number: "+14155550199" });
    const { panel, user, router } = await openPanel();
    await user.click(within(panel).getByRole("link", { name: /Ticket #17/ }));
    expect(router.state.location.pathname).toBe("/tickets/17");
    expect(await screen.findByText("Text of ticket 17")).toBeInTheDocument();
    const after = await screen.findByRole("region", { name: "Customer" });
    const earlier = await within(after).findByRole("region", { name: "Earlier tickets" });
    expect(within(earlier).getAllByRole("link").map((link) => link.getAttribute("href"))).toEqual(["/tickets/42", "/tickets/3"]);
  });

  it("renames the customer: Enter saves, Escape cancels", async () => {
    serveTicket(42);
    const patches = recordRequests("PATCH", "/api/contacts/7");
    serveCustomer();
    const { panel, user } = await openPanel();

    await user.click(within(panel).getByRole("button", { name: "Edit name" }));
    const input = within(panel).getByRole("textbox", { name: "Name" });
    expect(input).toHaveFocus();
    await user.clear(input);
    await user.type(input, "Nobody{Escape}");
    expect(within(panel).queryByRole("textbox", { name: "Name" })).not.toBeInTheDocument();
    expect(within(panel).getByText("Carla Customer")).toBeInTheDocument();
    await waitFor(() => {
      expect(within(panel).getByRole("button", { name: "Edit name" })).toHaveFocus();
    });

    await user.click(within(panel).getByRole("button", { name: "Edit name" }));
    await user.clear(within(panel).getByRole("textbox", { name: "Name" }));
    await user.type(within(panel).getByRole("textbox", { name: "Name" }), "  Carla Jones {Enter}");
    expect(await within(panel).findByText("Carla Jones")).toBeInTheDocument();
    expect(within(panel).queryByRole("textbox", { name: "Name" })).not.toBeInTheDocument();
    expect(patches.map((request) => request.body)).toEqual([{ name: "Carla Jones" }]);
  });

  it("shows the server's refusal of a name and keeps what was typed", async () => {
    serveTicket(42);
    server.use(http.patch("/api/contacts/7", () => errorResponse(422, "invalid_name", "the name may have at most 100 characters")));
    const { panel, user } = await openPanel();
    await user.click(within(panel).getByRole("button", { name: "Edit name" }));
    await user.type(within(panel).getByRole("textbox", { name: "Name" }), "!{Enter}");
    expect(await within(panel).findByRole("alert")).toHaveTextContent("the name may have at most 100 characters");
    expect(within(panel).getByRole("textbox", { name: "Name" })).toHaveValue("Carla Customer!");
  });

  it("saves the notes, says so, and shows the server's refusal", async () => {
    serveTicket(42);
    const patches = recordRequests("PATCH", "/api/contacts/7");
    serveCustomer();
    const { panel, user } = await openPanel();
    const notes = within(panel).getByRole("textbox", { name: "Notes" });
    const save = within(panel).getByRole("button", { name: "Save notes" });
    expect(save).toBeDisabled();

    await user.type(notes, " Size M.");
    expect(within(panel).getByText("Unsaved changes")).toBeInTheDocument();
    await user.click(save);
    expect(await within(panel).findByText("Notes saved.")).toBeInTheDocument();
    expect(patches.map((request) => request.body)).toEqual([{ notes: "Prefers texts after 5 pm. Size M." }]);
    expect(notes).toHaveValue("Prefers texts after 5 pm. Size M.");

    server.use(http.patch("/api/contacts/7", () => errorResponse(422, "invalid_notes", "the notes may have at most 5000 characters")));
    await user.type(notes, "!");
    await user.click(save);
    expect(await within(panel).findByRole("alert")).toHaveTextContent("the notes may have at most 5000 characters");
    expect(notes).toHaveValue("Prefers texts after 5 pm. Size M.!");
    expect(within(panel).queryByText("Notes saved.")).not.toBeInTheDocument();
  });

  it("works for a customer without a contact: the first edit goes by number", async () => {
    serveTicket(42, { contact: null });
    serveCustomer(customers.customer({ id: null, name: null, notes: "", created_at: null, updated_at: null }));
    const byNumber = recordRequests("PATCH", "/api/contacts/by-number/%2B14155550123");
    const byId = recordRequests("PATCH", "/api/contacts/8");
    const { panel, user } = await openPanel();
    expect(within(panel).getByText("No name yet")).toBeInTheDocument();
    await user.click(within(panel).getByRole("button", { name: "Add name" }));
    await user.type(within(panel).getByRole("textbox", { name: "Name" }), "Dana Li{Enter}");
    expect(await within(panel).findByText("Dana Li")).toBeInTheDocument();
    expect(byNumber.map((request) => request.body)).toEqual([{ name: "Dana Li" }]);
    // Now that they have a contact, edits go to it.
    await user.type(within(panel).getByRole("textbox", { name: "Notes" }), "VIP");
    await user.click(within(panel).getByRole("button", { name: "Save notes" }));
    expect(await within(panel).findByText("Notes saved.")).toBeInTheDocument();
    expect(byId.map((request) => request.body)).toEqual([{ notes: "VIP" }]);
  });

  it("folds behind a Customer button (shown on narrow screens)", async () => {
    serveTicket(42);
    const { panel, user } = await openPanel();
    const toggle = within(panel).getByRole("button", { name: "Customer" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    const body = document.getElementById(toggle.getAttribute("aria-controls") ?? "");
    expect(body).toContainElement(within(panel).getByRole("textbox", { name: "Notes" }));
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
  });

  it("says when the server knows nothing of the customer", async () => {
    serveTicket(42);
    server.use(http.get("/api/contacts/by-number/:number", () => errorResponse(404, "not_found", "There is no such contact.")));
    renderApp("/tickets/42");
    const panel = await screen.findByRole("region", { name: "Customer" });
    expect(await within(panel).findByText("Nothing is known about this customer yet.")).toBeInTheDocument();
  });
});
