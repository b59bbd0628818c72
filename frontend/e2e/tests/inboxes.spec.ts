// Inboxes and routing (issue 17): an admin makes an inbox for a number of ours with a member and round robin; a
// customer's text to it is assigned to that member; an agent who is not a member does not see the ticket.

import { randomInt } from "node:crypto";
import { CspWatch, displayNumber, expect, expectNoSeriousA11yViolations, queueRow, signIn, test } from "../harness/fixtures.ts";
import { inboundSmsParams } from "../harness/twilio.ts";

test("a round-robin inbox hands a new text to its member and hides it from other agents", async ({ page, browser, desk }, testInfo) => {
  const ana = await desk.createUser("agent", "Ana Inbox");
  const bo = await desk.createUser("agent", "Bo Outside");
  // A number of ours only this test uses (555-01xx is fiction; the desk's main number is 0100).
  const inboxNumber = `+14155550${String(150 + randomInt(40))}`;
  const inboxName = `Sales ${String(randomInt(1000))}`;

  await signIn(page, desk.admin);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Inboxes" }).click();
  await expect(page.getByRole("heading", { name: "Inboxes", level: 1 })).toBeVisible();
  const form = page.getByRole("form", { name: "Add an inbox" });
  await form.getByLabel("Number of ours").fill(inboxNumber);
  await form.getByLabel("Name").fill(inboxName);
  await form.getByLabel("Assignment").selectOption("round_robin");
  await form.getByRole("checkbox", { name: ana.name }).check();
  await form.getByRole("button", { name: "Add inbox" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Added ${inboxName}` })).toBeVisible();
  const row = page.getByRole("listitem").filter({ hasText: inboxName });
  await expect(row).toContainText(`${displayNumber(inboxNumber)} · ${ana.name}`);
  await expect(row).toContainText("Round robin");
  await expectNoSeriousA11yViolations(page, testInfo, "inboxes");

  // A customer texts the inbox's number; another texts the main number (shared by everyone).
  const customer = await desk.newNumber();
  const response = await desk.postTwilio("/webhooks/twilio", { ...inboundSmsParams({ from: customer, body: "Do you sell gift cards?" }), To: inboxNumber });
  expect(response.status).toBe(200);
  const other = await desk.newNumber();
  await desk.receiveSms({ from: other, body: "A question for everyone" });
  const ticket = await desk.ticketFor(customer);
  expect(ticket.assignee_id, "round robin handed it to the only member").toBe(ana.id);

  for (const [agent, sees] of [[ana, true], [bo, false]] as const) {
    const context = await browser.newContext();
    const watch = await CspWatch.on(context);
    const agentPage = await context.newPage();
    try {
      await signIn(agentPage, agent);
      await agentPage.getByRole("tab", { name: /^All/ }).click();
      await expect(queueRow(agentPage, displayNumber(other))).toBeVisible();
      await expect(queueRow(agentPage, displayNumber(customer))).toHaveCount(sees ? 1 : 0);
      if (sees) await expect(queueRow(agentPage, displayNumber(customer))).toContainText(inboxName);
      // The header's Online switch works from the keyboard.
      const online = agentPage.getByRole("switch", { name: "Online" });
      await expect(online).toBeChecked();
      await online.focus();
      await agentPage.keyboard.press("Space");
      await expect(online).not.toBeChecked();
      await expectNoSeriousA11yViolations(agentPage, testInfo, `queue-${sees ? "member" : "outsider"}`);
    } finally {
      await context.close();
    }
    expect(watch.violations, watch.report() ?? "").toEqual([]);
  }
});
