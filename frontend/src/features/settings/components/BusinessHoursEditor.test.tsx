import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Schemas } from "../../../lib/api-client";
import * as fixtures from "../../../testing/fixtures";
import { renderApp } from "../../../testing/render";
import { HttpResponse, http, recordRequests, server } from "../../../testing/server";
import { draftFrom, hoursFromDraft } from "./BusinessHoursEditor";

function asAdmin(settings: Schemas["AppSettings"]) {
  server.use(
    http.get("/api/me", () => HttpResponse.json(fixtures.session(fixtures.admin))),
    http.get("/api/settings", () => HttpResponse.json(settings)),
  );
}

const AMSTERDAM: Schemas["BusinessHoursView"] = {
  timezone: "Europe/Amsterdam",
  weekly: {
    mon: [["09:00", "12:30"], ["13:30", "17:00"]],
    tue: [["09:00", "17:00"]],
    wed: [],
    thu: [],
    fri: [],
    sat: [],
    sun: [],
  },
  holidays: ["2026-12-25"],
};

describe("settings: business hours and automatic replies", () => {
  it("shows the stored schedule, and sends the edited one with the reply templates", async () => {
    asAdmin(fixtures.settings({ business_hours: AMSTERDAM }));
    const saves = recordRequests("PUT", "/api/settings");
    server.use(http.put("/api/settings", () => HttpResponse.json(fixtures.settings({ business_hours: AMSTERDAM }))));
    const { user } = renderApp("/admin/settings");
    const hours = await screen.findByRole("group", { name: "Business hours" });
    expect(within(hours).getByRole("checkbox", { name: "Set business hours" })).toBeChecked();
    expect(within(hours).getByRole("combobox", { name: "Time zone" })).toHaveValue("Europe/Amsterdam");
    const monday = within(hours).getByRole("textbox", { name: "Monday" });
    expect(monday).toHaveValue("09:00–12:30, 13:30–17:00");
    expect(within(hours).getByRole("textbox", { name: "Wednesday" })).toHaveValue("");

    await user.selectOptions(within(hours).getByRole("combobox", { name: "Time zone" }), "America/New_York");
    await user.type(within(hours).getByRole("textbox", { name: "Saturday" }), "10:00-14:00");
    const outOfOffice = screen.getByRole("textbox", { name: "Out-of-office reply" });
    await user.clear(outOfOffice);
    await user.type(outOfOffice, "Back {{next_open|soon}");
    await user.click(screen.getByRole("button", { name: "Save settings" }));

    expect(await screen.findByText("Settings saved.")).toBeInTheDocument();
    const sent = saves[0]?.body as Schemas["SettingsUpdate"];
    expect(sent.business_hours).toEqual({
      timezone: "America/New_York",
      weekly: { mon: [["09:00", "12:30"], ["13:30", "17:00"]], tue: [["09:00", "17:00"]], sat: [["10:00", "14:00"]] },
      holidays: ["2026-12-25"],
    });
    expect(sent.out_of_office_template).toBe("Back {next_open|soon}");
    expect(sent.help_reply_template).toBe("{business_name}: we answer texts here. Reply STOP to opt out.");
  });

  it("turns hours off as null, and shows the server's message about them", async () => {
    asAdmin(fixtures.settings());
    const saves = recordRequests("PUT", "/api/settings");
    const message = "mon: 17:00–09:00 is not a range; write [\"09:00\", \"17:00\"], ending after it starts.";
    server.use(
      http.put("/api/settings", async ({ request }) => {
        const update = (await request.json()) as Schemas["SettingsUpdate"];
        if (update.business_hours) {
          return HttpResponse.json<Schemas["ErrorBody"]>(
            { error: "invalid_range", message, field: "business_hours" },
            { status: 422 },
          );
        }
        return HttpResponse.json(fixtures.settings());
      }),
    );
    const { user } = renderApp("/admin/settings");
    const hours = await screen.findByRole("group", { name: "Business hours" });
    const enabled = within(hours).getByRole("checkbox", { name: "Set business hours" });
    expect(enabled).not.toBeChecked();
    expect(within(hours).queryByRole("textbox", { name: "Monday" })).not.toBeInTheDocument();

    await user.click(enabled);
    const monday = within(hours).getByRole("textbox", { name: "Monday" });
    await user.clear(monday);
    await user.type(monday, "17:00-09:00");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await within(hours).findByRole("alert")).toHaveTextContent(message);
    expect(hours).toHaveAccessibleDescription(message);
    expect(screen.queryByText("Settings saved.")).not.toBeInTheDocument();

    await user.click(enabled);
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByText("Settings saved.")).toBeInTheDocument();
    expect(saves.map((save) => (save.body as Schemas["SettingsUpdate"]).business_hours ?? null)).toEqual([
      expect.objectContaining({ weekly: expect.objectContaining({ mon: [["17:00", "09:00"]] }) as unknown }),
      null,
    ]);
  });

  it("splits what was typed and leaves checking it to the server", () => {
    const draft = { ...draftFrom(AMSTERDAM), days: { ...draftFrom(AMSTERDAM).days, wed: " 9am ; 10:00 — 11:00 " } };
    expect(hoursFromDraft(draft)?.weekly?.wed).toEqual([["9am"], ["10:00", "11:00"]]);
    expect(hoursFromDraft({ ...draft, enabled: false })).toBeNull();
  });
});
