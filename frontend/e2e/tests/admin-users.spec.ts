// An admin adds an agent on the Users page; the agent can sign in and sees no admin navigation.

import { randomBytes } from "node:crypto";
import { CspWatch, expect, signIn, test } from "../harness/fixtures.ts";

test("an admin creates an agent, who can sign in and does not see admin navigation", async ({ page, browser, desk }) => {
  const agent = {
    name: "Bea Newhire",
    email: `bea.${randomBytes(3).toString("hex")}@example.com`,
    password: "bea-first-password",
  };

  await signIn(page, desk.admin);
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole("heading", { name: "Users", level: 1 })).toBeVisible();

  const form = page.getByRole("form", { name: "Add a user" });
  await form.getByLabel("Name").fill(agent.name);
  await form.getByLabel("Email").fill(agent.email);
  await form.getByLabel("Role").selectOption({ label: "Agent" });
  await form.getByLabel("Password").fill(agent.password);
  await form.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Added ${agent.name}` })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: agent.email })).toContainText("Agent");

  // The agent, in a browser of their own.
  const context = await browser.newContext();
  const agentWatch = await CspWatch.on(context);
  const agentPage = await context.newPage();
  try {
    await signIn(agentPage, agent);
    const agentNav = agentPage.getByRole("navigation", { name: "Main" });
    await expect(agentNav.getByRole("link", { name: /Queue/ })).toBeVisible();
    await expect(agentNav.getByText("Admin", { exact: true })).toHaveCount(0);
    for (const name of ["Users", "API tokens", "Canned replies", "Settings", "SMS simulator"]) {
      await expect(agentPage.getByRole("link", { name })).toHaveCount(0);
    }
    // And an admin page reached by address does not open for them.
    await agentPage.goto("/admin/users");
    await expect(agentPage.getByRole("form", { name: "Add a user" })).toHaveCount(0);
    await expect(agentPage.getByRole("heading", { name: /admins only/i })).toBeVisible();
  } finally {
    await context.close();
  }
  expect(agentWatch.violations, agentWatch.report() ?? "").toEqual([]);
});
