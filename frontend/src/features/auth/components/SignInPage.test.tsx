import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

function signedOut() {
  server.use(http.get("/api/me", () => errorResponse(401, "unauthenticated", "Sign in first.")));
}

describe("sign-in", () => {
  it("is shown instead of the app when nobody is signed in", async () => {
    signedOut();
    const { router } = renderApp("/tickets/42");
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toBeInTheDocument();
    expect(screen.getByLabelText("Password")).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/sign-in");
    expect(router.state.location.search).toBe("?next=%2Ftickets%2F42");
  });

  it("shows the server's message when the password is wrong, and keeps the form", async () => {
    signedOut();
    server.use(
      http.post("/api/session", () => errorResponse(401, "invalid_credentials", "Wrong email or password.")),
    );
    const { user } = renderApp("/sign-in");
    await user.type(await screen.findByLabelText("Email"), "ana@example.com");
    await user.type(screen.getByLabelText("Password"), "not-it");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
    expect(screen.getByLabelText("Email")).toHaveValue("ana@example.com");
  });

  it("says so when repeated failures are slowed down (429)", async () => {
    signedOut();
    server.use(
      http.post("/api/session", () =>
        errorResponse(429, "too_many_attempts", "Too many failed sign-ins. Try again in 30 seconds."),
      ),
    );
    const { user } = renderApp("/sign-in");
    await user.type(await screen.findByLabelText("Email"), "ana@example.com");
    await user.type(screen.getByLabelText("Password"), "guess");
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many failed sign-ins. Try again in 30 seconds.");
  });

  it("signs in, returns to the page asked for, and sends the CSRF token on changes", async () => {
    signedOut();
    const signIns = recordRequests("POST", "/api/session");
    const reads = recordRequests("POST", "/api/tickets/42/read");
    server.use(
      http.post("/api/session", () => HttpResponse.json(fixtures.session())),
      http.get("/api/tickets/42", () => HttpResponse.json(fixtures.ticket({ unread: true }))),
      http.get("/api/tickets/42/messages", () => HttpResponse.json({ messages: [], cursor: null })),
    );
    const { user, router } = renderApp("/tickets/42");
    await user.type(await screen.findByLabelText("Email"), " ana@example.com ");
    await user.type(screen.getByLabelText("Password"), "correct horse");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { name: "Carla Customer" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe("/tickets/42");
    expect(signIns[0]?.body).toEqual({ email: "ana@example.com", password: "correct horse" });
    // The sign-in itself has no token yet; the first change after it carries the session's.
    expect(signIns[0]?.headers.get("X-CSRF-Token")).toBeNull();
    await waitFor(() => {
      expect(reads).toHaveLength(1);
    });
    expect(reads[0]?.headers.get("X-CSRF-Token")).toBe("csrf-1");
  });
});
