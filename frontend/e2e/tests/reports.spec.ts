// Reports (issue 18, point 2): a customer texts in, an agent of the test's own answers and writes a note; an admin
// opens Reports, filters by that agent, reads the tiles and the agents table, downloads the agents as CSV, opens a
// chart's table, and axe finds nothing serious. docs/screenshots/reports.png is taken here (overwritten each run).

import { readFile } from "node:fs/promises";

import { expect, expectNoSeriousA11yViolations, saveScreenshot, signIn, test } from "../harness/fixtures.ts";

test("an admin reads an agent's figures on Reports and downloads them as CSV", async ({ page, desk }, testInfo) => {
  const agent = await desk.createUser("agent", `Rita Reports ${String(Date.now()).slice(-5)}`);
  const asAgent = await desk.apiAs(agent);
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Hi, can I move my appointment to Friday?" });
  const ticket = await desk.ticketFor(customer);
  await desk.api("PATCH", `/api/tickets/${String(ticket.id)}`, { assignee_id: agent.id });
  await asAgent("POST", `/api/tickets/${String(ticket.id)}/messages`, { body: "Of course: Friday at 10 works. See you then!" });
  await asAgent("POST", `/api/tickets/${String(ticket.id)}/messages`, { body: "Moved in the calendar.", internal: true });

  await signIn(page, desk.admin);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reports" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reports" })).toBeVisible();
  await expect(page.getByRole("radio", { name: "7 days" })).toBeChecked();

  // The agent's row in the agents table: one ticket assigned, one reply, none closed.
  const agents = page.getByRole("region", { name: "Agents", exact: true });
  const row = agents.getByRole("row").filter({ hasText: agent.name });
  await expect(row.getByRole("cell")).toHaveText(["1", "1", /^\d+ s$|^\d+ min$/, "0"]);

  // Their figures: the summary for one agent.
  await page.getByRole("combobox", { name: "Agent" }).selectOption({ label: agent.name });
  await expect(page).toHaveURL(new RegExp(`agent=${String(agent.id)}`));
  const tile = (label: string) => page.locator("dl > div").filter({ has: page.getByRole("term").filter({ hasText: new RegExp(`^${label.replace(/[()]/g, "\\$&")}$`) }) });
  await expect(tile("Replies").getByRole("definition").first()).toHaveText("1");
  await expect(tile("Notes").getByRole("definition").first()).toHaveText("1");
  await expect(tile("New tickets").getByRole("definition").first()).toHaveText("1");
  await expect(tile("Inbound texts")).toContainText("Not counted per agent");
  await expect(tile("Open now").getByRole("definition")).toHaveText(["1", "0 pending"]);

  // A chart's figures as a table.
  const volume = page.getByRole("figure", { name: "Volume" });
  await expect(volume.getByRole("img")).toHaveAttribute("aria-label", /1 new tickets, 1 replies in all/);
  await volume.getByText("Show table").click();
  await expect(volume.getByRole("row")).toHaveCount(8);

  // The agents table as CSV.
  const downloading = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download CSV of the agents" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^smsdesk-agents-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  const lines = (await readFile(await download.path(), "utf8")).split("\r\n");
  expect(lines[0]).toBe("agent_id,agent,assigned_tickets,outbound_replies,first_response_median_seconds,closed_tickets");
  expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${String(agent.id)},${agent.name},1,1,\\d+,0$`)));

  await expectNoSeriousA11yViolations(page, testInfo, "reports");

  // Everyone's figures for the screenshot, by the hour of today.
  await page.getByRole("combobox", { name: "Agent" }).selectOption({ label: "Everyone" });
  await page.getByRole("radio", { name: "Today" }).check();
  await expect(page.getByRole("radio", { name: "Hour" })).toBeChecked();
  await expect(page.getByRole("figure", { name: "Volume" }).getByRole("img")).toHaveAttribute("aria-label", /by hour/);
  await expectNoSeriousA11yViolations(page, testInfo, "reports-today");
  await page.mouse.move(0, 0);
  await saveScreenshot(page, "reports");
});

test("an agent sees their own row of the agents table only, and no agent filter", async ({ page, desk }, testInfo) => {
  const agent = await desk.createUser("agent", `Omar Own ${String(Date.now()).slice(-5)}`);
  const customer = await desk.newNumber();
  await desk.receiveSms({ from: customer, body: "Is the shop open on Sunday?" });
  const ticket = await desk.ticketFor(customer);
  await desk.api("PATCH", `/api/tickets/${String(ticket.id)}`, { assignee_id: agent.id });

  await signIn(page, agent);
  await page.goto("/reports");
  const mine = page.getByRole("region", { name: "Your figures", exact: true });
  await expect(mine.getByRole("row")).toHaveCount(2);
  await expect(mine.getByRole("row").nth(1)).toContainText(agent.name);
  await expect(page.getByRole("combobox", { name: "Agent" })).toHaveCount(0);
  await expect(page.getByRole("combobox", { name: "Inbox" })).toBeVisible();
  await expectNoSeriousA11yViolations(page, testInfo, "reports-agent");
});
