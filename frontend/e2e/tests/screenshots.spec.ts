// The README's screenshots, taken from a real run at 1280x800: docs/screenshots/queue.png, thread.png and
// composer.png (overwritten each run). The tickets belong to an agent of their own, and the queue is shown on
// the "Mine" tab, so other tests' tickets never appear in them.

import { composer, displayNumber, expect, queueRow, saveScreenshot, signIn, test, type Desk, type User } from "../harness/fixtures.ts";
import { inboundSmsParams } from "../harness/twilio.ts";

interface Conversation {
  name: string;
  texts: string[];
}

/** A customer texts in; their contact gets a name and the ticket goes to `agent`. Returns the ticket id. */
async function seed(desk: Desk, agent: User, conversation: Conversation): Promise<{ id: number; number: string }> {
  const number = await desk.newNumber();
  for (const body of conversation.texts) await desk.receiveSms({ from: number, body });
  const ticket = await desk.ticketFor(number);
  if (ticket.contact) await desk.api("PATCH", `/api/contacts/${ticket.contact.id}`, { name: conversation.name });
  await desk.api("PATCH", `/api/tickets/${ticket.id}`, { assignee_id: agent.id });
  return { id: ticket.id, number };
}

test("screenshots of the queue, a thread and the composer", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Sam Rivera");
  const asAgent = await desk.apiAs(agent);

  await seed(desk, agent, { name: "Priya Natarajan", texts: ["Is the blue jacket back in stock in size M?"] });
  await seed(desk, agent, { name: "Tom Becker", texts: ["I was charged twice for order 4471. Can you refund one?"] });
  const main = await seed(desk, agent, {
    name: "Maria Gonzalez",
    texts: ["Hi! My package was supposed to arrive yesterday but it's still not here. Order 5521."],
  });

  // The main thread: the customer's text, our reply (delivered), an internal note, and the customer's answer.
  const reply = "Sorry about the wait, Maria! The courier says it is at the local depot: it should reach you today before 6 pm.";
  await asAgent("POST", `/api/tickets/${main.id}/messages`, { body: reply });
  await desk.waitForSent((sms) => sms.to === main.number && sms.body === reply, "the reply");
  // Both texts to Maria (the automatic confirmation and the reply) reach her phone.
  for (const sent of (await desk.sent()).filter((sms) => sms.to === main.number)) {
    await desk.deliveryStatus({ sent, status: "delivered" });
  }
  await asAgent("POST", `/api/tickets/${main.id}/messages`, {
    body: "Courier confirmed the delay on their side. If it is not there tomorrow, refund the shipping.",
    internal: true,
  });
  await desk.receiveSms({ from: main.number, body: "Great, thank you so much!" });
  await seed(desk, agent, { name: "Kenji Watanabe", texts: ["Do you deliver on Saturdays?"] });
  const anonymous = await desk.newNumber();
  await desk.receiveSms({ from: anonymous, body: "hello, how do I reset my password for the app?" });
  const anonymousTicket = await desk.ticketFor(anonymous);
  await desk.api("PATCH", `/api/tickets/${anonymousTicket.id}`, { assignee_id: agent.id });

  await signIn(page, agent);
  await page.getByRole("tab", { name: /^Mine/ }).click();
  await expect(page.getByRole("tab", { name: /^Mine/ })).toHaveAttribute("aria-selected", "true");
  for (const name of ["Priya Natarajan", "Tom Becker", "Maria Gonzalez", "Kenji Watanabe", displayNumber(anonymous)]) {
    await expect(queueRow(page, name)).toBeVisible();
  }
  await page.mouse.move(0, 0);
  await saveScreenshot(page, "queue");

  await queueRow(page, "Maria Gonzalez").click();
  const thread = page.getByRole("log", { name: "Messages" });
  await expect(thread.getByText("Great, thank you so much!")).toBeVisible();
  await expect(thread.getByRole("listitem").filter({ hasText: reply }).getByText("Delivered", { exact: true })).toBeVisible();
  await expect(thread.getByText(/Internal note/).first()).toBeVisible();
  await page.mouse.move(0, 0);
  await saveScreenshot(page, "thread");

  // A draft long enough for two segments; the composer shows what it costs.
  const draft =
    "Glad to hear it, Maria! As a thank-you for your patience we have added a 10% discount code to your account: " +
    "SORRY10. It works on your next order and is valid for the next 30 days.";
  const box = page.getByRole("textbox", { name: "Reply" });
  await box.fill(draft);
  await expect(composer(page).getByText(/\b2 segments\b/)).toBeVisible();
  await box.focus();
  await saveScreenshot(page, "composer");
});

