// The main path of an agent's day: a customer texts in, the text shows up in the queue by itself, the agent
// takes the ticket, replies, sees the reply delivered, leaves an internal note, and closes the ticket.
// And the other way round: an agent texts a number that has not written in, from a number of ours they pick.

import { CspWatch, composer, displayNumber, expect, queueRow, setInternalNote, signIn, test, type NumberOfOurs } from "../harness/fixtures.ts";

test("a text arrives, the agent assigns, replies, sees it delivered, notes, and closes the ticket", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Avery Agent");
  const customer = await desk.newNumber();
  const shown = displayNumber(customer);

  await signIn(page, agent);
  await page.getByRole("tab", { name: /^All/ }).click();
  await expect(page.getByRole("tab", { name: /^All/ })).toHaveAttribute("aria-selected", "true");
  // Proves later that the queue updated without a reload: a reload would lose this.
  await page.evaluate(() => {
    (window as unknown as { __noReload?: boolean }).__noReload = true;
  });

  // A text arrives through Twilio's webhook…
  const firstText = "Hi, my order #5521 never arrived. Can you check?";
  await desk.receiveSms({ from: customer, body: firstText });

  // …and shows up in the queue within seconds (the app polls about every 2 s), without a reload.
  const row = queueRow(page, shown);
  await expect(row).toBeVisible({ timeout: 8_000 });
  await expect(row).toContainText(firstText);
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

  // The new ticket got its confirmation text, naming the ticket id.
  const ticket = await desk.ticketFor(customer);
  const confirmation = await desk.waitForSent((sms) => sms.to === customer, "the confirmation text");
  expect(confirmation.body).toContain(String(ticket.id));
  expect(confirmation.from).toBe(desk.ourNumber);
  expect(confirmation.authorized).toBe(true);

  // Open it.
  await row.click();
  await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
  const thread = page.getByRole("log", { name: "Messages" });
  await expect(thread.getByText(firstText)).toBeVisible();

  // Assign it to me.
  await page.getByRole("button", { name: "Assign to me" }).click();
  await expect(page.getByRole("combobox", { name: "Assignee" })).toHaveValue(String(agent.id));
  await expect(page.getByRole("button", { name: "Assign to me" })).toHaveCount(0);
  await expect.poll(async () => (await desk.ticketFor(customer)).assignee_id).toBe(agent.id);

  // Reply.
  const replyText = "Sorry about that! I have asked the courier and will text you by 5 pm.";
  const reply = page.getByRole("textbox", { name: "Reply" });
  await reply.fill(replyText);
  await expect(composer(page).getByText(/\b1 segment\b/)).toBeVisible();
  await page.getByRole("button", { name: "Send" }).click();
  await expect(reply).toHaveValue("");
  const replyItem = thread.getByRole("listitem").filter({ hasText: replyText });
  await expect(replyItem).toBeVisible();
  const sentReply = await desk.waitForSent((sms) => sms.to === customer && sms.body === replyText, "the reply");
  expect(sentReply.from).toBe(desk.ourNumber);
  expect(sentReply.statusCallback).toBe(`${desk.baseUrl}/webhooks/twilio/status`);
  await expect(replyItem.getByText(/^(Queued|Sending|Sent)$/)).toBeVisible();

  // Twilio reports it delivered: the thread says so by itself.
  await desk.deliveryStatus({ sent: sentReply, status: "delivered" });
  await expect(replyItem.getByText("Delivered", { exact: true })).toBeVisible({ timeout: 8_000 });

  // An internal note: clearly marked, and never texted to the customer.
  const noteText = `Customer is a regular: refund the shipping if the courier lost it (${customer}).`;
  await setInternalNote(page, true);
  await page.getByRole("textbox", { name: /Internal note/ }).fill(noteText);
  await page.getByRole("button", { name: "Send" }).click();
  const noteItem = thread.getByRole("listitem").filter({ hasText: noteText });
  await expect(noteItem).toBeVisible();
  await expect(noteItem).toHaveClass(/\bmessage-note\b/);
  await expect(noteItem.getByText(/Internal note/)).toBeVisible();
  await expect(noteItem.getByText(/^(Queued|Sending|Sent|Delivered)$/)).toHaveCount(0);

  // Close the ticket.
  await page.getByRole("button", { name: "Close ticket" }).click();
  const ticketView = page.getByRole("region", { name: shown });
  await expect(ticketView.getByText("Closed", { exact: true })).toBeVisible();
  await expect(ticketView.getByText(/This ticket is closed. Reopen it to reply here/)).toBeVisible();
  await expect(ticketView.getByRole("button", { name: "Reopen ticket" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Send" })).toHaveCount(0);
  await expect.poll(async () => (await desk.ticketFor(customer)).status).toBe("closed");

  // It is on the Closed tab now.
  await page.getByRole("tab", { name: /^Closed/ }).click();
  await expect(queueRow(page, shown)).toBeVisible();

  // The gateway got the confirmation and the reply, and never the note (give a stray send time to show up).
  await page.waitForTimeout(1_000);
  const toCustomer = (await desk.sent()).filter((sms) => sms.to === customer);
  expect(toCustomer.map((sms) => sms.body)).toEqual([confirmation.body, replyText]);
  expect((await desk.sent()).some((sms) => sms.body.includes(noteText))).toBe(false);
});

test("a failed delivery shows its reason and can be retried", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Frankie Failure");
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Are you open on Sunday?" });
  const ticket = await desk.ticketFor(customer);

  await signIn(page, agent);
  await page.goto(`/tickets/${ticket.id}`);
  const replyText = "Yes, from 10 am to 4 pm.";
  await page.getByRole("textbox", { name: "Reply" }).fill(replyText);
  await page.getByRole("button", { name: "Send" }).click();
  const sent = await desk.waitForSent((sms) => sms.to === customer && sms.body === replyText, "the reply");

  await desk.deliveryStatus({ sent, status: "failed", errorCode: "30003" });
  const replyItem = page.getByRole("log", { name: "Messages" }).getByRole("listitem").filter({ hasText: replyText });
  await expect(replyItem.getByText(/^Failed: .+/)).toBeVisible({ timeout: 8_000 });
  await expect(replyItem.getByText(/30003/)).toBeVisible();

  await replyItem.getByRole("button", { name: "Retry" }).click();
  await expect
    .poll(async () => (await desk.sent()).filter((sms) => sms.to === customer && sms.body === replyText).length, {
      message: "the retried reply reaches the gateway again",
    })
    .toBe(2);
  await expect(replyItem.getByText(/^Failed: /)).toHaveCount(0, { timeout: 8_000 });
});

test("an agent texts a new number from the number of ours they pick, and one that stopped being ours is refused", async ({ page, browser, desk }) => {
  // 555-01xx is fiction, and no customer of this run texts it: it is ours only while the settings list it.
  const extra = "+14155550142";
  const { sender_numbers: listedBefore } = await desk.api<{ sender_numbers: string[] }>("GET", "/api/settings");
  const agent = await desk.createUser("agent", "Nico Newtext");
  const customer = await desk.newNumber();
  const stranger = await desk.newNumber();
  try {
    // An admin adds the number in Settings (in a browser of their own).
    const adminContext = await browser.newContext();
    const adminWatch = await CspWatch.on(adminContext);
    try {
      const adminPage = await adminContext.newPage();
      await signIn(adminPage, desk.admin);
      await adminPage.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
      const senderNumbers = adminPage.getByRole("textbox", { name: "More numbers to send from" });
      await senderNumbers.fill([...listedBefore, "+1 (415) 555-0142"].join("\n"));
      await adminPage.getByRole("button", { name: "Save settings" }).click();
      await expect(adminPage.getByText("Settings saved.")).toBeVisible();
      // As the server stored it: E.164.
      await expect(senderNumbers).toHaveValue([...listedBefore, extra].join("\n"));
    } finally {
      await adminContext.close();
    }
    expect(adminWatch.violations, adminWatch.report() ?? "").toEqual([]);

    // The agent's "From" picker offers exactly our numbers, as people write them, the default chosen.
    const ours = await desk.api<NumberOfOurs[]>("GET", "/api/numbers");
    expect(ours.map((number) => number.number)).toContain(extra);
    expect(ours[0]).toMatchObject({ number: desk.ourNumber, default: true });
    await signIn(page, agent);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New conversation" }).click();
    const from = page.getByRole("combobox", { name: "From" });
    await expect(from.getByRole("option")).toHaveText(ours.map((number) => (number.default ? `${number.display} (default)` : number.display)));
    expect(await from.getByRole("option").evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value))).toEqual(
      ours.map((number) => number.number),
    );
    await expect(from).toHaveValue(desk.ourNumber);

    // Text the customer from the added number: it goes out from it, and the ticket is on it.
    await from.selectOption({ label: displayNumber(extra) });
    const text = "Hi! This is Acme: your repair is ready for pick-up.";
    await page.getByRole("textbox", { name: "To" }).fill(customer);
    await page.getByRole("textbox", { name: "Message" }).fill(text);
    await page.getByRole("button", { name: "Start conversation" }).click();
    const ticket = await desk.ticketFor(customer);
    await expect(page).toHaveURL(new RegExp(`/tickets/${ticket.id}$`));
    expect(ticket.channel_number).toBe(extra);
    await expect(page.getByRole("log", { name: "Messages" }).getByText(text)).toBeVisible();
    const sent = await desk.waitForSent((sms) => sms.to === customer && sms.body === text, "the new conversation's text");
    expect(sent.from).toBe(extra);

    // The picker only offers our numbers, so a refusal needs the list to change under it: the agent chooses the
    // added number, an admin takes it away, and the server refuses it with a sentence the agent can read.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "New conversation" }).click();
    await from.selectOption({ label: displayNumber(extra) });
    await page.getByRole("textbox", { name: "To" }).fill(stranger);
    await page.getByRole("textbox", { name: "Message" }).fill("Hello from a number that is no longer ours.");
    await desk.api("PUT", "/api/settings", { sender_numbers: listedBefore });
    await page.getByRole("button", { name: "Start conversation" }).click();
    await expect(page.getByRole("alert")).toContainText(`${extra} is not one of our numbers`);
    await expect(page).toHaveURL(/\/new$/);
    await page.waitForTimeout(500);
    expect((await desk.sent()).some((sms) => sms.to === stranger)).toBe(false);
  } finally {
    await desk.api("PUT", "/api/settings", { sender_numbers: listedBefore });
  }
});
