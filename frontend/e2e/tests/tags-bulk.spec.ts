// Issue 17 (points 5 to 7): an admin makes a tag; a ticket gets a priority and tags in the ticket view; the
// queue filters by tag, sorts by waiting, and three rows picked with the checkbox, `x` and Shift-click are closed
// in one bulk action.

import { displayNumber, expect, expectNoSeriousA11yViolations, queueRow, signIn, test } from "../harness/fixtures.ts";

test("tag and prioritise a ticket, filter and sort the queue, and close three tickets at once", async ({ page, desk }, testInfo) => {
  const tag = `refund${String(Date.now()).slice(-6)}`;
  const customers = [await desk.newNumber(), await desk.newNumber(), await desk.newNumber()];
  for (const [n, customer] of customers.entries()) {
    await desk.receiveSms({ from: customer, body: `Question number ${String(n + 1)}` });
    await desk.ticketFor(customer);
  }
  const [first, second, third] = await Promise.all(customers.map((customer) => desk.ticketFor(customer)));
  if (!first || !second || !third) throw new Error("three tickets");

  await signIn(page, desk.admin);

  // An admin adds the tag on the Tags page.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Tags" }).click();
  const form = page.getByRole("form", { name: "Add a tag" });
  await form.getByRole("textbox", { name: "Name" }).fill(tag);
  await form.getByRole("button", { name: "Add tag" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: tag })).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "tags-page");

  // The first ticket: priority and tag in the ticket view.
  await page.goto(`/tickets/${String(first.id)}`);
  const head = page.locator(".ticket-head");
  await head.getByRole("combobox", { name: "Priority" }).selectOption("urgent");
  await head.getByRole("combobox", { name: "Add tag" }).fill(tag);
  await head.getByRole("button", { name: "Add", exact: true }).click();
  await expect(head.getByRole("button", { name: `Remove tag ${tag}` })).toBeVisible();
  await expect(page.getByRole("log", { name: "Messages" }).getByText(`changed the priority from Normal to Urgent`)).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "ticket-tags");

  // The others get the tag through the API, and the second an agent's answer: it waits for nothing.
  for (const ticket of [second, third]) {
    await desk.api("PATCH", `/api/tickets/${String(ticket.id)}`, { tags: [tag] });
  }
  await desk.api("POST", `/api/tickets/${String(second.id)}/messages`, { body: "On it." });

  await page.getByRole("tab", { name: /^All/ }).click();
  const firstRow = queueRow(page, displayNumber(customers[0] ?? ""));
  await expect(firstRow).toContainText(tag);
  await expect(firstRow).toContainText("Urgent");

  // Only the tag's tickets, the oldest unanswered text first, the answered one last.
  await page.getByRole("combobox", { name: "Tag", exact: true }).selectOption(tag);
  await page.getByRole("combobox", { name: "Sort" }).selectOption("waiting");
  const rows = page.getByRole("region", { name: "Queue" }).locator("a[data-ticket-id]");
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(0)).toHaveAttribute("data-ticket-id", String(first.id));
  await expect(rows.nth(1)).toHaveAttribute("data-ticket-id", String(third.id));
  await expect(rows.nth(2)).toHaveAttribute("data-ticket-id", String(second.id));
  await page.locator("#queue-priority").selectOption("urgent");
  await expect(rows).toHaveCount(1);
  await page.locator("#queue-priority").selectOption("");
  await expect(rows).toHaveCount(3);

  // Select: the first by its checkbox, the second with x, the third with Shift-click (the range from the second).
  await page.getByRole("checkbox", { name: `Select ticket #${String(first.id)}` }).click();
  await rows.nth(1).focus();
  await page.keyboard.press("x");
  await page.getByRole("checkbox", { name: `Select ticket #${String(second.id)}` }).click({ modifiers: ["Shift"] });
  const toolbar = page.getByRole("region", { name: "Bulk actions" });
  await expect(toolbar).toContainText("3 selected");
  await expectNoSeriousA11yViolations(page, testInfo, "queue-bulk");

  await toolbar.getByRole("combobox", { name: "Status" }).selectOption("closed");
  await expect(rows).toHaveCount(0);
  for (const customer of customers) {
    expect((await desk.ticketFor(customer)).status).toBe("closed");
  }
});