// docs/screenshots/customer-panel.png: a named customer with notes, today's ticket and an earlier one.
test("screenshot of the customer panel beside a thread", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Sam Rivera");
  const number = await desk.newNumber();
  // An earlier conversation on our second number, closed, and today's on the main one.
  const earlier = { ...inboundSmsParams({ from: number, body: "Hi! Do you have the linen shirt in navy, size L?" }), To: "+14155550199" };
  expect((await desk.postTwilio("/webhooks/twilio", earlier)).status).toBe(200);
  const first = await desk.ticketFor(number);
  await desk.api("PATCH", `/api/tickets/${first.id}`, { status: "closed" });
  await desk.receiveSms({ from: number, body: "Hello again! The shirt arrived but the sleeves are too long. Can I exchange it for an M?" });
  const ticket = await desk.ticketFor(number);
  await desk.api("PATCH", `/api/contacts/by-number/${encodeURIComponent(number)}`, {
    name: "Aiko Tanaka",
    notes: "Regular since 2024. Prefers exchanges over refunds; happy to be texted in the evening.",
  });
  await desk.api("PATCH", `/api/tickets/${ticket.id}`, { assignee_id: agent.id });

  await signIn(page, agent);
  await page.goto(`/tickets/${ticket.id}`);
  const panel = page.getByRole("region", { name: "Customer" });
  await expect(panel.getByText("Aiko Tanaka", { exact: true })).toBeVisible();
  await expect(panel.getByRole("link", { name: new RegExp(`Ticket #${first.id}\\b`) })).toBeVisible();
  await page.mouse.move(0, 0);
  await saveScreenshot(page, "customer-panel");
});

test("screenshot of a ticket's timeline among its messages", async ({ page, desk }) => {
  const agent = await desk.createUser("agent", "Sam Rivera");
  const lead = await desk.createUser("agent", "Noor Haddad");
  const asLead = await desk.apiAs(lead);
  const asAgent = await desk.apiAs(agent);
  const number = await desk.newNumber();
  await desk.receiveSms({ from: number, body: "My parcel says delivered but nothing is here. Order 8812." });
  const ticket = await desk.ticketFor(number);
  await desk.api("PATCH", `/api/contacts/by-number/${encodeURIComponent(number)}`, { name: "Lena Vogel" });
  await asLead("PATCH", `/api/tickets/${ticket.id}`, { assignee_id: agent.id });
  await asAgent("POST", `/api/tickets/${ticket.id}/messages`, { body: "Sorry, Lena! I have asked the courier to check. Is your neighbour at number 12 home?" });
  await asAgent("PATCH", `/api/tickets/${ticket.id}`, { status: "pending" });
  await desk.receiveSms({ from: number, body: "Found it next door. Thank you!" });
  await asAgent("PATCH", `/api/tickets/${ticket.id}`, { status: "closed" });
  await asAgent("PATCH", `/api/tickets/${ticket.id}`, { status: "open" });

  await signIn(page, agent);
  await page.goto(`/tickets/${ticket.id}`);
  const thread = page.getByRole("log", { name: "Messages" });
  await expect(thread.getByText("Sam Rivera reopened it as Open")).toBeVisible();
  await expect(thread.getByText("Noor Haddad assigned it to Sam Rivera")).toBeVisible();
  await page.mouse.move(0, 0);
  await saveScreenshot(page, "timeline");
});
