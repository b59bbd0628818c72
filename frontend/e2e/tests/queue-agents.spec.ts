// What agents asked of the queue and the thread (issue 16): search across statuses with the matches marked,
// compact rows that fit a laptop screen, undelivered replies that stand out (with Retry), a queued reply that says
// why it waits, and a phone that opens a long thread at its newest message.

import { displayNumber, expect, queueRow, signIn, test } from "../harness/fixtures.ts";

test("search finds a closed ticket from the All tab, says where it looked, and marks the match", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Sasha Search");
  const customer = await desk.newNumber();
  const word = `invoice${String(Date.now()).slice(-6)}`;
  await desk.receiveSms({ from: customer, body: `Where is my ${word} for March?` });
  const ticket = await desk.ticketFor(customer);
  await desk.api("PATCH", `/api/tickets/${ticket.id}`, { status: "closed" });

  await signIn(page, agent);
  await page.getByRole("tab", { name: /^All/ }).click();
  await page.getByRole("searchbox", { name: "Search tickets" }).fill(word);
  await expect(page.getByText(`Showing open, pending and closed tickets matching “${word}”.`)).toBeVisible();
  const row = queueRow(page, displayNumber(customer));
  await expect(row).toBeVisible();
  await expect(row).toContainText("Closed");
  await expect(row.locator("mark")).toHaveText([word]);

  // Narrowed to the tab, the closed ticket is not there.
  await page.getByRole("button", { name: "Only in All" }).click();
  await expect(page.getByText(`Showing open and pending tickets (All) matching “${word}”.`)).toBeVisible();
  await expect(row).toHaveCount(0);
  await expect(page.getByText(`No open and pending tickets match “${word}”.`)).toBeVisible();
});

test("compact rows fit at least 12 tickets on an 800 px high screen, and the choice is remembered", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Cody Compact");
  for (let i = 0; i < 14; i++) {
    await desk.receiveSms({ from: await desk.newNumber(), body: `Compact row number ${i}: a question long enough to be cut off in a narrow queue` });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await signIn(page, agent);
  await page.getByRole("tab", { name: /^All/ }).click();
  const list = page.getByRole("tabpanel");
  await expect(list.getByRole("link")).not.toHaveCount(0);

  /** How many rows are wholly inside the list's visible area, and their heights. */
  const visibleRows = () =>
    list.evaluate((panel) => {
      const box = panel.getBoundingClientRect();
      const rows = [...panel.querySelectorAll<HTMLElement>("a[data-ticket-id]")].map((row) => row.getBoundingClientRect());
      return {
        fit: rows.filter((row) => row.top >= box.top - 0.5 && row.bottom <= Math.min(box.bottom, window.innerHeight) + 0.5).length,
        heights: rows.map((row) => Math.round(row.height)),
      };
    });

  const comfortable = await visibleRows();
  await page.getByRole("checkbox", { name: "Compact rows" }).check();
  await expect(list).toHaveAttribute("data-density", "compact");
  const compact = await visibleRows();
  console.log(`queue rows at 1280×800: comfortable ${comfortable.fit} fit (${comfortable.heights[0] ?? 0} px each), compact ${compact.fit} fit (${compact.heights[0] ?? 0} px each)`);
  expect(compact.fit).toBeGreaterThanOrEqual(12);
  expect(compact.fit).toBeGreaterThan(comfortable.fit);

  await page.reload();
  await expect(page.getByRole("checkbox", { name: "Compact rows" })).toBeChecked();
  await expect(page.getByRole("tabpanel")).toHaveAttribute("data-density", "compact");
  await page.getByRole("checkbox", { name: "Compact rows" }).uncheck();
});

