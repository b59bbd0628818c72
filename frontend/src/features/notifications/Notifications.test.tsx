import { fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../../lib/api-client";
import * as fixtures from "../../testing/fixtures";
import { renderApp } from "../../testing/render";
import { HttpResponse, http, recordRequests, server } from "../../testing/server";
import { describeNotification, wanted } from "./notify";

const newTicket: Schemas["Notification"] = {
  kind: "new_ticket",
  ticket_id: 57,
  at: "2026-12-07T10:00:05Z",
  customer: "Carla Customer",
  preview: "My order is late",
};

/** A stand-in for the browser's Notification API that records what was shown. */
function fakeBrowserNotifications(permission: NotificationPermission) {
  const shown: { title: string; body?: string; instance: { onclick: (() => void) | null; close: () => void } }[] = [];
  class FakeNotification {
    static permission = permission;
    static requestPermission = vi.fn(() => Promise.resolve<NotificationPermission>("granted"));
    onclick: (() => void) | null = null;
    close = vi.fn();
    constructor(title: string, options?: { body?: string }) {
      shown.push({ title, body: options?.body, instance: this });
    }
  }
  vi.stubGlobal("Notification", FakeNotification);
  return { shown, FakeNotification };
}

function hideTab() {
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
}

afterEach(() => {
  vi.unstubAllGlobals();
  Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "visible" });
});

describe("notifications", () => {
  it("are wanted only when turned on, kind by kind", () => {
    expect(wanted(newTicket, fixtures.preferences)).toBe(false);
    const on = { ...fixtures.preferences, notifications: true };
    expect(wanted(newTicket, on)).toBe(true);
    expect(wanted(newTicket, { ...on, notify_new_unassigned: false })).toBe(false);
    expect(describeNotification(newTicket)).toEqual({ title: "New ticket from Carla Customer", body: "My order is late" });
  });

  it("show a new ticket while the tab is hidden, and clicking one opens the ticket", async () => {
    const { shown } = fakeBrowserNotifications("granted");
    hideTab();
    server.use(
      http.get("/api/me/preferences", () => HttpResponse.json({ ...fixtures.preferences, notifications: true })),
      http.get("/api/me/notifications", ({ request }) => {
        const since = new URL(request.url).searchParams.get("since");
        // The first poll only learns where to start; every later one repeats the same news (polls overlap).
        return HttpResponse.json<Schemas["NotificationList"]>({
          notifications: since ? [newTicket] : [],
          now: "2026-12-07T10:00:10Z",
        });
      }),
      http.get("/api/tickets/57", () => HttpResponse.json(fixtures.ticket({ id: 57 }))),
      http.get("/api/tickets/57/messages", () => HttpResponse.json<Schemas["MessageList"]>({ messages: [], cursor: null })),
    );
    renderApp("/");
    await waitFor(
      () => {
        expect(shown).toHaveLength(1);
      },
      { timeout: 8000 },
    );
    expect(shown[0]?.title).toBe("New ticket from Carla Customer");
    shown[0]?.instance.onclick?.();
    expect(await screen.findByRole("heading", { name: "Carla Customer" })).toBeInTheDocument();
  }, 15_000);

  it("are turned on from the Notifications page, asking the browser's permission", async () => {
    const { FakeNotification } = fakeBrowserNotifications("default");
    const saves = recordRequests("PATCH", "/api/me/preferences");
    server.use(
      http.patch("/api/me/preferences", async ({ request }) =>
        HttpResponse.json({ ...fixtures.preferences, ...((await request.json()) as Schemas["PreferencesChange"]) }),
      ),
    );
    renderApp("/preferences");
    const toggle = await screen.findByRole("checkbox", { name: "Show browser notifications" });
    expect(screen.getByRole("checkbox", { name: "Play a sound" })).toBeDisabled();
    fireEvent.click(toggle);
    await waitFor(() => {
      expect(saves.map((request) => request.body)).toEqual([{ notifications: true }]);
    });
    expect(FakeNotification.requestPermission).toHaveBeenCalled();
    await waitFor(() => {
      expect(screen.getByRole("checkbox", { name: "A new ticket arrives in Unassigned" })).toBeEnabled();
    });
  });
});
