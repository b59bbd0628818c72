// axe-core on the pages agents live in, and the forms around our numbers (new conversation, settings, simulator):
// no violation of impact "serious" or "critical".

import { composer, displayNumber, expect, expectNoSeriousA11yViolations, queueRow, setInternalNote, signIn, test } from "../harness/fixtures.ts";

test("the sign-in page has no serious accessibility violations", async ({ page }, testInfo) => {
  await page.goto("/sign-in");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "sign-in");

  // With its error showing, too.
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByLabel("Password").fill("wrong-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "sign-in-error");
});

test("the queue and a thread have no serious accessibility violations", async ({ page, desk }, testInfo) => {
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Can I change my delivery address?" });
  const ticket = await desk.ticketFor(customer);
  await desk.api("POST", `/api/tickets/${ticket.id}/messages`, { body: "Sure: what is the new address?" });
  await desk.api("POST", `/api/tickets/${ticket.id}/messages`, { body: "Check the order is not shipped yet.", internal: true });

  await signIn(page, desk.admin);
  const row = queueRow(page, displayNumber(customer));
  await expect(row).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "queue");

  await row.click();
  const thread = page.getByRole("log", { name: "Messages" });
  await expect(thread.getByText("Check the order is not shipped yet.")).toBeVisible();
  await page.getByRole("textbox", { name: "Reply" }).fill("Thanks, updating it now.");
  await expect(composer(page).getByText(/\b1 segment\b/)).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "thread");

  await setInternalNote(page, true);
  await expectNoSeriousA11yViolations(page, testInfo, "thread-note-mode");
});

test("the new-conversation, settings and simulator pages have no serious accessibility violations", async ({ page, desk }, testInfo) => {
  const { sms_simulator_enabled: simulatorBefore } = await desk.api<{ sms_simulator_enabled: boolean }>("GET", "/api/settings");
  await signIn(page, desk.admin);
  const nav = page.getByRole("navigation", { name: "Main" });

  // New conversation, with its "From" picker and a refusal showing.
  await nav.getByRole("link", { name: "New conversation" }).click();
  await expect(page.getByRole("combobox", { name: "From" })).toHaveValue(desk.ourNumber);
  await page.getByRole("textbox", { name: "To" }).fill("12");
  await page.getByRole("textbox", { name: "Message" }).fill("Hello");
  await page.getByRole("button", { name: "Start conversation" }).click();
  await expect(page.getByRole("alert")).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "new-conversation");

  await nav.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("textbox", { name: "More numbers to send from" })).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "settings");

  try {
    await desk.api("PUT", "/api/settings", { sms_simulator_enabled: true });
    await page.goto("/simulator");
    await expect(page.getByRole("combobox", { name: "To" })).toHaveValue(desk.ourNumber);
    await expectNoSeriousA11yViolations(page, testInfo, "simulator");
  } finally {
    await desk.api("PUT", "/api/settings", { sms_simulator_enabled: simulatorBefore });
  }
});
