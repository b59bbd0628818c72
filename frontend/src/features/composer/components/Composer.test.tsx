import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import * as fixtures from "../../../testing/fixtures";
import { renderWithQueryClient } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";
import type { Schemas } from "../../../lib/api-client";
import { Composer } from "./Composer";

let ticketIds = 1000;

/** A composer for a fresh ticket (drafts are remembered per ticket, so each test gets its own). */
function renderComposer(overrides: Partial<Schemas["Ticket"]> = {}) {
  const ticket = fixtures.ticket({ id: ticketIds++, ...overrides });
  const view = renderWithQueryClient(<Composer ticket={ticket} />);
  return { ...view, ticket };
}

function acceptMessages(ticketId: number) {
  const posted = recordRequests("POST", `/api/tickets/${ticketId}/messages`);
  server.use(
    http.post(`/api/tickets/${ticketId}/messages`, async ({ request }) => {
      const body = (await request.json()) as Schemas["NewMessage"];
      return HttpResponse.json(
        fixtures.message({ ticket_id: ticketId, direction: "outbound", body: body.body, internal: body.internal ?? false }),
        { status: 201 },
      );
    }),
  );
  return posted;
}

describe("Composer", () => {
  it("shows the segment count and encoding as the server counts them, asking once typing pauses", async () => {
    const counted = recordRequests("POST", "/api/sms/segments");
    const { user } = renderComposer();
    await user.type(screen.getByLabelText("Reply"), "Hello there");
    expect(await screen.findByText("1 segment")).toBeInTheDocument();
    expect(screen.getByText("GSM-7")).toBeInTheDocument();
    expect(screen.getByText("11 characters")).toBeInTheDocument();
    // Debounced: one request for the whole burst of typing, not one per key.
    expect(counted.map((request) => request.body)).toEqual([{ body: "Hello there" }]);

    await user.click(screen.getByLabelText("Reply"));
    await user.paste(" ".concat("x".repeat(160)));
    expect(await screen.findByText("2 segments")).toBeInTheDocument();
  });

  it("names the characters that force UCS-2 and swaps them for plain ones in one click", async () => {
    const { user } = renderComposer();
    const reply = screen.getByLabelText("Reply");
    await user.type(reply, "It’s “done” — thanks");
    const warning = await screen.findByRole("status");
    expect(warning).toHaveTextContent("not in the GSM-7 alphabet");
    expect(warning).toHaveTextContent("alphabet: ’ “ ” —.");
    expect(warning).toHaveTextContent("UCS-2");
    expect(screen.getByText("UCS-2")).toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Use plain quotes and dashes" }));
    expect(reply).toHaveValue('It\'s "done" - thanks');
    await waitFor(() => {
      expect(screen.queryByText("not in the GSM-7 alphabet", { exact: false })).not.toBeInTheDocument();
    });
    expect(await screen.findByText("GSM-7")).toBeInTheDocument();
  });

  it("warns without offering a swap when no plain alternative exists (emoji)", async () => {
    const { user } = renderComposer();
    await user.type(screen.getByLabelText("Reply"), "See you 🙂");
    expect(await screen.findByRole("status")).toHaveTextContent("This character is not in the GSM-7 alphabet: 🙂.");
    expect(screen.queryByRole("button", { name: "Use plain quotes and dashes" })).not.toBeInTheDocument();
  });

  it("sends with Ctrl+Enter and clears the draft", async () => {
    const { user, ticket } = renderComposer();
    const posted = acceptMessages(ticket.id);
    const reply = screen.getByLabelText("Reply");
    await user.type(reply, "Your order ships today.");
    await user.keyboard("{Control>}{Enter}{/Control}");
    await waitFor(() => {
      expect(reply).toHaveValue("");
    });
    expect(posted.map((request) => request.body)).toEqual([{ body: "Your order ships today.", internal: false }]);
  });

  it("sends with Cmd+Enter too, but a plain Enter is a new line", async () => {
    const { user, ticket } = renderComposer();
    const posted = acceptMessages(ticket.id);
    const reply = screen.getByLabelText("Reply");
    await user.type(reply, "Line one{Enter}line two");
    expect(reply).toHaveValue("Line one\nline two");
    expect(posted).toHaveLength(0);
    await user.keyboard("{Meta>}{Enter}{/Meta}");
    await waitFor(() => {
      expect(posted).toHaveLength(1);
    });
  });

  it("leaves an internal note when toggled, and does not count it as SMS", async () => {
    const counted = recordRequests("POST", "/api/sms/segments");
    const { user, ticket } = renderComposer();
    const posted = acceptMessages(ticket.id);
    const toggle = screen.getByRole("button", { name: "Internal note" });
    expect(toggle).toHaveAttribute("aria-pressed", "false");
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-pressed", "true");
    expect(screen.queryByLabelText("Reply")).not.toBeInTheDocument();

    await user.type(screen.getByLabelText("Internal note"), "Customer is a VIP");
    expect(screen.getByText("Notes are never texted to the customer.")).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => {
      expect(posted.map((request) => request.body)).toEqual([{ body: "Customer is a VIP", internal: true }]);
    });
    expect(counted).toHaveLength(0);
  });

  it("blocks replies to a customer who opted out, saying why, but still allows notes", async () => {
    const { user, ticket } = renderComposer({ opted_out: true });
    const posted = acceptMessages(ticket.id);
    expect(screen.getByRole("alert")).toHaveTextContent("Replies are blocked");
    expect(screen.getByRole("alert")).toHaveTextContent("texted STOP");
    await user.type(screen.getByLabelText("Reply"), "Hello?");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    await user.keyboard("{Control>}{Enter}{/Control}");
    expect(posted).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Internal note" }));
    expect(screen.queryByText(/Replies are blocked/)).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send" })).toBeEnabled();
  });

  it("shows the server's message when it refuses the reply, and keeps the draft", async () => {
    const { user, ticket } = renderComposer();
    server.use(
      http.post(`/api/tickets/${ticket.id}/messages`, () =>
        errorResponse(409, "recipient_opted_out", "+1 415 555 0123 has opted out of texts from this number."),
      ),
    );
    const reply = screen.getByLabelText("Reply");
    await user.type(reply, "Are you there?");
    await user.click(screen.getByRole("button", { name: "Send" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("has opted out of texts from this number.");
    expect(reply).toHaveValue("Are you there?");
  });

  it("inserts a canned reply filled in for the ticket", async () => {
    server.use(
      http.get("/api/canned-replies", ({ request }) => {
        const ticketId = new URL(request.url).searchParams.get("ticket_id");
        return HttpResponse.json<Schemas["CannedReplyView"][]>([
          {
            id: 1,
            title: "Shipped",
            body: "Hi {contact_name}, ticket {ticket_id} has shipped.",
            rendered: `Hi Carla, ticket ${ticketId ?? "?"} has shipped.`,
            created_at: fixtures.minutesAgo(100),
            updated_at: fixtures.minutesAgo(100),
          },
        ]);
      }),
    );
    const { user, ticket } = renderComposer();
    const picker = await screen.findByLabelText("Canned text");
    await user.selectOptions(picker, "Shipped");
    expect(screen.getByLabelText("Reply")).toHaveValue(`Hi Carla, ticket ${ticket.id} has shipped.`);
  });
});
