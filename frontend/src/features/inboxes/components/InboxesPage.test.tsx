import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { describeEvent } from "../../tickets/components/TimelineEntry";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

const [main] = fixtures.inboxes as [Schemas["Inbox"]];
const sales: Schemas["Inbox"] = {
  ...main,
  number: "+14155550177",
  display: "+1 415-555-0177",
  name: "Sales",
  assignment_policy: "round_robin",
  members: [3],
};

function asAdmin(inboxes: Schemas["Inbox"][]) {
  server.use(
    http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
    http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
    http.get("/api/inboxes", () => HttpResponse.json(inboxes)),
  );
}

describe("inboxes page", () => {
  it("lists each inbox with its number, members and policy", async () => {
    asAdmin([main, sales]);
    renderApp("/admin/inboxes");
    const rows = await within(await screen.findByRole("region", { name: "Inboxes" })).findAllByRole("listitem");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("+1 415-555-0100 · Everyone (no members)");
    expect(rows[0]).toHaveTextContent("Manual");
    expect(rows[1]).toHaveTextContent("Sales+1 415-555-0177 · Bo Builder");
    expect(rows[1]).toHaveTextContent("Round robin");
  });

  it("creates an inbox with members and round robin", async () => {
    asAdmin([]);
    const posted = recordRequests("POST", "/api/inboxes");
    server.use(http.post("/api/inboxes", () => HttpResponse.json(sales, { status: 201 })));
    const { user } = renderApp("/admin/inboxes");
    const form = await screen.findByRole("form", { name: "Add an inbox" });
    await user.type(within(form).getByRole("textbox", { name: "Number of ours" }), "+14155550177");
    await user.type(within(form).getByRole("textbox", { name: "Name" }), " Sales ");
    await user.selectOptions(within(form).getByRole("combobox", { name: "Assignment" }), "round_robin");
    await user.click(await within(form).findByRole("checkbox", { name: "Bo Builder" }));
    await user.click(within(form).getByRole("button", { name: "Add inbox" }));

    expect(await screen.findByRole("status")).toHaveTextContent("Added Sales.");
    expect(posted[0]?.body).toEqual({ number: "+14155550177", name: "Sales", members: [3], assignment_policy: "round_robin" });
  });

  it("renames an inbox, replaces its members, and shows why one cannot be deleted", async () => {
    asAdmin([sales]);
    const patched = recordRequests("PATCH", "/api/inboxes/%2B14155550177");
    server.use(
      http.patch("/api/inboxes/:number", () => HttpResponse.json({ ...sales, name: "Sales team", members: [1, 3] })),
      http.delete("/api/inboxes/:number", () =>
        errorResponse(409, "inbox_has_tickets", "the inbox's number has tickets; remove its members instead"),
      ),
    );
    const { user } = renderApp("/admin/inboxes");
    await user.click(await screen.findByRole("button", { name: "Edit Sales" }));
    const form = screen.getByRole("form", { name: "Edit Sales" });
    const name = within(form).getByRole("textbox", { name: "Name" });
    await user.clear(name);
    await user.type(name, "Sales team");
    await user.click(within(form).getByRole("checkbox", { name: "Ana Agent" }));
    await user.click(within(form).getByRole("button", { name: "Save" }));
    await waitFor(() => {
      expect(screen.queryByRole("form", { name: "Edit Sales" })).not.toBeInTheDocument();
    });
    expect(patched[0]?.body).toEqual({ name: "Sales team", members: [3, 1], assignment_policy: "round_robin" });

    await user.click(screen.getByRole("button", { name: "Delete Sales" }));
    await user.click(screen.getByRole("button", { name: "Yes, delete Sales" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("remove its members instead");
  });

  it("shows the server's validation message", async () => {
    asAdmin([]);
    server.use(http.post("/api/inboxes", () => errorResponse(422, "invalid_phone_number", "a phone number needs its country code")));
    const { user } = renderApp("/admin/inboxes");
    const form = await screen.findByRole("form", { name: "Add an inbox" });
    await user.type(within(form).getByRole("textbox", { name: "Number of ours" }), "555");
    await user.type(within(form).getByRole("textbox", { name: "Name" }), "X");
    await user.click(within(form).getByRole("button", { name: "Add inbox" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("needs its country code");
  });
});

describe("availability switch", () => {
  it("sets the agent away and back online from the header, by keyboard", async () => {
    let away = false;
    const sent = recordRequests("PATCH", "/api/me/availability");
    server.use(
      http.get("/api/me", () => HttpResponse.json(fixtures.session({ ...fixtures.agent, away }))),
      http.patch("/api/me/availability", async ({ request }) => {
        const body = (await request.json()) as Schemas["AvailabilityBody"];
        away = body.availability === "away";
        return HttpResponse.json(body);
      }),
    );
    const { user } = renderApp("/");
    const toggle = await screen.findByRole("switch", { name: "Online" });
    expect(toggle).toBeChecked();
    toggle.focus();
    await user.keyboard(" ");
    await screen.findByRole("switch", { name: "Online", checked: false });
    expect(sent[0]?.body).toEqual({ availability: "away" });
    await user.keyboard("{Enter}");
    await screen.findByRole("switch", { name: "Online", checked: true });
  });
});

describe("queue by inbox", () => {
  it("shows each row's inbox and filters the list by inbox", async () => {
    const lists = recordRequests("GET", "/api/tickets");
    server.use(
      http.get("/api/inboxes", () => HttpResponse.json([main, sales])),
      http.get("/api/numbers", () =>
        HttpResponse.json([...fixtures.numbers, { number: "+14155550177", display: "+1 415-555-0177", default: false }]),
      ),
      http.get("/api/tickets", () =>
        HttpResponse.json<Schemas["TicketList"]>({
          tickets: [fixtures.ticket({ id: 1, channel_number: "+14155550177", inbox_name: "Sales" })],
          next_cursor: null,
        }),
      ),
    );
    const { user } = renderApp("/");
    const row = await screen.findByRole("link", { name: /Carla Customer/ });
    await waitFor(() => {
      expect(row).toHaveTextContent("Texted → Sales");
    });
    await user.selectOptions(await screen.findByRole("combobox", { name: "Inbox" }), "+14155550177");
    await waitFor(() => {
      expect(lists.some((request) => request.url.searchParams.get("inbox") === "+14155550177")).toBe(true);
    });
  });
});

describe("timeline", () => {
  it("says when round robin assigned a ticket", () => {
    const event: Schemas["TicketEvent"] = {
      id: 1,
      kind: "assigned",
      at: "2026-12-07T10:00:00Z",
      actor: null,
      to: { id: 3, name: "Bo Builder" },
      rule: "round_robin",
    };
    expect(describeEvent(event)).toBe("smsdesk assigned it to Bo Builder (round robin)");
  });
});
