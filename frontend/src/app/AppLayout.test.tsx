import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import * as fixtures from "../testing/fixtures";
import { renderApp } from "../testing/render";
import { HttpResponse, http, recordRequests, server } from "../testing/server";

describe("app frame", () => {
  it("counts unread Mine plus unread Unassigned in the tab title", async () => {
    server.use(
      http.get("/api/tickets/counts", () => HttpResponse.json({ ...fixtures.counts, unread_mine: 3, unread_unassigned: 18 })),
    );
    renderApp("/");
    await waitFor(() => {
      expect(document.title).toBe("(21) smsdesk");
    });
  });

  it("shows 99+ in the tab title past 99 unread (the server counts unread Unassigned up to 100)", async () => {
    server.use(
      http.get("/api/tickets/counts", () => HttpResponse.json({ ...fixtures.counts, unread_mine: 2, unread_unassigned: 100 })),
    );
    renderApp("/");
    await waitFor(() => {
      expect(document.title).toBe("(99+) smsdesk");
    });
  });

  it("has landmarks, and shows agents no admin navigation", async () => {
    const settingsRequests = recordRequests("GET", "/api/settings");
    renderApp("/");
    const nav = await screen.findByRole("navigation", { name: "Main" });
    expect(screen.getByRole("banner")).toBeInTheDocument();
    expect(screen.getByRole("main")).toBeInTheDocument();
    expect(within(nav).getByRole("link", { name: "Queue" })).toBeInTheDocument();
    expect(within(nav).getByRole("link", { name: "New conversation" })).toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Users" })).not.toBeInTheDocument();
    expect(within(nav).queryByRole("link", { name: "Settings" })).not.toBeInTheDocument();
    expect(settingsRequests).toHaveLength(0);
  });

  it("refuses admin pages to agents", async () => {
    renderApp("/admin/users");
    expect(await screen.findByRole("heading", { name: "Admins only" })).toBeInTheDocument();
  });

  it("shows admins their pages, and the simulator only when it is turned on", async () => {
    server.use(
      http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
      http.get("/api/settings", () => HttpResponse.json(fixtures.settings({ sms_simulator_enabled: false }))),
    );
    const first = renderApp("/");
    const nav = await screen.findByRole("navigation", { name: "Main" });
    for (const name of ["Users", "API tokens", "Canned replies", "Settings"]) {
      expect(await within(nav).findByRole("link", { name })).toBeInTheDocument();
    }
    expect(within(nav).queryByRole("link", { name: "SMS simulator" })).not.toBeInTheDocument();
    first.unmount();

    server.use(http.get("/api/settings", () => HttpResponse.json(fixtures.settings({ sms_simulator_enabled: true }))));
    renderApp("/");
    expect(await screen.findByRole("link", { name: "SMS simulator" })).toHaveAttribute("href", "/simulator");
  });

  it("signs out", async () => {
    const signOuts = recordRequests("DELETE", "/api/session");
    server.use(http.delete("/api/session", () => new HttpResponse(null, { status: 204 })));
    const { user, router } = renderApp("/");
    await user.click(await screen.findByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/sign-in");
    expect(signOuts[0]?.headers.get("X-CSRF-Token")).toBe("csrf-1");
  });
});
