// Issue 16: what was done to a ticket shows in its thread; a close can be undone; a closed ticket reopens; an agent
// turns on browser notifications, and a new ticket in Unassigned notifies them while the tab is hidden.

import AxeBuilder from "@axe-core/playwright";
import { displayNumber, expect, queueRow, signIn, test } from "../harness/fixtures.ts";

test("the timeline shows assignment and status changes; close is undoable; a closed ticket reopens", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Tia Timeline");
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Is my parcel lost?" });
  const ticket = await desk.ticketFor(customer);

  await signIn(page, agent);
  await page.getByRole("tab", { name: /^All/ }).click();
  await queueRow(page, displayNumber(customer)).click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
  const thread = page.getByRole("log", { name: "Messages" });

  await page.getByRole("button", { name: "Assign to me" }).click();
  await expect(thread.getByText("Tia Timeline assigned it to Tia Timeline")).toBeVisible();
  await page.getByRole("button", { name: "Set pending" }).click();
  await expect(thread.getByText("Tia Timeline changed the status from Open to Pending")).toBeVisible();

  // Close, then undo within the few seconds the undo is offered.
  await page.getByRole("button", { name: "Close ticket" }).click();
  const undo = page.getByRole("status").filter({ hasText: "Ticket closed." });
  await expect(undo).toBeVisible();
  await undo.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByRole("button", { name: "Set open" })).toBeVisible();
  await expect(thread.getByText("Tia Timeline reopened it as Pending")).toBeVisible();

  // Close for real; then reopen from the closed ticket.
  await page.getByRole("button", { name: "Close ticket" }).click();
  await expect(page.getByRole("button", { name: "Reopen ticket" })).toBeVisible();
  const axe = await new AxeBuilder({ page }).include(".ticket").analyze();
  expect(axe.violations).toEqual([]);
  await page.getByRole("button", { name: "Reopen ticket" }).click();
  await expect(page.getByRole("textbox", { name: "Reply" })).toBeVisible();
  await expect(thread.getByText("Tia Timeline reopened it as Open")).toBeVisible();
  expect((await desk.ticketFor(customer)).status).toBe("open");
});

test("an agent turns on notifications, and a new ticket notifies them while the tab is hidden", async ({ page, context, desk }) => {
  await context.grantPermissions(["notifications"]);
  // Records what the page shows through the Notification API, and makes the tab look hidden.
  await page.addInitScript(() => {
    const shown: string[] = [];
    (window as unknown as { __shown: string[] }).__shown = shown;
    class RecordingNotification {
      static permission: NotificationPermission = "granted";
      static requestPermission() {
        return Promise.resolve<NotificationPermission>("granted");
      }
      onclick: (() => void) | null = null;
      constructor(title: string) {
        shown.push(title);
      }
      close() {}
    }
    Object.defineProperty(window, "Notification", { value: RecordingNotification });
  });
  const agent = await desk.createUser("agent", "Nia Notified");
  await signIn(page, agent);
  await page.getByRole("link", { name: "Notifications" }).click();
  // The checkbox follows the saved preference a moment after the click (it is the server's state, shown at once).
  const toggle = page.getByRole("checkbox", { name: "Show browser notifications" });
  await toggle.click();
  await expect(toggle).toBeChecked();
  await expect(page.getByRole("status")).toHaveText("Saved.");
  const axe = await new AxeBuilder({ page }).include("main").analyze();
  expect(axe.violations).toEqual([]);
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
  });
  // Let the first poll learn where to start, then a customer texts in.
  await page.waitForTimeout(1_000);
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Hello, anyone there?" });
  await expect
    .poll(() => page.evaluate(() => (window as unknown as { __shown: string[] }).__shown), { timeout: 15_000 })
    .toContain(`New ticket from ${displayNumber(customer)}`);
});
