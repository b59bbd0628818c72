// The customer panel beside a thread and the Contacts page: a customer texts two of our numbers (and opts out
// of one); an agent names them, writes notes, opens their earlier ticket in place from the panel, then finds
// them on the Contacts page by name and by notes. axe checks the panel and both Contacts pages.

import { randomBytes } from "node:crypto";
import { displayNumber, expect, expectNoSeriousA11yViolations, signIn, test, type Page } from "../harness/fixtures.ts";
import { inboundSmsParams } from "../harness/twilio.ts";

/** A second number of ours: customers may text any of them, and the reply goes out from the one they texted. */
const SECOND_NUMBER = "+14155550199";

function customerPanel(page: Page) {
  return page.getByRole("region", { name: "Customer" });
}

test("the customer panel shows and edits who the customer is and opens their other tickets in place", async ({ page, desk }, testInfo) => {
  const tag = randomBytes(3).toString("hex");
  const name = `Ines Okafor ${tag}`;
  const customer = await desk.newNumber();

  await desk.receiveSms({ from: customer, body: "Where is my order 5521?" });
  const first = await desk.ticketFor(customer);
  await desk.api("PATCH", `/api/tickets/${first.id}`, { status: "closed" });
  // The same customer texts our second number, then opts out of it.
  for (const body of ["Is this the returns line?", "STOP"]) {
    const response = await desk.postTwilio("/webhooks/twilio", { ...inboundSmsParams({ from: customer, body }), To: SECOND_NUMBER });
    expect(response.status).toBe(200);
  }
  const second = await desk.ticketFor(customer);
  expect(second.id).not.toBe(first.id);
  expect(second.channel_number).toBe(SECOND_NUMBER);

  const agent = await desk.createUser("agent", `Agent ${tag}`);
  await signIn(page, agent);
  await page.goto(`/tickets/${second.id}`);
  const panel = customerPanel(page);
  await expect(panel.getByText(displayNumber(customer), { exact: true })).toBeVisible();

  // Opt-out state per number of ours.
  const texting = panel.getByRole("region", { name: "Texting" });
  await expect(texting.getByRole("listitem").filter({ hasText: displayNumber(SECOND_NUMBER) })).toContainText("opted out since");
  await expect(texting.getByRole("listitem").filter({ hasText: displayNumber(desk.ourNumber) })).toContainText("can be texted");

  // Rename: Escape cancels, Enter saves; the ticket's title follows.
  await panel.getByRole("button", { name: "Add name" }).click();
  await panel.getByRole("textbox", { name: "Name" }).fill("Not this one");
  await page.keyboard.press("Escape");
  await expect(panel.getByRole("textbox", { name: "Name" })).toBeHidden();
  await expect(panel.getByText("No name yet")).toBeVisible();
  await panel.getByRole("button", { name: "Add name" }).click();
  await panel.getByRole("textbox", { name: "Name" }).fill(name);
  await page.keyboard.press("Enter");
  await expect(panel.getByText(name, { exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { level: 2, name })).toBeVisible();

  // Notes, saved with their button.
  const notes = panel.getByRole("textbox", { name: "Notes" });
  await notes.fill(`Wholesale buyer ${tag}; call after 5 pm.`);
  await panel.getByRole("button", { name: "Save notes" }).click();
  await expect(panel.getByText("Notes saved.")).toBeVisible();
  const stored = await desk.api<{ name: string; notes: string }>("GET", `/api/contacts/by-number/${encodeURIComponent(customer)}`);
  expect(stored).toMatchObject({ name, notes: `Wholesale buyer ${tag}; call after 5 pm.` });

  await expectNoSeriousA11yViolations(page, testInfo, "customer-panel");

  // The earlier ticket, on our other number, opens in the same ticket view, from the keyboard.
  const earlier = panel.getByRole("region", { name: "Earlier tickets" }).getByRole("link", { name: new RegExp(`Ticket #${first.id}\\b`) });
  await expect(earlier).toContainText("Closed");
  await expect(earlier).toContainText(`To ${displayNumber(desk.ourNumber)}`);
  await earlier.focus();
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(new RegExp(`/tickets/${first.id}$`));
  await expect(page.getByRole("log", { name: "Messages" }).getByText("Where is my order 5521?")).toBeVisible();
  await expect(
    customerPanel(page).getByRole("region", { name: "Earlier tickets" }).getByRole("link", { name: new RegExp(`Ticket #${second.id}\\b`) }),
  ).toBeVisible();

  // On a narrow window the panel folds behind its "Customer" button.
  await page.setViewportSize({ width: 800, height: 800 });
  const toggle = customerPanel(page).getByRole("button", { name: "Customer" });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  await expect(customerPanel(page).getByRole("textbox", { name: "Notes" })).toBeHidden();
  await toggle.click();
  await expect(toggle).toHaveAttribute("aria-expanded", "true");
  await expect(customerPanel(page).getByRole("textbox", { name: "Notes" })).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "customer-panel-narrow");
  await page.setViewportSize({ width: 1280, height: 800 });

  // The Contacts page: search by name, then by notes, and open the contact.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();
  const search = page.getByRole("searchbox", { name: "Search contacts" });
  await search.fill(`okafor ${tag}`);
  const result = page.getByRole("link", { name: new RegExp(name) });
  await expect(result).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "match" })).toHaveText(`1 contact match “okafor ${tag}”.`);
  await expectNoSeriousA11yViolations(page, testInfo, "contacts");
  await search.fill(`wholesale buyer ${tag}`);
  await expect(page.getByRole("status").filter({ hasText: "match" })).toHaveText(`1 contact match “wholesale buyer ${tag}”.`);
  await result.focus();
  await page.keyboard.press("Enter");

  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();
  const tickets = page.getByRole("region", { name: "Tickets" });
  await expect(tickets.getByRole("link")).toHaveCount(2);
  await expect(page.getByRole("textbox", { name: "Notes" })).toHaveValue(`Wholesale buyer ${tag}; call after 5 pm.`);
  await expectNoSeriousA11yViolations(page, testInfo, "contact");
  await tickets.getByRole("link", { name: new RegExp(`Ticket #${second.id}\\b`) }).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${second.id}$`));
});
