import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

describe("new conversation", () => {
  it("texts a new number and opens its ticket", async () => {
    const started = recordRequests("POST", "/api/conversations");
    const ticket = fixtures.ticket({ id: 88, contact: null, customer_number: "+14155550177", customer_number_display: "+1 415-555-0177" });
    server.use(
      http.post("/api/conversations", () =>
        HttpResponse.json<Schemas["ConversationStarted"]>(
          { ticket, message: fixtures.message({ ticket_id: 88, direction: "outbound", body: "Hi from Acme" }) },
          { status: 201 },
        ),
      ),
      http.get("/api/tickets/88", () => HttpResponse.json(ticket)),
      http.get("/api/tickets/88/messages", () => HttpResponse.json({ messages: [], cursor: null })),
    );
    const { user, router } = renderApp("/new");
    await user.type(await screen.findByLabelText("To"), "+1 415 555 0177");
    await user.type(screen.getByLabelText("Message"), "Hi from Acme");
    expect(await screen.findByText("1 segment")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Start conversation" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/tickets/88");
    });
    expect(started[0]?.body).toEqual({ to: "+1 415 555 0177", body: "Hi from Acme" });
  });

  it("shows the server's message when the number is refused", async () => {
    server.use(
      http.post("/api/conversations", () => errorResponse(422, "invalid_phone_number", "“12” is not a phone number.")),
    );
    const { user } = renderApp("/new");
    await user.type(await screen.findByLabelText("To"), "12");
    await user.type(screen.getByLabelText("Message"), "Hello");
    await user.click(screen.getByRole("button", { name: "Start conversation" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("“12” is not a phone number.");
  });
});
