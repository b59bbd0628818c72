import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, errorResponse, http, recordRequests, server } from "../../../testing/server";
import { numbersQuery } from "../../numbers/api/numbers";

function asAdmin(settings: Schemas["AppSettings"]) {
  server.use(
    http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
    http.get("/api/settings", () => HttpResponse.json(settings)),
  );
}

describe("settings: our numbers", () => {
  it("shows the sender numbers one per line, and saves the edited list as the server stores it", async () => {
    asAdmin(fixtures.settings({ sender_numbers: ["+14155550199", "+14155550198"] }));
    const saves = recordRequests("PUT", "/api/settings");
    server.use(
      http.put("/api/settings", () =>
        HttpResponse.json(fixtures.settings({ sender_numbers: ["+14155550199", "+442071838750"] })),
      ),
    );
    const { user, queryClient } = renderApp("/admin/settings");
    const field = await screen.findByRole("textbox", { name: "More numbers to send from" });
    expect(field).toHaveValue("+14155550199\n+14155550198");
    expect(field).toHaveAccessibleDescription(/One per line, with the country code/);
    // A picker elsewhere has our numbers cached.
    queryClient.setQueryData(numbersQuery.queryKey, fixtures.numbers);

    await user.clear(field);
    await user.type(field, "+14155550199\n\n  +44 20 7183 8750 \n");
    await user.click(screen.getByRole("button", { name: "Save settings" }));

    expect(await screen.findByText("Settings saved.")).toBeInTheDocument();
    expect((saves[0]?.body as Schemas["SettingsUpdate"]).sender_numbers).toEqual(["+14155550199", "+44 20 7183 8750"]);
    expect(field).toHaveValue("+14155550199\n+442071838750");
    // …and the pickers ask for our numbers again.
    expect(queryClient.getQueryState(numbersQuery.queryKey)?.isInvalidated).toBe(true);
  });

  it("empties the list", async () => {
    asAdmin(fixtures.settings({ sender_numbers: ["+14155550199"] }));
    const saves = recordRequests("PUT", "/api/settings");
    server.use(http.put("/api/settings", () => HttpResponse.json(fixtures.settings({ sender_numbers: [] }))));
    const { user } = renderApp("/admin/settings");
    await user.clear(await screen.findByRole("textbox", { name: "More numbers to send from" }));
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    await screen.findByText("Settings saved.");
    expect((saves[0]?.body as Schemas["SettingsUpdate"]).sender_numbers).toEqual([]);
  });

  it("shows the server's message for a number it refuses, and keeps what was typed", async () => {
    asAdmin(fixtures.settings());
    server.use(
      http.put("/api/settings", () => errorResponse(422, "invalid_setting", "sender_numbers: “12” is not a phone number.")),
    );
    const { user } = renderApp("/admin/settings");
    const field = await screen.findByRole("textbox", { name: "More numbers to send from" });
    await user.type(field, "12");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("sender_numbers: “12” is not a phone number.");
    expect(field).toHaveValue("12");
    expect(screen.queryByText("Settings saved.")).not.toBeInTheDocument();
  });
});

describe("settings: the confirmation template", () => {
  it("shows the server's message about a placeholder next to the template, and saves a corrected one", async () => {
    asAdmin(fixtures.settings());
    const message =
      "Unknown placeholder {name}; use {ticket_id}, {contact_name}, {contact_name|there}, {business_name}. Write {{ for a literal {.";
    const saves = recordRequests("PUT", "/api/settings");
    server.use(
      http.put("/api/settings", async ({ request }) => {
        const update = (await request.json()) as Schemas["SettingsUpdate"];
        if (update.confirmation_template?.includes("{name}")) {
          return HttpResponse.json<Schemas["ErrorBody"]>(
            { error: "unknown_placeholder", message, field: "confirmation_template" },
            { status: 422 },
          );
        }
        return HttpResponse.json(fixtures.settings({ confirmation_template: update.confirmation_template ?? "" }));
      }),
    );
    const { user } = renderApp("/admin/settings");
    const field = await screen.findByRole("textbox", { name: "Confirmation template" });
    await user.clear(field);
    // `{` starts a key descriptor in user-event: `{{` types one brace.
    await user.type(field, "Hi {{name}, ticket {{ticket_id}");
    await user.click(screen.getByRole("button", { name: "Save settings" }));

    expect(await screen.findByRole("alert")).toHaveTextContent(message);
    expect(field).toHaveAccessibleDescription(expect.stringContaining("Unknown placeholder {name}") as string);
    expect(field).toBeInvalid();
    expect(field).toHaveValue("Hi {name}, ticket {ticket_id}");
    expect(screen.queryByText("Settings saved.")).not.toBeInTheDocument();

    await user.clear(field);
    await user.type(field, "Hi {{contact_name|there}, ticket {{ticket_id}");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByText("Settings saved.")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(field).toBeValid();
    expect(saves.map((save) => (save.body as Schemas["SettingsUpdate"]).confirmation_template)).toEqual([
      "Hi {name}, ticket {ticket_id}",
      "Hi {contact_name|there}, ticket {ticket_id}",
    ]);
  });
});