test("an undelivered reply is marked in its bubble and by a banner whose Retry sends it again", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Uma Undelivered");
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Can I still return the blue one?" });
  const ticket = await desk.ticketFor(customer);

  await signIn(page, agent);
  await page.goto(`/tickets/${ticket.id}`);
  const replyText = "Yes, within 30 days with the receipt.";
  await page.getByRole("textbox", { name: "Reply" }).fill(replyText);
  await page.getByRole("button", { name: "Send" }).click();
  const sent = await desk.waitForSent((sms) => sms.to === customer && sms.body === replyText, "the reply");
  await desk.deliveryStatus({ sent, status: "failed", errorCode: "30003" });

  const banner = page.getByRole("region", { name: "Delivery problem" });
  await expect(banner).toContainText("A reply did not reach the customer.", { timeout: 8_000 });
  await expect(banner).toContainText("30003");
  const replyItem = page.getByRole("log", { name: "Messages" }).getByRole("listitem").filter({ hasText: replyText });
  await expect(replyItem.getByText("Not sent", { exact: true })).toBeVisible();
  // Not only a colour: the bubble is outlined, with an icon.
  await expect(replyItem.locator(".bubble")).toHaveCSS("border-top-style", "dashed");
  const usualBlue = await page
    .getByRole("log", { name: "Messages" })
    .getByRole("listitem")
    .filter({ hasText: "Automatic reply" })
    .locator(".bubble")
    .evaluate((bubble) => getComputedStyle(bubble).backgroundColor);
  await expect(replyItem.locator(".bubble")).not.toHaveCSS("background-color", usualBlue);
  await expect(replyItem.locator(".bubble svg")).toBeVisible();

  await banner.getByRole("button", { name: "Retry sending" }).click();
  await expect
    .poll(async () => (await desk.sent()).filter((sms) => sms.to === customer && sms.body === replyText).length, {
      message: "the retried reply reaches the gateway again",
    })
    .toBe(2);
  await expect(banner).toHaveCount(0, { timeout: 8_000 });
  await expect(replyItem.getByText("Not sent", { exact: true })).toHaveCount(0);
});

test("a reply queued during a gateway outage says why and when the next try is, then goes out", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Otto Outage");
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Is anyone there?" });
  const ticket = await desk.ticketFor(customer);
  await desk.waitForSent((sms) => sms.to === customer, "the confirmation");
  await desk.gatewayOutage({ to: customer, times: 3 });

  await signIn(page, agent);
  await page.goto(`/tickets/${ticket.id}`);
  const replyText = "Yes! Sorry for the wait.";
  await page.getByRole("textbox", { name: "Reply" }).fill(replyText);
  await page.getByRole("button", { name: "Send" }).click();
  const replyItem = page.getByRole("log", { name: "Messages" }).getByRole("listitem").filter({ hasText: replyText });
  await expect(replyItem.getByText(/^Queued · gateway refused: Service Unavailable, (next try in \d+ s|trying again now)$/)).toBeVisible({
    timeout: 8_000,
  });
  await desk.waitForSent((sms) => sms.to === customer && sms.body === replyText, "the reply, once the outage is over", 20_000);
  await expect(replyItem.getByText(/^(Sending|Sent)$/)).toBeVisible({ timeout: 8_000 });
});

test("on a phone a long thread opens at its newest message and follows new ones", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Pia Phone");
  const customer = await desk.newNumber();
  for (let i = 1; i <= 30; i++) {
    await desk.receiveSms({ from: customer, body: `Message ${i} of a long story: ${"and then something else happened. ".repeat(3)}` });
  }
  const ticket = await desk.ticketFor(customer);
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, agent);
  await page.goto(`/tickets/${ticket.id}`);
  const thread = page.getByRole("log", { name: "Messages" });
  const newest = thread.getByRole("listitem").filter({ hasText: "Message 30 of a long story" });
  await expect(newest).toBeVisible();
  const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  expect(pageHeight, "the thread is several screens long").toBeGreaterThan(844 * 3);
  await expect(newest).toBeInViewport();
  await expect(thread.getByRole("listitem").filter({ hasText: "Message 1 of a long story" })).not.toBeInViewport();

  // A new text while at the end: it is scrolled into view.
  await desk.receiveSms({ from: customer, body: "Message 31, just arrived" });
  await expect(thread.getByText("Message 31, just arrived")).toBeInViewport({ timeout: 8_000 });

  // Scrolled up to read: a new text does not pull the reader away.
  await page.evaluate(() => {
    window.scrollTo({ top: 0, behavior: "instant" });
  });
  await desk.receiveSms({ from: customer, body: "Message 32, while reading above" });
  await expect(thread.getByText("Message 32, while reading above")).toBeAttached({ timeout: 8_000 });
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => window.scrollY)).toBeLessThan(100);
});
