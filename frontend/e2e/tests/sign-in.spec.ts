// Signing in: a wrong password is refused with a visible error and the page stays put; the right one works.

import { expect, signIn, test } from "../harness/fixtures.ts";

test("a wrong password shows an error and stays on the sign-in page", async ({ page, desk }) => {
  await page.goto("/");
  // Not signed in: the app sends us to the sign-in page.
  await expect(page).toHaveURL(/\/sign-in/);

  await page.getByLabel("Email").fill(desk.admin.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();

  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByRole("alert")).not.toBeEmpty();
  await expect(page).toHaveURL(/\/sign-in/);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("tab", { name: /^All/ })).toHaveCount(0);
  // The password field is still there to try again; no session cookie was handed out.
  await expect(page.getByLabel("Password")).toBeVisible();
  const me = await page.request.get("/api/me");
  expect(me.status()).toBe(401);
});

test("the right password signs in, and signing out returns to the sign-in page", async ({ page, desk }) => {
  await signIn(page, desk.admin);
  await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in/);
});
