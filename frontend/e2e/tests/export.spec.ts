// Issue 17 (point 8): an admin downloads the queue as CSV with the filters on screen (here a tag), and the file
// holds those tickets only, numbers in E.164; agents are not offered the export.

import { readFile } from "node:fs/promises";

import { expect, expectNoSeriousA11yViolations, signIn, test } from "../harness/fixtures.ts";

test("an admin exports the filtered queue as CSV", async ({ page, desk }, testInfo) => {
  const tag = `export${String(Date.now()).slice(-6)}`;
  const [tagged, other] = [await desk.newNumber(), await desk.newNumber()];
  await desk.receiveSms({ from: tagged, body: "Where is my refund?" });
  await desk.receiveSms({ from: other, body: "Just saying hi" });
  const ticket = await desk.ticketFor(tagged);
  if (!ticket) throw new Error("a ticket for the tagged customer");
  await desk.api("PATCH", `/api/tickets/${String(ticket.id)}`, { tags: [tag], priority: "high" });

  await signIn(page, desk.admin);
  await page.getByRole("tab", { name: /^All/ }).click();
  await page.getByRole("combobox", { name: "Tag", exact: true }).selectOption(tag);
  await expect(page.getByRole("region", { name: "Queue" }).locator("a[data-ticket-id]")).toHaveCount(1);

  await page.getByText("Export CSV").click();
  const link = page.getByRole("link", { name: "Tickets", exact: true });
  await expect(link).toHaveAttribute("href", new RegExp(`tag=${tag}`));
  await expectNoSeriousA11yViolations(page, testInfo, "export-menu");
  const downloading = page.waitForEvent("download");
  await link.click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^tickets-\d{4}-\d{2}-\d{2}\.csv$/);
  const path = await download.path();
  const lines = (await readFile(path, "utf8")).trim().split("\r\n");
  expect(lines[0]).toContain("id,status,customer_number");
  expect(lines).toHaveLength(2);
  expect(lines[1]).toContain(`${String(ticket.id)},open,${tagged}`);
  expect(lines[1]).toContain(",high,");
  expect(lines[1]).toContain(tag);
});
