import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

function serveQueue(tickets: Schemas["Ticket"][]) {
  server.use(http.get("/api/tickets", () => HttpResponse.json<Schemas["TicketList"]>({ tickets, next_cursor: null })));
}

const refund = { id: 2, name: "refund", colour: "#d97706" };

describe("tags, priority and bulk actions", { timeout: 20_000 }, () => {
  it("shows tag chips and a priority badge on queue rows, and filters and sorts the queue", async () => {
    serveQueue([
      fixtures.ticket({ id: 1, contact: { id: 7, name: "Carla Customer" }, tags: [refund], priority: "urgent" }),
      fixtures.ticket({ id: 2, contact: { id: 8, name: "Dan Doe" } }),
    ]);
    const requests = recordRequests("GET", "/api/tickets");
    const { user } = renderApp("/");
    const carla = await screen.findByRole("link", { name: /Carla Customer/ }, { timeout: 5000 });
    expect(carla).toHaveTextContent("refund");
    expect(within(carla).getByText("Urgent")).toBeInTheDocument();
    const dan = screen.getByRole("link", { name: /Dan Doe/ });
    expect(dan).not.toHaveTextContent("Normal");

    await user.selectOptions(screen.getByLabelText("Sort"), "waiting");
    await user.selectOptions(screen.getByLabelText("Tag"), "refund");
    await user.selectOptions(screen.getByLabelText("Priority"), "urgent");
    await waitFor(() => {
      const last = requests.at(-1)?.url.searchParams;
      expect([last?.get("sort"), last?.get("tag"), last?.get("priority")]).toEqual(["waiting", "refund", "urgent"]);
    });
  });

  it("selects rows by click, shift-click and x, and reports the tickets a bulk change failed on", async () => {
    serveQueue([1, 2, 3, 4].map((id) => fixtures.ticket({ id, contact: { id, name: `Customer ${String(id)}` } })));
    const bulk = recordRequests("POST", "/api/tickets/bulk");
    server.use(
      http.post("/api/tickets/bulk", () =>
        HttpResponse.json<Schemas["BulkResult"]>({
          results: [
            { ticket_id: 1, ok: true },
            { ticket_id: 2, ok: true },
            { ticket_id: 4, ok: false, error: "newer_ticket_open", message: "The customer's conversation continues in ticket 9." },
          ],
        }),
      ),
    );
    const { user } = renderApp("/");
    await user.click(await screen.findByRole("checkbox", { name: "Select ticket #1" }, { timeout: 5000 }));
    await user.keyboard("{Shift>}");
    await user.click(screen.getByRole("checkbox", { name: "Select ticket #2" }));
    await user.keyboard("{/Shift}");
    // x toggles the row with the keyboard focus.
    screen.getByRole("link", { name: /Customer 4/ }).focus();
    await user.keyboard("x");
    const toolbar = screen.getByRole("region", { name: "Bulk actions" });
    expect(toolbar).toHaveTextContent("3 selected");
    expect(screen.getByRole("checkbox", { name: "Select ticket #3" })).not.toBeChecked();

    await user.selectOptions(within(toolbar).getByLabelText("Status"), "closed");
    await waitFor(() => {
      expect(bulk[0]?.body).toEqual({ ticket_ids: [1, 2, 4], change: { status: "closed" } });
    });
    expect(await within(toolbar).findByText(/#4: The customer's conversation continues in ticket 9/)).toBeInTheDocument();
    expect(within(toolbar).getByRole("status")).toHaveTextContent("2 changed, 1 not changed.");
  });

  it("selects a range with shift-click", async () => {
    serveQueue([1, 2, 3, 4].map((id) => fixtures.ticket({ id, contact: { id, name: `Customer ${String(id)}` } })));
    const { user } = renderApp("/");
    await user.click(await screen.findByRole("checkbox", { name: "Select ticket #1" }, { timeout: 5000 }));
    await user.keyboard("{Shift>}");
    await user.click(screen.getByRole("checkbox", { name: "Select ticket #3" }));
    await user.keyboard("{/Shift}");
    for (const id of [1, 2, 3]) expect(screen.getByRole("checkbox", { name: `Select ticket #${String(id)}` })).toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Select ticket #4" })).not.toBeChecked();
    expect(screen.getByRole("region", { name: "Bulk actions" })).toHaveTextContent("3 selected");
  });

  it("sets a ticket's priority and tags, and says when an agent may not create a tag", async () => {
    let current = fixtures.ticket({ id: 42, tags: [refund] });
    server.use(
      http.get("/api/tickets/42", () => HttpResponse.json(current)),
      http.get("/api/tickets/42/messages", () => HttpResponse.json<Schemas["MessageList"]>({ messages: [], cursor: null })),
      http.patch("/api/tickets/42", async ({ request }) => {
        const update = (await request.json()) as Schemas["TicketUpdate"];
        if (update.tags?.includes("vip")) return errorResponse(422, "unknown_tag", "There is no tag named \"vip\".");
        const names = update.tags ?? current.tags.map((tag) => tag.name);
        current = {
          ...current,
          priority: update.priority ?? current.priority,
          tags: fixtures.tags.filter((tag) => names.includes(tag.name)),
        };
        return HttpResponse.json(current);
      }),
    );
    const patches = recordRequests("PATCH", "/api/tickets/42");
    const { user } = renderApp("/tickets/42");
    const head = await waitFor(
      () => {
        const found = document.querySelector<HTMLElement>(".ticket-head");
        if (!found) throw new Error("the ticket is not shown yet");
        return found;
      },
      { timeout: 5000 },
    );
    const priority = await within(head).findByLabelText("Priority", {}, { timeout: 5000 });
    await user.selectOptions(priority, "high");
    await waitFor(() => {
      expect(patches[0]?.body).toEqual({ priority: "high" });
    });

    await user.type(screen.getByLabelText("Add tag"), "billing");
    await user.click(screen.getByRole("button", { name: "Add" }));
    await waitFor(() => {
      expect(patches[1]?.body).toEqual({ tags: ["refund", "billing"] });
    });
    await user.click(await screen.findByRole("button", { name: "Remove tag refund" }));
    await waitFor(() => {
      expect(patches[2]?.body).toEqual({ tags: ["billing"] });
    });

    await user.type(screen.getByLabelText("Add tag"), "vip");
    await user.click(screen.getByRole("button", { name: "Add" }));
    expect(await screen.findByText(/There is no tag “vip”. Ask an admin to add it./)).toBeInTheDocument();
    expect(patches).toHaveLength(3);
  });
});
