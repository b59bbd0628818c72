// The queue as agents asked for it (issue 16): search over every status with its matches marked, which number of
// ours a ticket is on, undelivered replies marked, compact rows, and tab counts that agree with the list.
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, delay, http, recordRequests, server } from "../../../testing/server";

function serveQueue(tickets: fixtures.TicketFixture[]) {
  server.use(http.get("/api/tickets", () => HttpResponse.json({ tickets, next_cursor: null })));
}

describe("queue search", () => {
  it("searches every status by default, says so, and narrows to the tab on request", async () => {
    const requests = recordRequests("GET", "/api/tickets");
    serveQueue([
      fixtures.ticket({
        id: 5,
        status: "closed",
        contact: { id: 9, name: "Ivo Invoicer" },
        last_message: { preview: "Where is my invoice? The invoices page is empty", direction: "inbound", at: fixtures.minutesAgo(60) },
      }),
    ]);
    const { user } = renderApp("/");
    await user.type(await screen.findByLabelText("Search tickets"), "invoice");

    expect(await screen.findByText("Showing open, pending and closed tickets matching “invoice”.")).toBeInTheDocument();
    await waitFor(() => {
      const last = requests.at(-1)?.url.searchParams;
      expect(last?.get("q")).toBe("invoice");
      expect(last?.get("status")).toBe("all");
      expect(last?.has("assignee")).toBe(false);
    });
    const row = await screen.findByRole("link", { name: /Ivo Invoicer/ });
    expect(row).toHaveTextContent("Closed");

    await user.click(screen.getByRole("button", { name: "Only in All" }));
    expect(await screen.findByText("Showing open and pending tickets (All) matching “invoice”.")).toBeInTheDocument();
    await waitFor(() => {
      expect(requests.at(-1)?.url.searchParams.get("status")).toBe("open,pending");
    });
    await user.click(screen.getByRole("button", { name: "Search all tickets" }));
    expect(await screen.findByText("Showing open, pending and closed tickets matching “invoice”.")).toBeInTheDocument();
    expect(await screen.findByRole("link", { name: /Ivo Invoicer/ })).toBeInTheDocument();

    // Choosing a tab while searching narrows the search to it.
    await user.click(screen.getByRole("tab", { name: /^Mine/ }));
    expect(
      await screen.findByText("Showing open and pending tickets assigned to you (Mine) matching “invoice”."),
    ).toBeInTheDocument();
    await waitFor(() => {
      expect(requests.at(-1)?.url.searchParams.get("assignee")).toBe("me");
    });
  });

  it("marks what matched in the preview, the number and the contact name, as text", async () => {
    serveQueue([
      fixtures.ticket({
        id: 5,
        contact: { id: 9, name: "<b>Ivo</b> Invoicer" },
        last_message: { preview: "My invoice <img src=x onerror=alert(1)> and reinvoice", direction: "inbound", at: fixtures.minutesAgo(60) },
      }),
      fixtures.ticket({
        id: 6,
        contact: null,
        customer_number: "+14155550142",
        customer_number_display: "+1 415-555-0142",
        last_message: { preview: "hello", direction: "inbound", at: fixtures.minutesAgo(70) },
      }),
    ]);
    const { user } = renderApp("/");
    await user.type(await screen.findByLabelText("Search tickets"), "invoice");
    await screen.findByText(/matching “invoice”/);
    const row = await screen.findByRole("link", { name: /Invoicer/ });
    expect([...row.querySelectorAll("mark")].map((mark) => mark.textContent)).toEqual(["Invoice", "invoice"]);
    // Words match at their start, as the server's full-text search does: not inside "reinvoice".
    expect(row).toHaveTextContent("My invoice <img src=x onerror=alert(1)> and reinvoice");
    expect(row).toHaveTextContent("<b>Ivo</b> Invoicer");
    expect(row.querySelector("img, b")).toBeNull();

    await user.clear(screen.getByLabelText("Search tickets"));
    await user.type(screen.getByLabelText("Search tickets"), "5550142");
    await screen.findByText(/matching “5550142”/);
    const numberRow = await screen.findByRole("link", { name: /415-555-0142/ });
    expect(numberRow.querySelector("mark")?.textContent).toBe("555-0142");
  });
});

