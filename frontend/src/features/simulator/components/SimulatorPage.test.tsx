import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

function asAdmin(simulator: boolean) {
  server.use(
    http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
    http.get("/api/settings", () => HttpResponse.json(fixtures.settings({ sms_simulator_enabled: simulator }))),
  );
}

describe("SMS simulator", () => {
  it("sends a fake inbound text and links to its ticket", async () => {
    asAdmin(true);
    const sent = recordRequests("POST", "/api/simulator/messages");
    server.use(
      http.post("/api/simulator/messages", () =>
        HttpResponse.json({ ticket_id: 77, message_id: 501, opened_ticket: true }, { status: 201 }),
      ),
    );
    const { user } = renderApp("/simulator");
    await user.type(await screen.findByLabelText("From"), "+14155550111");
    await user.type(screen.getByLabelText("Message"), "Hi, <b>is</b> anyone there?");
    await user.click(screen.getByRole("button", { name: "Send text" }));
    expect(await screen.findByRole("link", { name: "open ticket #77" })).toHaveAttribute("href", "/tickets/77");
    expect(screen.getByText(/opened a new ticket/)).toBeInTheDocument();
    expect(sent[0]?.body).toEqual({ from: "+14155550111", to: "+14155550100", body: "Hi, <b>is</b> anyone there?" });
    expect(sent[0]?.headers.get("X-CSRF-Token")).toBe("csrf-2");
  });

  it("texts the number of ours chosen in the To picker, the default preselected", async () => {
    asAdmin(true);
    const sent = recordRequests("POST", "/api/simulator/messages");
    server.use(
      http.post("/api/simulator/messages", () =>
        HttpResponse.json({ ticket_id: 78, message_id: 502, opened_ticket: false }, { status: 201 }),
      ),
    );
    const { user } = renderApp("/simulator");
    const to = await screen.findByRole("combobox", { name: "To" });
    expect(to).toHaveValue("+14155550100");
    expect(within(to).getAllByRole("option").map((option) => option.textContent)).toEqual([
      "+1 415-555-0100 (default)",
      "+1 415-555-0199",
    ]);
    await user.selectOptions(to, "+1 415-555-0199");
    await user.type(screen.getByLabelText("From"), "+14155550111");
    await user.type(screen.getByLabelText("Message"), "Hello again");
    await user.click(screen.getByRole("button", { name: "Send text" }));
    expect(await screen.findByText(/in an open ticket/)).toBeInTheDocument();
    expect(sent[0]?.body).toEqual({ from: "+14155550111", to: "+14155550199", body: "Hello again" });
  });

  it("says so instead of a form when there is no number of ours to text", async () => {
    asAdmin(true);
    server.use(http.get("/api/numbers", () => HttpResponse.json([])));
    renderApp("/simulator");
    expect(await screen.findByText("No number of ours for customers to text yet")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Send text" })).not.toBeInTheDocument();
  });

  it("shows the server's refusal in the dashboard's words, not the API's", async () => {
    asAdmin(true);
    server.use(
      http.post("/api/simulator/messages", () =>
        errorResponse(403, "simulator_disabled", "The SMS simulator is off; an admin can turn it on in the settings (sms_simulator_enabled)."),
      ),
    );
    const { user } = renderApp("/simulator");
    await user.type(await screen.findByLabelText("From"), "+14155550111");
    await user.type(screen.getByLabelText("Message"), "Hello");
    await user.click(screen.getByRole("button", { name: "Send text" }));
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The simulator has just been turned off. An admin can turn it on again in Settings.");
    expect(alert).not.toHaveTextContent("sms_simulator_enabled");
  });

  it("preselects our only number when none is the default", async () => {
    asAdmin(true);
    server.use(
      http.get("/api/numbers", () => HttpResponse.json([{ number: "+14155550199", display: "+1 415-555-0199", default: false }])),
    );
    renderApp("/simulator");
    const to = await screen.findByRole("combobox", { name: "To" });
    expect(to).toHaveValue("+14155550199");
    expect(within(to).queryByRole("option", { name: "Choose one of our numbers" })).not.toBeInTheDocument();
  });

  it("says it is off when the setting is off", async () => {
    asAdmin(false);
    renderApp("/simulator");
    expect(await screen.findByText(/The simulator is off/)).toBeInTheDocument();
    expect(screen.queryByLabelText("From")).not.toBeInTheDocument();
  });
});
