// What the tests use: `test` with a `desk` fixture (texts in and out of the stand-in gateway, the admin's API,
// fresh users and phone numbers) and the page helpers below. Import `test` and `expect` from here.

import { createHmac, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Locator, type Page, type TestInfo } from "@playwright/test";
import { ADMIN, ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, paths } from "./constants.ts";
import { newMessageSid, type SentSms } from "./gateway.ts";

export { expect };
export type { SentSms };

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npx playwright test\` (its global setup sets it).`);
  return value;
}

/** Twilio's X-Twilio-Signature: base64(HMAC-SHA1(auth token, url + each param name and value, sorted by name)). */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, name) => text + name + params[name], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

export interface User {
  id: number;
  name: string;
  email: string;
  password: string;
  role: "admin" | "agent";
}

export interface Ticket {
  id: number;
  customer_number: string;
  customer_number_display: string;
  status: "open" | "pending" | "closed";
  assignee_id: number | null;
  contact: { id: number; name: string | null } | null;
}

export class Desk {
  readonly baseUrl = env("E2E_BASE_URL");
  readonly gatewayUrl = env("E2E_GATEWAY_URL");
  private readonly token = env("E2E_ADMIN_TOKEN");
  readonly admin: User = { id: 0, role: "admin", ...ADMIN };
  readonly ourNumber = OUR_NUMBER;

  /** A customer number no other test of this run uses. */
  async newNumber(): Promise<string> {
    const response = await fetch(`${this.gatewayUrl}/_e2e/numbers`, { method: "POST" });
    const { number } = (await response.json()) as { number: string };
    return number;
  }

