import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

const ana = { id: 1, name: "Ana Agent" };
const bo = { id: 3, name: "Bo Builder" };

function event(overrides: Partial<Schemas["TicketEvent"]>): Schemas["TicketEvent"] {
  return { id: 1, kind: "assigned", at: "2026-12-07T10:00:00Z", actor: ana, ...overrides };
}

function serve(ticket: Partial<Schemas["Ticket"]>, events: Schemas["TicketEvent"][], messages: Schemas["MessageView"][] = []) {
  server.use(
    http.get("/api/tickets/42", () => HttpResponse.json(fixtures.ticket(ticket))),
    http.get("/api/tickets/42/messages", () => HttpResponse.json<Schemas["MessageList"]>({ messages, cursor: "c1" })),
    http.get("/api/tickets/42/events", () => HttpResponse.json<Schemas["EventList"]>({ events })),
  );
}

describe("ticket timeline", () => {
  it("shows what was done, by whom, among the messages in time order", async () => {
    serve(
      {},
      [
        event({ id: 1, kind: "assigned", at: "2026-12-07T10:01:00Z", to: bo }),
        event({ id: 2, kind: "status_changed", at: "2026-12-07T10:03:00Z", from_status: "open", to_status: "pending" }),
        event({ id: 3, kind: "auto_closed", at: "2026-12-07T10:05:00Z", actor: null, idle_hours: 168 }),
      ],
      [
        fixtures.message({ id: 1, direction: "inbound", body: "Hello", created_at: "2026-12-07T10:00:00Z" }),
        fixtures.message({ id: 2, direction: "outbound", author_id: 3, body: "On it", created_at: "2026-12-07T10:02:00Z" }),
      ],
    );
    renderApp("/tickets/42");
    const log = await screen.findByRole("log", { name: "Messages" });
    await within(log).findByText("Ana Agent assigned it to Bo Builder");
    const lines = within(log)
      .getAllByRole("listitem")
      .map((item) => item.textContent);
    const order = ["Hello", "assigned it to Bo", "On it", "from Open to Pending", "Closed automatically after 168 h"];
    const positions = order.map((text) => lines.findIndex((line) => line.includes(text)));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions).not.toContain(-1);
  });

  it("offers an undo right after closing, which puts the ticket back as it was", async () => {
    serve({ status: "pending" }, []);
    const patches = recordRequests("PATCH", "/api/tickets/42");
    let status: Schemas["TicketStatus"] = "pending";
    const current = () => fixtures.ticket({ status, closed_at: status === "closed" ? "2026-12-07T10:00:00Z" : null });
    server.use(
      http.get("/api/tickets/42", () => HttpResponse.json(current())),
      http.patch("/api/tickets/42", async ({ request }) => {
        status = ((await request.json()) as Schemas["TicketUpdate"]).status ?? status;
        return HttpResponse.json(current());
      }),
    );
    renderApp("/tickets/42");
    fireEvent.click(await screen.findByRole("button", { name: "Close ticket" }));
    const undoBar = (await screen.findByText("Ticket closed.")).closest("[role=status]");
    if (!(undoBar instanceof HTMLElement)) throw new Error("the undo is not announced");
    fireEvent.click(within(undoBar).getByRole("button", { name: "Undo" }));
    await waitFor(() => {
      expect(patches.map((request) => request.body)).toEqual([{ status: "closed" }, { status: "pending" }]);
    });
  });

  it("reopens a closed ticket, and points to the newer ticket when the customer has one", async () => {
    serve({ status: "closed", closed_at: "2026-12-07T10:00:00Z" }, []);
    server.use(
      http.patch("/api/tickets/42", () =>
        HttpResponse.json<Schemas["ErrorBody"]>(
          { error: "newer_ticket_open", message: "The conversation continues in ticket 57.", ticket_id: 57 },
          { status: 409 },
        ),
      ),
    );
    renderApp("/tickets/42");
    fireEvent.click(await screen.findByRole("button", { name: "Reopen ticket" }));
    const alert = await screen.findByRole("alert");
    expect(within(alert).getByRole("link", { name: "ticket #57" })).toHaveAttribute("href", "/tickets/57");
  });

  it("shows a plain error when a reopen fails otherwise", async () => {
    serve({ status: "closed", closed_at: "2026-12-07T10:00:00Z" }, []);
    server.use(http.patch("/api/tickets/42", () => errorResponse(404, "not_found", "There is no such ticket.")));
    renderApp("/tickets/42");
    fireEvent.click(await screen.findByRole("button", { name: "Reopen ticket" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("There is no such ticket.");
  });
});
