import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

const UNKNOWN_SENDER =
  "+14155550188 is not one of our numbers. Choose one of ours (GET /api/numbers), or ask an admin to add it under Settings → Our numbers.";

describe("new conversation", () => {
  it("texts a new number from the default sender and opens its ticket", async () => {
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
    const from = await screen.findByRole("combobox", { name: "From" });
    expect(from).toHaveValue("+14155550100");
    expect(from).toHaveAccessibleDescription("Our number the text goes out from.");
    await user.type(screen.getByLabelText("To"), "+1 415 555 0177");
    await user.type(screen.getByLabelText("Message"), "Hi from Acme");
    expect(await screen.findByText("1 segment")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Start conversation" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/tickets/88");
    });
    expect(started[0]?.body).toEqual({ from: "+14155550100", to: "+1 415 555 0177", body: "Hi from Acme" });
  });

  it("lists our numbers as people write them, the default first and marked, and sends from the one chosen", async () => {
    const started = recordRequests("POST", "/api/conversations");
    server.use(http.post("/api/conversations", () => errorResponse(409, "recipient_opted_out", "They opted out.")));
    const { user } = renderApp("/new");
    const from = await screen.findByRole("combobox", { name: "From" });
    const options = within(from).getAllByRole("option");
    expect(options.map((option) => [option.textContent, (option as HTMLOptionElement).value])).toEqual([
      ["+1 415-555-0100 (default)", "+14155550100"],
      ["+1 415-555-0199", "+14155550199"],
    ]);
    await user.selectOptions(from, "+1 415-555-0199");
    await user.type(screen.getByLabelText("To"), "+14155550177");
    await user.type(screen.getByLabelText("Message"), "Hello");
    await user.click(screen.getByRole("button", { name: "Start conversation" }));
    await screen.findByRole("alert");
    expect(started[0]?.body).toEqual({ from: "+14155550199", to: "+14155550177", body: "Hello" });
  });

  it("asks for a choice when no number is the default", async () => {
    server.use(http.get("/api/numbers", () => HttpResponse.json(fixtures.numbers.map((number) => ({ ...number, default: false })))));
    const { user } = renderApp("/new");
    const from = await screen.findByRole("combobox", { name: "From" });
    expect(from).toHaveValue("");
    expect(within(from).getByRole("option", { name: "Choose one of our numbers" })).toBeDisabled();
    await user.type(screen.getByLabelText("To"), "+14155550177");
    await user.type(screen.getByLabelText("Message"), "Hello");
    expect(screen.getByRole("button", { name: "Start conversation" })).toBeDisabled();
    await user.selectOptions(from, "+1 415-555-0199");
    expect(screen.getByRole("button", { name: "Start conversation" })).toBeEnabled();
  });

  it("refuses a sender that is no longer ours in the dashboard's words, not the API's", async () => {
    server.use(http.post("/api/conversations", () => errorResponse(422, "unknown_sender_number", UNKNOWN_SENDER)));
    const { user } = renderApp("/new");
    await user.type(await screen.findByLabelText("To"), "+14155550177");
    await user.type(screen.getByLabelText("Message"), "Hello");
    await user.click(screen.getByRole("button", { name: "Start conversation" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent(
      "+14155550100 is not one of our numbers any more. Choose another one, or ask an admin to add it in Settings.",
    );
    expect(alert).not.toHaveTextContent("/api/");
    // The draft stays for another try.
    expect(screen.getByLabelText("Message")).toHaveValue("Hello");
  });

  it("never shows the API's wording about a missing sender", async () => {
    server.use(
      http.post("/api/conversations", () =>
        errorResponse(422, "no_sender_number", 'Say which number of ours to use ("from"), or set default_sender_number.'),
      ),
    );
    const { user } = renderApp("/new");
    await user.type(await screen.findByLabelText("To"), "+14155550177");
    await user.type(screen.getByLabelText("Message"), "Hello");
    await user.click(screen.getByRole("button", { name: "Start conversation" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("Choose which of our numbers to use.");
    expect(alert).not.toHaveTextContent("default_sender_number");
  });

  it("preselects our only number when none is the default", async () => {
    const started = recordRequests("POST", "/api/conversations");
    server.use(
      http.get("/api/numbers", () =>
        HttpResponse.json<Schemas["NumberOfOurs"][]>([{ number: "+14155550199", display: "+1 415-555-0199", default: false }]),
      ),
      http.post("/api/conversations", () => errorResponse(409, "recipient_opted_out", "They opted out.")),
    );
    const { user } = renderApp("/new");
    const from = await screen.findByRole("combobox", { name: "From" });
    expect(from).toHaveValue("+14155550199");
    expect(within(from).queryByRole("option", { name: "Choose one of our numbers" })).not.toBeInTheDocument();
    await user.type(screen.getByLabelText("To"), "+14155550177");
    await user.type(screen.getByLabelText("Message"), "Hello");
    await user.click(screen.getByRole("button", { name: "Start conversation" }));
    await screen.findByRole("alert");
    expect(started[0]?.body).toEqual({ from: "+14155550199", to: "+14155550177", body: "Hello" });
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

  it("says plainly when there is no number of ours to send from", async () => {
    server.use(http.get("/api/numbers", () => HttpResponse.json<Schemas["NumberOfOurs"][]>([])));
    renderApp("/new");
    expect(await screen.findByText("No number of ours to send from yet")).toBeInTheDocument();
    expect(screen.getByText(/An admin can add one in Settings/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Start conversation" })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Message")).not.toBeInTheDocument();
  });

  it("links admins to Settings when there is no number of ours", async () => {
    server.use(
      http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
      http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
      http.get("/api/numbers", () => HttpResponse.json<Schemas["NumberOfOurs"][]>([])),
    );
    renderApp("/new");
    const said = await screen.findByText(/An admin can add one in/);
    expect(within(said).getByRole("link", { name: "Settings" })).toHaveAttribute("href", "/admin/settings");
  });
});
