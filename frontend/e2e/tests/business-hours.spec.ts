// Issue 17, point 4: an admin sets business hours that are closed now and an out-of-office reply; a customer's
// text then gets that reply, naming the next opening, and the agent sees it in the thread.

import AxeBuilder from "@axe-core/playwright";
import { expect, signIn, test } from "../harness/fixtures.ts";

const DAY_LABELS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

test("an admin sets hours closed now; a text gets the out-of-office reply with the next opening", async ({ page, desk }) => {
  const before = await desk.api<{ business_hours: unknown; out_of_office_template: string }>("GET", "/api/settings");
  // Open only on the day three days from now (UTC): closed now, opening that day at 09:00.
  const opening = DAY_LABELS[new Date(Date.now() + 3 * 86_400_000).getUTCDay()] ?? "Monday";
  try {
    await signIn(page, desk.admin);
    await page.goto("/admin/settings");
    const hours = page.getByRole("group", { name: "Business hours" });
    await hours.getByRole("checkbox", { name: "Set business hours" }).check();
    await hours.getByRole("combobox", { name: "Time zone" }).selectOption("UTC");
    for (const day of DAY_LABELS) {
      await hours.getByRole("textbox", { name: day, exact: true }).fill(day === opening ? "09:00–17:00" : "");
    }
    // A mistake first: the server's message shows with the hours.
    await hours.getByRole("textbox", { name: "Holidays" }).fill("25/12/2026");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(hours.getByRole("alert")).toHaveText(/"25\/12\/2026" is not a date/);
    await hours.getByRole("textbox", { name: "Holidays" }).fill("");
    await page
      .getByRole("textbox", { name: "Out-of-office reply" })
      .fill("We are closed and open again {next_open}. Your ticket is {ticket_id}.");
    await page.getByRole("button", { name: "Save settings" }).click();
    await expect(page.getByText("Settings saved.")).toBeVisible();
    const axe = await new AxeBuilder({ page }).include("main").analyze();
    expect(axe.violations).toEqual([]);

    const customer = await desk.newNumber();
    await desk.receiveSms({ from: customer, body: "Is anyone there tonight?" });
    const ticket = await desk.ticketFor(customer);
    const reply = `We are closed and open again ${opening} 09:00. Your ticket is ${ticket.id}.`;
    await desk.waitForSent((sms) => sms.to === customer && sms.body === reply, "the out-of-office reply");

    await page.goto(`/tickets/${ticket.id}`);
    const thread = page.getByRole("log", { name: "Messages" });
    await expect(thread.getByText("Is anyone there tonight?")).toBeVisible();
    await expect(thread.getByText(reply)).toBeVisible();
  } finally {
    await desk.api("PUT", "/api/settings", {
      business_hours: before.business_hours,
      out_of_office_template: before.out_of_office_template,
    });
  }
});
