// Page helpers that find things the way a person does (roles and accessible names). The tests import them
// through fixtures.ts; the benchmark (bench/dashboard.ts) uses them too.

import { expect, type Locator, type Page } from "@playwright/test";

/** Signs in through the sign-in page and waits for the queue. */
export async function signIn(page: Page, user: { email: string; password: string }): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).not.toHaveURL(/\/sign-in/);
  await expect(page.getByRole("tab", { name: /^All/ })).toBeVisible();
}

/** "+14155551000" as the app shows it: "+1 415-555-1000". */
export function displayNumber(number: string): string {
  const match = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  if (!match) throw new Error(`not a NANP number: ${number}`);
  return `+1 ${match[1]}-${match[2]}-${match[3]}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The queue: the region named "Queue". */
export function queue(page: Page): Locator {
  return page.getByRole("region", { name: "Queue" });
}

/** The queue's row (a link) for a ticket whose name contains `label`: a contact name or a displayed number. */
export function queueRow(page: Page, label: string): Locator {
  return queue(page).getByRole("link", { name: new RegExp(escapeRegExp(label)) });
}

/** The open ticket's composer: the form with the "Send" button. */
export function composer(page: Page): Locator {
  return page.locator("form").filter({ has: page.getByRole("button", { name: "Send", exact: true }) });
}

/**
 * Switches the composer between a reply and an internal note. The app shows this as a toggle button
 * (aria-pressed) or a checkbox labelled "Internal note"; either works.
 */
export async function setInternalNote(page: Page, on: boolean): Promise<void> {
  const form = composer(page);
  const checkbox = form.getByRole("checkbox", { name: "Internal note" });
  if ((await checkbox.count()) > 0) {
    await checkbox.setChecked(on);
    return;
  }
  const toggle = form.getByRole("button", { name: "Internal note" });
  if ((await toggle.getAttribute("aria-pressed")) !== String(on)) await toggle.click();
  await expect(toggle).toHaveAttribute("aria-pressed", String(on));
}
