import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, http, recordRequests, server } from "../../../testing/server";

function serveQueue(tickets: Schemas["Ticket"][], nextCursor: string | null = null) {
  server.use(http.get("/api/tickets", () => HttpResponse.json<Schemas["TicketList"]>({ tickets, next_cursor: nextCursor })));
}

describe("queue", () => {
  it("shows each ticket's contact name (or formatted number), last message, age, assignee and unread dot", async () => {
    serveQueue([
      fixtures.ticket({
        id: 1,
        contact: { id: 7, name: "Carla Customer" },
        unread: true,
        assignee_id: 3,
        last_message: { preview: "Is my order on its way?", direction: "inbound", at: fixtures.minutesAgo(3) },
      }),
      fixtures.ticket({
        id: 2,
        contact: null,
        customer_number: "+14155550199",
        customer_number_display: "+1 415-555-0199",
        unread: false,
        assignee_id: null,
        last_message: { preview: "We'll call you back", direction: "outbound", at: fixtures.minutesAgo(125) },
      }),
      fixtures.ticket({ id: 3, contact: { id: 8, name: "Mine Myself" }, assignee_id: 1, status: "pending" }),
    ]);
    renderApp("/");
    const carla = await screen.findByRole("link", { name: /Carla Customer/ });
    expect(carla).toHaveAttribute("href", "/tickets/1");
    expect(carla).toHaveTextContent("Is my order on its way?");
    expect(carla).toHaveTextContent("3 min");
    expect(carla).toHaveTextContent("Bo Builder");
    expect(within(carla).getByText("Unread:")).toBeInTheDocument();
    expect(carla.querySelector(".unread-dot")).not.toBeNull();

    const unnamed = screen.getByRole("link", { name: /\+1 415-555-0199/ });
    expect(unnamed).toHaveTextContent("You: We'll call you back");
    expect(unnamed).toHaveTextContent("2 h");
    expect(unnamed).toHaveTextContent("Unassigned");
    expect(within(unnamed).queryByText("Unread:")).not.toBeInTheDocument();
    expect(unnamed.querySelector(".unread-dot")).toBeNull();

    const mine = screen.getByRole("link", { name: /Mine Myself/ });
    expect(mine).toHaveTextContent("You");
    expect(mine).toHaveTextContent("Pending");
  });

  it("has tabs with live counts that filter the list", async () => {
    const requests = recordRequests("GET", "/api/tickets");
    const { user } = renderApp("/");
    await waitFor(() => {
      expect(screen.getAllByRole("tab").map((tab) => tab.textContent)).toEqual(["Mine2", "Unassigned5", "All10", "Closed"]);
    });
    const all = screen.getByRole("tab", { name: /^All/ });
    expect(all).toHaveAttribute("aria-selected", "true");
    await waitFor(() => {
      expect(requests.at(-1)?.url.searchParams.get("status")).toBe("open,pending");
    });

    await user.click(screen.getByRole("tab", { name: /^Unassigned/ }));
    expect(screen.getByRole("tab", { name: /^Unassigned/ })).toHaveAttribute("aria-selected", "true");
    expect(all).toHaveAttribute("aria-selected", "false");
    await waitFor(() => {
      expect(requests.at(-1)?.url.searchParams.get("assignee")).toBe("none");
    });

    await user.click(screen.getByRole("tab", { name: /^Mine/ }));
    await waitFor(() => {
      expect(requests.at(-1)?.url.searchParams.get("assignee")).toBe("me");
    });

    await user.keyboard("{ArrowRight}{ArrowRight}{ArrowRight}");
    expect(screen.getByRole("tab", { name: "Closed" })).toHaveFocus();
    expect(screen.getByRole("tab", { name: "Closed" })).toHaveAttribute("aria-selected", "true");
    await waitFor(() => {
      expect(requests.at(-1)?.url.searchParams.get("status")).toBe("closed");
    });
    expect(await screen.findByText("No closed tickets yet.")).toBeInTheDocument();
  });

  it("searches as you type", async () => {
    const requests = recordRequests("GET", "/api/tickets");
    const { user } = renderApp("/");
    await user.type(await screen.findByLabelText("Search tickets"), "refund");
    await waitFor(() => {
      expect(requests.at(-1)?.url.searchParams.get("q")).toBe("refund");
    });
    expect(await screen.findByText("No tickets match “refund”.")).toBeInTheDocument();
  });

  it("renders one page and loads the next with its cursor", async () => {
    const requests = recordRequests("GET", "/api/tickets");
    server.use(
      http.get("/api/tickets", ({ request }) => {
        const cursor = new URL(request.url).searchParams.get("cursor");
        return cursor === "page-2"
          ? HttpResponse.json({ tickets: [fixtures.ticket({ id: 2, contact: { id: 2, name: "Second Page" } })], next_cursor: null })
          : HttpResponse.json({ tickets: [fixtures.ticket({ id: 1, contact: { id: 1, name: "First Page" } })], next_cursor: "page-2" });
      }),
    );
    const { user } = renderApp("/");
    expect(await screen.findByRole("link", { name: /First Page/ })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: /Second Page/ })).not.toBeInTheDocument();
    expect(requests[0]?.url.searchParams.get("limit")).toBe("50");

    await user.click(screen.getByRole("button", { name: "Load more" }));
    expect(await screen.findByRole("link", { name: /Second Page/ })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    expect(requests.some((request) => request.url.searchParams.get("cursor") === "page-2")).toBe(true);
  });

  it("j and k open the next and previous ticket, but not while typing in search", async () => {
    serveQueue([
      fixtures.ticket({ id: 1, contact: { id: 1, name: "First" } }),
      fixtures.ticket({ id: 2, contact: { id: 2, name: "Second" } }),
    ]);
    server.use(
      ...[1, 2].flatMap((id) => [
        http.get(`/api/tickets/${id}`, () => HttpResponse.json(fixtures.ticket({ id }))),
        http.get(`/api/tickets/${id}/messages`, () => HttpResponse.json({ messages: [], cursor: null })),
      ]),
    );
    const { user, router } = renderApp("/");
    await screen.findByRole("link", { name: /First/ });
    await user.keyboard("j");
    expect(router.state.location.pathname).toBe("/tickets/1");
    expect(screen.getByRole("link", { name: /First/ })).toHaveFocus();
    await user.keyboard("j");
    expect(router.state.location.pathname).toBe("/tickets/2");
    await user.keyboard("k");
    expect(router.state.location.pathname).toBe("/tickets/1");

    await user.type(screen.getByLabelText("Search tickets"), "jk");
    expect(router.state.location.pathname).toBe("/tickets/1");
  });
});
