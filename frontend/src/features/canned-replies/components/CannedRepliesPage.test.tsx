import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, server } from "../../../testing/server";

describe("canned replies: placeholders", () => {
  it("shows the server's message about a placeholder under the body", async () => {
    const message =
      "Unknown placeholder {name}; use {ticket_id}, {contact_name}, {contact_name|there}, {business_name}, {agent_name}. Write {{ for a literal {.";
    server.use(
      http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
      http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
      http.post("/api/canned-replies", () =>
        HttpResponse.json<Schemas["ErrorBody"]>({ error: "unknown_placeholder", message, field: "body" }, { status: 422 }),
      ),
    );
    const { user } = renderApp("/admin/canned-replies");
    const form = await screen.findByRole("form", { name: "Add a canned reply" });
    const body = screen.getByRole("textbox", { name: "Body" });
    expect(body).toHaveAccessibleDescription(expect.stringContaining("{agent_name}") as string);
    await user.type(screen.getByRole("textbox", { name: "Title" }), "Hello");
    await user.type(body, "Hi {{name}");
    await user.click(screen.getByRole("button", { name: "Add canned reply" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(message);
    expect(body).toBeInvalid();
    expect(body).toHaveAccessibleDescription(expect.stringContaining("Unknown placeholder {name}") as string);
    expect(body).toHaveValue("Hi {name}");
    expect(form).toBeInTheDocument();
  });

  it("shows other errors below the form", async () => {
    server.use(
      http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
      http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
      http.post("/api/canned-replies", () => errorResponse(422, "invalid_title", "the title must be 1 to 100 characters")),
    );
    const { user } = renderApp("/admin/canned-replies");
    await user.type(await screen.findByRole("textbox", { name: "Title" }), "x");
    await user.type(screen.getByRole("textbox", { name: "Body" }), "y");
    await user.click(screen.getByRole("button", { name: "Add canned reply" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("the title must be 1 to 100 characters");
    expect(screen.getByRole("textbox", { name: "Body" })).toBeValid();
  });
});
