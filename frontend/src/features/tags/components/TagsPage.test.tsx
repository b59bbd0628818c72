import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";

describe("admin tags page", () => {
  it("lists tags with their colours, adds one, and shows a refused duplicate's message", async () => {
    server.use(
      http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
      http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
    );
    const posts = recordRequests("POST", "/api/tags");
    const { user } = renderApp("/admin/tags");
    const refund = await screen.findByText(/refund/, { selector: ".admin-row-title" }, { timeout: 5000 });
    expect(refund).toHaveTextContent("#d97706");

    server.use(
      http.post("/api/tags", () => HttpResponse.json(fixtures.tags[0], { status: 201 }), { once: true }),
    );
    const form = screen.getByRole("form", { name: "Add a tag" });
    await user.type(within(form).getByRole("textbox", { name: "Name" }), "  vip ");
    await user.click(within(form).getByRole("button", { name: "Add tag" }));
    await waitFor(() => {
      expect(posts[0]?.body).toEqual({ name: "vip", colour: "#6b7280" });
    });

    server.use(http.post("/api/tags", () => errorResponse(409, "tag_name_taken", 'there is a tag named "vip" already')));
    await user.type(within(form).getByRole("textbox", { name: "Name" }), "VIP");
    await user.click(within(form).getByRole("button", { name: "Add tag" }));
    expect(await within(form).findByRole("alert")).toHaveTextContent('there is a tag named "vip" already');
  }, 20_000);
});
