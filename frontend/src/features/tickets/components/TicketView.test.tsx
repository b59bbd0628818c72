import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

function serveTicket(messages: Schemas["MessageView"][], overrides: Partial<Schemas["Ticket"]> = {}) {
  server.use(
    http.get("/api/tickets/42", () => HttpResponse.json(fixtures.ticket(overrides))),
    http.get("/api/tickets/42/messages", () => HttpResponse.json<Schemas["MessageList"]>({ messages, cursor: "c1" })),
  );
}

describe("ticket thread", () => {
  it("shows customer texts, our replies and internal notes, and marks the notes unmistakably", async () => {
    serveTicket([
      fixtures.message({ id: 1, direction: "inbound", body: "Where is my order?" }),
      fixtures.message({ id: 2, direction: "outbound", author_id: 1, body: "Checking now!" }),
      fixtures.message({ id: 3, direction: "outbound", author_id: 3, internal: true, body: "Warehouse says Tuesday" }),
    ]);
    renderApp("/tickets/42");
    const log = await screen.findByRole("log", { name: "Messages" });
    expect(log).toHaveAttribute("aria-live", "polite");

    const [inbound, reply, note] = within(log).getAllByRole("article");
    if (!inbound || !reply || !note) throw new Error("expected three messages");
    expect(inbound).toHaveTextContent("Carla Customer wrote: Where is my order?");
    expect(reply).toHaveTextContent("Ana Agent sent: Checking now!");
    expect(reply).not.toHaveTextContent("Internal note");
    expect(note).toHaveTextContent("Note by Bo Builder:");
    expect(note).toHaveTextContent("Internal note · not sent to the customer");
    expect(note).toHaveTextContent("Warehouse says Tuesday");
    // A note has no delivery state: it never goes to the customer.
    expect(note.closest("li")).not.toHaveTextContent(/Delivered|Queued|Sent/);
    expect(note.closest("li")).toHaveClass("message-note");
    expect(inbound.closest("li")).toHaveClass("message-inbound");
    expect(reply.closest("li")).toHaveClass("message-outbound");
  });

  it("shows each outgoing text's delivery state", async () => {
    serveTicket([
      fixtures.message({ id: 1, direction: "outbound", author_id: 1, body: "one", delivery_status: "queued" }),
      fixtures.message({ id: 2, direction: "outbound", author_id: 1, body: "two", delivery_status: "sent" }),
      fixtures.message({ id: 3, direction: "outbound", author_id: 1, body: "three", delivery_status: "delivered" }),
    ]);
    renderApp("/tickets/42");
    const log = await screen.findByRole("log");
    const stateOf = (body: string) => within(log).getByText(body).closest("li");
    expect(stateOf("one")).toHaveTextContent("Queued");
    expect(stateOf("two")).toHaveTextContent("Sent");
    expect(stateOf("three")).toHaveTextContent("Delivered");
    expect(within(log).queryByRole("button", { name: "Retry" })).not.toBeInTheDocument();
  });

  it("says why a text failed and sends it again with Retry", async () => {
    serveTicket([
      fixtures.message({
        id: 9,
        direction: "outbound",
        author_id: 1,
        body: "Your code is 1234",
        delivery_status: "failed",
        error_code: "30007",
        error_message: "The carrier blocked the message as spam",
        updated_at: fixtures.minutesAgo(5),
      }),
    ]);
    const retries = recordRequests("POST", "/api/messages/9/retry");
    server.use(
      http.post("/api/messages/9/retry", () =>
        HttpResponse.json(
          fixtures.message({
            id: 9,
            direction: "outbound",
            author_id: 1,
            body: "Your code is 1234",
            delivery_status: "queued",
            updated_at: fixtures.minutesAgo(0),
          }),
        ),
      ),
    );
    const { user } = renderApp("/tickets/42");
    expect(await screen.findByText("Failed: The carrier blocked the message as spam (error 30007)")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByText("Queued")).toBeInTheDocument();
    expect(screen.queryByText(/^Failed:/)).not.toBeInTheDocument();
    expect(retries).toHaveLength(1);
  });

  it("shows the server's reason when a retry is refused", async () => {
    serveTicket([
      fixtures.message({ id: 9, direction: "outbound", author_id: 1, body: "x", delivery_status: "failed", error_message: "Unreachable" }),
    ]);
    server.use(http.post("/api/messages/9/retry", () => errorResponse(409, "recipient_opted_out", "The customer has opted out.")));
    const { user } = renderApp("/tickets/42");
    await user.click(await screen.findByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The customer has opted out.");
  });

  it("shows markup and script in a text as plain characters", async () => {
    const body = `<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold</b>`;
    serveTicket([fixtures.message({ id: 1, direction: "inbound", body })]);
    renderApp("/tickets/42");
    const log = await screen.findByRole("log");
    expect(within(log).getByText(body)).toBeInTheDocument();
    expect(log.querySelector("img, script, b")).toBeNull();
  });

  it("marks the ticket read when it is opened unread", async () => {
    serveTicket([fixtures.message({ id: 1 })], { unread: true });
    const reads = recordRequests("POST", "/api/tickets/42/read");
    renderApp("/tickets/42");
    await waitFor(() => {
      expect(reads).toHaveLength(1);
    });
  });

  it("does not mark an already read ticket again", async () => {
    serveTicket([fixtures.message({ id: 1 })], { unread: false });
    const reads = recordRequests("POST", "/api/tickets/42/read");
    renderApp("/tickets/42");
    await screen.findByRole("log");
    expect(reads).toHaveLength(0);
  });

  it("assigns to me, sets pending and closes, and then offers to reopen instead of a reply box", async () => {
    serveTicket([fixtures.message({ id: 1 })]);
    const patches = recordRequests("PATCH", "/api/tickets/42");
    let current = fixtures.ticket();
    server.use(
      http.patch("/api/tickets/42", async ({ request }) => {
        const update = (await request.json()) as Schemas["TicketUpdate"];
        current = {
          ...current,
          ...(update.assignee_id !== undefined ? { assignee_id: update.assignee_id } : {}),
          ...(update.status ? { status: update.status } : {}),
          ...(update.status === "closed" ? { closed_at: new Date().toISOString() } : {}),
        };
        return HttpResponse.json(current);
      }),
      http.get("/api/tickets/42", () => HttpResponse.json(current)),
    );
    const { user } = renderApp("/tickets/42");
    await user.click(await screen.findByRole("button", { name: "Assign to me" }));
    await waitFor(() => {
      expect(screen.getByLabelText("Assignee")).toHaveValue("1");
    });
    expect(screen.queryByRole("button", { name: "Assign to me" })).not.toBeInTheDocument();

    await user.selectOptions(screen.getByLabelText("Assignee"), "Bo Builder");
    await waitFor(() => {
      expect(screen.getByLabelText("Assignee")).toHaveValue("3");
    });

    await user.click(screen.getByRole("button", { name: "Set pending" }));
    expect(await screen.findByRole("button", { name: "Set open" })).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Close ticket" }));
    expect(await screen.findByText(/This ticket is closed. Reopen it to reply here/)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Reopen ticket" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Set open" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Reply")).not.toBeInTheDocument();
    expect(patches.map((request) => request.body)).toEqual([
      { assignee_id: 1 },
      { assignee_id: 3 },
      { status: "pending" },
      { status: "closed" },
    ]);
  });

  it("renames the contact", async () => {
    serveTicket([fixtures.message({ id: 1 })]);
    let current = fixtures.ticket({ contact: { id: 7, name: null } });
    server.use(
      http.get("/api/tickets/42", () => HttpResponse.json(current)),
      http.patch("/api/contacts/7", async ({ request }) => {
        const update = (await request.json()) as Schemas["ContactUpdate"];
        current = { ...current, contact: { id: 7, name: update.name ?? null } };
        return HttpResponse.json<Schemas["Contact"]>({
          id: 7,
          name: update.name ?? null,
          notes: "",
          opted_out: false,
          phone_number: "+14155550123",
          created_at: fixtures.minutesAgo(100),
          updated_at: fixtures.minutesAgo(0),
        });
      }),
    );
    const { user } = renderApp("/tickets/42");
    expect(await screen.findByRole("heading", { name: "+1 415-555-0123" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Add name" }));
    await user.type(screen.getByLabelText("Contact name"), "Carla Jones{Enter}");
    expect(await screen.findByRole("heading", { name: "Carla Jones" })).toBeInTheDocument();
    expect(screen.queryByLabelText("Contact name")).not.toBeInTheDocument();
  });

  it("r puts the keyboard in the reply box and Escape takes it out", async () => {
    serveTicket([fixtures.message({ id: 1 })]);
    const { user } = renderApp("/tickets/42");
    const reply = await screen.findByLabelText("Reply");
    await user.keyboard("r");
    expect(reply).toHaveFocus();
    expect(reply).toHaveValue("");
    await user.keyboard("{Escape}");
    expect(reply).not.toHaveFocus();
    // Typing "r" in a field types it.
    await user.click(reply);
    await user.keyboard("r");
    expect(reply).toHaveValue("r");
  });
});
