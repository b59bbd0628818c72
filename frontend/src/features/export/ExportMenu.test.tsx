import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import * as fixtures from "../../testing/fixtures";
import { renderApp } from "../../testing/render";
import { HttpResponse, http, server } from "../../testing/server";
import { exportUrl } from "./exportUrl";

function asAdmin() {
  server.use(
    http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
    http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
  );
}

describe("CSV export", () => {
  it("builds download links from the queue's filters, leaving out empty ones", () => {
    expect(exportUrl("tickets", {})).toBe("/api/export/tickets.csv");
    expect(exportUrl("messages", { status: "open,pending", assignee: "me", q: undefined })).toBe(
      "/api/export/messages.csv?status=open%2Cpending&assignee=me",
    );
    expect(exportUrl("tickets", { status: "all", q: "late & lost" })).toBe("/api/export/tickets.csv?status=all&q=late+%26+lost");
  });

  it("offers admins the queue's tickets and messages with the tab's and the search's filters", async () => {
    asAdmin();
    const { user } = renderApp("/");
    await user.click(await screen.findByText("Export CSV"));
    expect(screen.getByRole("link", { name: "Tickets" })).toHaveAttribute(
      "href",
      "/api/export/tickets.csv?status=open%2Cpending",
    );
    expect(screen.getByRole("link", { name: "Tickets" })).toHaveAttribute("download");

    await user.click(screen.getByRole("tab", { name: /^Unassigned/ }));
    expect(screen.getByRole("link", { name: "Their messages" })).toHaveAttribute(
      "href",
      "/api/export/messages.csv?status=open%2Cpending&assignee=none",
    );

    await user.type(screen.getByRole("searchbox", { name: "Search tickets" }), "invoice");
    await waitFor(() => {
      expect(screen.getByRole("link", { name: "Tickets" })).toHaveAttribute(
        "href",
        "/api/export/tickets.csv?status=all&q=invoice",
      );
    });
  });

  it("is not offered to agents", async () => {
    renderApp("/");
    await screen.findByRole("tab", { name: /^Unassigned/ });
    expect(screen.queryByText("Export CSV")).not.toBeInTheDocument();
  });
});