describe("queue rows", () => {
  it("say which number of ours a ticket is on when the team has several", async () => {
    serveQueue([fixtures.ticket({ id: 1, channel_number: "+14155550199" })]);
    renderApp("/");
    const row = await screen.findByRole("link", { name: /Carla Customer/ });
    await waitFor(() => {
      expect(row).toHaveTextContent("Texted → +1 415-555-0199");
    });
  });

  it("do not name our number when there is only one", async () => {
    server.use(http.get("/api/numbers", () => HttpResponse.json([fixtures.numbers[0]])));
    const numbers = recordRequests("GET", "/api/numbers");
    serveQueue([fixtures.ticket({ id: 1, channel_number: "+14155550100" })]);
    renderApp("/");
    const row = await screen.findByRole("link", { name: /Carla Customer/ });
    await waitFor(() => {
      expect(numbers).toHaveLength(1);
    });
    expect(row).not.toHaveTextContent("415-555-0100");
  });

  it("mark a ticket whose reply was not delivered", async () => {
    serveQueue([
      fixtures.ticket({ id: 1, contact: { id: 1, name: "Failed Fay" }, failed_delivery_at: fixtures.minutesAgo(2) }),
      fixtures.ticket({ id: 2, contact: { id: 2, name: "Fine Finn" } }),
    ]);
    renderApp("/");
    expect(await screen.findByRole("link", { name: /Failed Fay/ })).toHaveTextContent("Not delivered");
    expect(screen.getByRole("link", { name: /Fine Finn/ })).not.toHaveTextContent("Not delivered");
  });

  it("can be compact, and the choice is remembered with the agent's preferences on the server", async () => {
    serveQueue([fixtures.ticket({ id: 1 })]);
    let stored = fixtures.preferences;
    server.use(
      http.get("/api/me/preferences", () => HttpResponse.json(stored)),
      http.patch("/api/me/preferences", async ({ request }) => {
        stored = { ...stored, ...((await request.json()) as Partial<typeof stored>) };
        return HttpResponse.json(stored);
      }),
    );
    const { user, unmount } = renderApp("/");
    const toggle = await screen.findByRole("checkbox", { name: "Compact rows" });
    expect(toggle).not.toBeChecked();
    expect(screen.getByRole("tabpanel")).toHaveAttribute("data-density", "comfortable");
    await user.click(toggle);
    expect(screen.getByRole("tabpanel")).toHaveAttribute("data-density", "compact");
    await waitFor(() => {
      expect(stored.compact_rows).toBe(true);
    });
    unmount();

    renderApp("/");
    const again = await screen.findByRole("checkbox", { name: "Compact rows" });
    await waitFor(() => {
      expect(again).toBeChecked();
    });
    expect(screen.getByRole("tabpanel")).toHaveAttribute("data-density", "compact");
  });
});

describe("tab counts", () => {
  it("change in the same render as the list", async () => {
    let tickets = [fixtures.ticket({ id: 1, contact: { id: 1, name: "First" } })];
    let counts: Schemas["TicketCounts"] = { ...fixtures.counts, open: 1, pending: 0 };
    server.use(
      http.get("/api/tickets", () => HttpResponse.json({ tickets, next_cursor: null })),
      // The counts answer a little later than the list: a list shown alone would be ahead of its tabs.
      http.get("/api/tickets/counts", async () => {
        const answer = counts;
        await delay(150);
        return HttpResponse.json(answer);
      }),
    );
    renderApp("/");
    await screen.findByRole("link", { name: /First/ });
    const all = screen.getByRole("tab", { name: /^All/ });
    expect(all).toHaveTextContent("All1");

    tickets = [fixtures.ticket({ id: 2, contact: { id: 2, name: "Second" } }), ...tickets];
    counts = { ...counts, open: 2 };
    // The next poll (every 2 s) brings both.
    const second = await screen.findByRole("link", { name: /Second/ }, { timeout: 4_000 });
    expect(second).toBeInTheDocument();
    expect(all).toHaveTextContent("All2");
    expect(within(screen.getByRole("tabpanel")).getAllByRole("link")).toHaveLength(2);
  });
});