  /** Posts a signed Twilio webhook to smsdesk, as Twilio would; returns the response. */
  async postTwilio(path: string, params: Record<string, string>): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    return fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": twilioSignature(AUTH_TOKEN, url, params),
        "User-Agent": "TwilioProxy/1.1",
      },
      body: new URLSearchParams(params).toString(),
    });
  }

  /** A text from `from` to our number arrives through Twilio's inbound webhook. */
  async receiveSms({ from, body }: { from: string; body: string }): Promise<void> {
    const sid = newMessageSid();
    const response = await this.postTwilio("/webhooks/twilio", {
      AccountSid: ACCOUNT_SID,
      ApiVersion: "2010-04-01",
      Body: body,
      From: from,
      MessageSid: sid,
      NumMedia: "0",
      NumSegments: "1",
      SmsMessageSid: sid,
      SmsSid: sid,
      SmsStatus: "received",
      To: OUR_NUMBER,
    });
    expect(response.status, `inbound webhook: ${await response.clone().text()}`).toBe(200);
    expect(response.headers.get("content-type") ?? "").toContain("text/xml");
  }

  /** Twilio's status callback for a text the stand-in gateway accepted (by the sid it answered with). */
  async deliveryStatus({ sent, status, errorCode }: { sent: SentSms; status: string; errorCode?: string }): Promise<void> {
    const params: Record<string, string> = {
      AccountSid: ACCOUNT_SID,
      ApiVersion: "2010-04-01",
      From: sent.from,
      MessageSid: sent.sid,
      MessageStatus: status,
      SmsSid: sent.sid,
      SmsStatus: status,
      To: sent.to,
    };
    if (errorCode) params.ErrorCode = errorCode;
    const response = await this.postTwilio("/webhooks/twilio/status", params);
    expect(response.status, `status callback: ${await response.clone().text()}`).toBeLessThan(300);
  }

  /** Every text smsdesk handed to the stand-in gateway so far, oldest first. */
  async sent(): Promise<SentSms[]> {
    const response = await fetch(`${this.gatewayUrl}/_e2e/sent`);
    return (await response.json()) as SentSms[];
  }

  /** Waits (up to `timeout` ms) for the gateway to receive a text that matches; returns it. */
  async waitForSent(match: (sms: SentSms) => boolean, description: string, timeout = 10_000): Promise<SentSms> {
    let found: SentSms | undefined;
    await expect
      .poll(
        async () => {
          found = (await this.sent()).find(match);
          return found !== undefined;
        },
        { message: `the stand-in gateway receives ${description}`, timeout, intervals: [100, 250, 500] },
      )
      .toBe(true);
    return found as SentSms;
  }

  /** Calls smsdesk's API with the admin's API token; returns the parsed JSON (or null for 204). */
  async api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /**
   * Signs `user` in through the API (as the browser does: session cookie and CSRF token) and returns a caller
   * of the API as them, for setting up data written by someone other than the admin.
   */
  async apiAs(user: { email: string; password: string }): Promise<<T = unknown>(method: string, path: string, body?: unknown) => Promise<T>> {
    const response = await fetch(`${this.baseUrl}/api/session`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    if (!response.ok) throw new Error(`signing in ${user.email} answered ${response.status}: ${await response.text()}`);
    const cookie = (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const { csrf_token: csrf } = (await response.json()) as { csrf_token: string };
    return async <T,>(method: string, path: string, body?: unknown): Promise<T> => {
      const answer = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          Cookie: cookie,
          "X-CSRF-Token": csrf,
          ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await answer.text();
      if (!answer.ok) throw new Error(`${method} ${path} as ${user.email} answered ${answer.status}: ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    };
  }

  /** A new user with a password, made through the API. */
  async createUser(role: "admin" | "agent", name: string): Promise<User> {
    const email = `${name.toLowerCase().replace(/[^a-z]+/g, ".")}.${randomBytes(3).toString("hex")}@example.com`;
    const password = `pw-${randomBytes(9).toString("hex")}`;
    const user = await this.api<{ id: number }>("POST", "/api/users", { email, name, role, password });
    return { id: user.id, name, email, password, role };
  }

  /** The open ticket of a customer number, once the server has filed their text. */
  async ticketFor(number: string): Promise<Ticket> {
    let ticket: Ticket | undefined;
    await expect
      .poll(async () => {
        const list = await this.api<{ tickets: Ticket[] }>("GET", `/api/tickets?status=all&customer_number=${encodeURIComponent(number)}`);
        ticket = list.tickets.find((t) => t.customer_number === number);
        return ticket !== undefined;
      }, { message: `a ticket exists for ${number}`, timeout: 10_000 })
      .toBe(true);
    return ticket as Ticket;
  }
}

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

/** The queue's row (a link) for a ticket whose name contains `label`: a contact name or a displayed number. */
export function queueRow(page: Page, label: string): Locator {
  return page.getByRole("region", { name: "Queue" }).getByRole("link", { name: new RegExp(escapeRegExp(label)) });
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

/** Fails on axe violations of impact serious or critical; attaches the full report to the test. */
export async function expectNoSeriousA11yViolations(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: "application/json" });
  const serious = results.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const summary = serious
    .map((v) => `- [${v.impact ?? "?"}] ${v.id}: ${v.help} (${v.helpUrl})\n${v.nodes.map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.replace(/\n/g, " ") ?? ""}`).join("\n")}`)
    .join("\n");
  const lesser = results.violations.filter((v) => !serious.includes(v));
  if (lesser.length > 0) {
    console.log(`axe on ${name}: ${lesser.map((v) => `${v.id} (${v.impact ?? "?"}, ${v.nodes.length}×)`).join(", ")} (not failing: below serious)`);
  }
  expect(serious, `axe found serious/critical violations on ${name}:\n${summary}`).toEqual([]);
}

/** Saves a viewport screenshot as docs/screenshots/<name>.png (overwritten each run). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const file = join(paths.screenshots, `${name}.png`);
  const image = await page.screenshot({ animations: "disabled", caret: "hide" });
  writeFileSync(file, image);
}

export const test = base.extend<{ desk: Desk }>({
  // eslint-disable-next-line no-empty-pattern
  desk: async ({}, use) => {
    await use(new Desk());
  },
  page: async ({ page }, use) => {
    // An alert or confirm from an XSS payload must not hang a test; record it so tests can assert on it.
    page.on("dialog", (dialog) => {
      void dialog.dismiss();
    });
    await use(page);
  },
});
