// What the tests use: `test` with a `desk` fixture (texts in and out of the stand-in gateway, the admin's API,
// fresh users and phone numbers), the page helpers (pages.ts) and the ones below. Import `test`, `expect` and
// the helpers from here.

import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import { test as base, expect, type Page, type TestInfo } from "@playwright/test";
import { ADMIN, ACCOUNT_SID, OUR_NUMBER, paths } from "./constants.ts";
import { sessionApi, tokenApi, type ApiCall, type Ticket } from "./api.ts";
import type { SentSms } from "./gateway.ts";
import { CspWatch } from "./csp.ts";
import { inboundSmsParams, postTwilio } from "./twilio.ts";

export { expect };
export type { SentSms };
export type { NumberOfOurs, Ticket } from "./api.ts";
export { composer, displayNumber, queueRow, setInternalNote, signIn } from "./pages.ts";
export { twilioSignature } from "./twilio.ts";
export { CspWatch } from "./csp.ts";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npx playwright test\` (its global setup sets it).`);
  return value;
}

export interface User {
  id: number;
  name: string;
  email: string;
  password: string;
  role: "admin" | "agent";
}


export class Desk {
  readonly baseUrl = env("E2E_BASE_URL");
  readonly gatewayUrl = env("E2E_GATEWAY_URL");
  private readonly adminApi = tokenApi(this.baseUrl, env("E2E_ADMIN_TOKEN"));
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
    return postTwilio(this.baseUrl, path, params);
  }

  /** A text from `from` to our number arrives through Twilio's inbound webhook. */
  async receiveSms({ from, body }: { from: string; body: string }): Promise<void> {
    const response = await this.postTwilio("/webhooks/twilio", inboundSmsParams({ from, body }));
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

  /** The stand-in gateway answers the next `times` texts to `to` with Twilio's 503 (smsdesk retries them). */
  async gatewayOutage({ to, times }: { to: string; times: number }): Promise<void> {
    const response = await fetch(`${this.gatewayUrl}/_e2e/outage`, { method: "POST", body: JSON.stringify({ to, times }) });
    expect(response.status).toBe(200);
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
    return this.adminApi<T>(method, path, body);
  }

  /**
   * Signs `user` in through the API (as the browser does: session cookie and CSRF token) and returns a caller
   * of the API as them, for setting up data written by someone other than the admin.
   */
  async apiAs(user: { email: string; password: string }): Promise<ApiCall> {
    return sessionApi(this.baseUrl, user);
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

export const test = base.extend<{ desk: Desk; cspWatch: CspWatch }>({
  // eslint-disable-next-line no-empty-pattern
  desk: async ({}, use) => {
    await use(new Desk());
  },
  // Every page of the test's browser context is watched for Content-Security-Policy violations, and any of them
  // fails the test, listed. (A context a test makes itself: watch it with `CspWatch.on` and check `report()`.)
  cspWatch: [
    async ({ context }, use) => {
      const watch = await CspWatch.on(context);
      await use(watch);
      expect(watch.violations, watch.report() ?? "").toEqual([]);
    },
    { auto: true },
  ],
  page: async ({ page }, use) => {
    // An alert or confirm from an XSS payload must not hang a test; record it so tests can assert on it.
    page.on("dialog", (dialog) => {
      void dialog.dismiss();
    });
    await use(page);
  },
});
