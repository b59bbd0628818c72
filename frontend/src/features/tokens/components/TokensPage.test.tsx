import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, http, server } from "../../../testing/server";

describe("API tokens", () => {
  it("shows a new token's secret once, with a copy button", async () => {
    const tokens: Schemas["ApiToken"][] = [];
    server.use(
      http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
      http.get("/api/settings", () => HttpResponse.json(fixtures.settings())),
      http.get("/api/users", () => HttpResponse.json([fixtures.admin, fixtures.agent])),
      http.get("/api/tokens", () => HttpResponse.json(tokens)),
      http.post("/api/tokens", async ({ request }) => {
        const body = (await request.json()) as Schemas["CreateToken"];
        const token: Schemas["ApiToken"] = {
          id: 5,
          name: body.name,
          user_id: fixtures.admin.id,
          user_email: fixtures.admin.email,
          created_at: fixtures.minutesAgo(0),
          last_used_at: null,
        };
        tokens.push(token);
        return HttpResponse.json<Schemas["CreatedToken"]>({ ...token, token: "smsd_secret_abc" }, { status: 201 });
      }),
    );
    const { user } = renderApp("/admin/tokens");
    expect(await screen.findByText("No API tokens yet.")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Token name"), "CRM sync");
    await user.click(screen.getByRole("button", { name: "Create token" }));

    const secret = await screen.findByLabelText("New API token");
    expect(secret).toHaveValue("smsd_secret_abc");
    await user.click(screen.getByRole("button", { name: "Copy" }));
    expect(await navigator.clipboard.readText()).toBe("smsd_secret_abc");
    expect(await screen.findByText("Copied to the clipboard.")).toBeInTheDocument();

    const list = screen.getByRole("region", { name: "Tokens" });

    expect(await within(list).findByRole("button", { name: "Revoke CRM sync" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Done" }));
    expect(screen.queryByLabelText("New API token")).not.toBeInTheDocument();
    expect(screen.queryByText("smsd_secret_abc")).not.toBeInTheDocument();
  });
});
