// Delivery problems in the thread (issue 16): an undelivered reply is marked in its bubble and by a banner with
// Retry, and a queued text says why it waits and when the next try is.
import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, http, recordRequests, server } from "../../../testing/server";

function serveThread(messages: Schemas["MessageView"][]) {
  server.use(
    http.get("/api/tickets/42", () => HttpResponse.json(fixtures.ticket())),
    http.get("/api/tickets/42/messages", () => HttpResponse.json<Schemas["MessageList"]>({ messages, cursor: "c1" })),
  );
}

const failed = (id: number, overrides: Partial<Schemas["MessageView"]> = {}) =>
  fixtures.message({
    id,
    direction: "outbound",
    author_id: 1,
    body: `Reply ${id}`,
    delivery_status: "failed",
    error_code: "30007",
    error_message: "The carrier filtered the message as spam.",
    updated_at: fixtures.minutesAgo(5),
    ...overrides,
  });

describe("delivery problems", () => {
  it("mark a failed reply's bubble with an icon and words, and sum it up in a banner whose Retry sends it again", async () => {
    serveThread([fixtures.message({ id: 1, body: "Hi" }), failed(9), fixtures.message({ id: 10, direction: "outbound", author_id: 1, body: "Fine one" })]);
    const retries = recordRequests("POST", "/api/messages/9/retry");
    server.use(
      http.post("/api/messages/9/retry", () =>
        HttpResponse.json(failed(9, { delivery_status: "queued", error_code: null, error_message: null, updated_at: fixtures.minutesAgo(0) })),
      ),
    );
    const { user } = renderApp("/tickets/42");
    const log = await screen.findByRole("log");
    const bubble = within(log).getByText("Reply 9").closest("li");
    if (!bubble) throw new Error("no bubble");
    expect(bubble).toHaveTextContent("Not sent");
    expect(bubble.querySelector("svg")).not.toBeNull();
    expect(within(log).getByText("Fine one").closest("li")).not.toHaveTextContent("Not sent");

    const banner = screen.getByRole("region", { name: "Delivery problem" });
    expect(banner).toHaveTextContent("A reply did not reach the customer. The carrier filtered the message as spam. (error 30007)");
    // The banner sits above the thread, not inside its live log.
    expect(log).not.toContainElement(banner);

    await user.click(within(banner).getByRole("button", { name: "Retry sending" }));
    await waitFor(() => {
      expect(screen.queryByRole("region", { name: "Delivery problem" })).not.toBeInTheDocument();
    });
    expect(retries).toHaveLength(1);
    expect(within(log).getByText("Reply 9").closest("li")).toHaveTextContent("Queued");
    expect(within(log).getByText("Reply 9").closest("li")).not.toHaveTextContent("Not sent");
  });

  it("count several undelivered replies and retry them all", async () => {
    serveThread([failed(9), failed(11, { delivery_status: "undelivered", error_code: "30003", error_message: "The phone is unreachable." })]);
    const first = recordRequests("POST", "/api/messages/9/retry");
    const second = recordRequests("POST", "/api/messages/11/retry");
    server.use(
      http.post("/api/messages/:id/retry", ({ params }) =>
        HttpResponse.json(failed(Number(params.id), { delivery_status: "queued", updated_at: fixtures.minutesAgo(0) })),
      ),
    );
    const { user } = renderApp("/tickets/42");
    const banner = await screen.findByRole("region", { name: "Delivery problem" });
    expect(banner).toHaveTextContent("2 replies did not reach the customer. Latest: The phone is unreachable. (error 30003)");
    expect(within(screen.getByRole("log")).getByText("Reply 11").closest("li")).toHaveTextContent("Not delivered");
    await user.click(within(banner).getByRole("button", { name: "Retry all" }));
    await waitFor(() => {
      expect(screen.queryByRole("region", { name: "Delivery problem" })).not.toBeInTheDocument();
    });
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
  });

  it("say why a queued text waits and when the next try is", async () => {
    serveThread([
      fixtures.message({
        id: 9,
        direction: "outbound",
        author_id: 1,
        body: "Waiting",
        delivery_status: "queued",
        delivery_attempts: 3,
        next_attempt_at: new Date(Date.now() + 8_500).toISOString(),
        delivery_error: "gateway unreachable",
      }),
      fixtures.message({ id: 10, direction: "outbound", author_id: 1, body: "Just queued", delivery_status: "queued" }),
    ]);
    renderApp("/tickets/42");
    const log = await screen.findByRole("log");
    expect(within(log).getByText("Waiting").closest("li")).toHaveTextContent(
      /Queued · gateway unreachable, next try in [89] s/,
    );
    expect(within(log).getByText("Just queued").closest("li")).toHaveTextContent(/Queued$/);
    expect(screen.queryByRole("region", { name: "Delivery problem" })).not.toBeInTheDocument();
  });

  it("open a thread laid out in the page (phones) at its newest message", async () => {
    const scrollTo = vi.spyOn(window, "scrollTo");
    serveThread([fixtures.message({ id: 1 }), fixtures.message({ id: 2, direction: "outbound", author_id: 1 })]);
    renderApp("/tickets/42");
    await screen.findByRole("log");
    // No style sheet in jsdom: the thread does not scroll by itself, as on a phone, so the page is scrolled.
    expect(scrollTo).toHaveBeenCalledWith(expect.objectContaining({ top: expect.any(Number) as number }));
  });
});
