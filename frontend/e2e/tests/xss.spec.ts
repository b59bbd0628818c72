// A customer's text is data, never markup: HTML and script in an SMS show as the characters they are.

import { displayNumber, expect, queueRow, signIn, test } from "../harness/fixtures.ts";

const PAYLOAD = `<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>`;

test("markup in a text is shown literally and never runs", async ({ page, desk }) => {
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: PAYLOAD });
  const ticket = await desk.ticketFor(customer);

  await signIn(page, desk.admin);
  // In the queue's preview…
  const row = queueRow(page, displayNumber(customer));
  await expect(row).toBeVisible();
  await expect(row).toContainText(PAYLOAD);
  await expect(row.locator("img, script")).toHaveCount(0);

  // …and in the thread.
  await row.click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
  const thread = page.getByRole("log", { name: "Messages" });
  await expect(thread.getByText(PAYLOAD, { exact: true })).toBeVisible();
  await expect(thread.locator("img, script")).toHaveCount(0);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);

  // Give a payload every chance to run (image error events fire quickly), then check it never did.
  await page.waitForTimeout(500);
  expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
});
