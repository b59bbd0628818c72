// The server's Content-Security-Policy, from the browser's side. Every test fails on a violation (the `cspWatch`
// fixture); this file checks that the watch does see one, and that the API docs (Swagger UI) work under the
// policy.

import { chromium } from "@playwright/test";
import { chromiumLaunchOptions } from "../harness/constants.ts";
import { CspWatch, expect, test } from "../harness/fixtures.ts";

test("the CSP watch reports an inline script that the policy blocks", async ({ browser }) => {
  // A context of its own, so that the violation is this watch's and not the test's.
  const context = await browser.newContext();
  try {
    const watch = await CspWatch.on(context);
    const page = await context.newPage();
    const response = await page.goto("/sign-in");
    expect(response?.headers()["content-security-policy"]).toContain("script-src 'self'");
    await page.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = "document.body.dataset.inlineScriptRan = 'yes';";
      document.body.append(script);
    });
    await expect.poll(() => watch.violations.join("\n")).toMatch(/script-src/);
    expect(await page.evaluate(() => document.body.dataset.inlineScriptRan)).toBeUndefined();
    expect(watch.report()).toContain("Content-Security-Policy violations");
  } finally {
    await context.close();
  }
});

test("the API docs render under the CSP and can call the API", async ({ page }) => {
  const response = await page.goto("/api/docs/");
  expect(response?.status()).toBe(200);
  const headers = response?.headers() ?? {};
  expect(headers["content-security-policy"]).toContain("script-src 'self'");
  expect(headers["x-frame-options"]).toBe("DENY");

  await expect(page.getByRole("heading", { name: /^smsdesk/ })).toBeVisible();
  const listTickets = page.locator(".opblock").filter({ has: page.locator('[data-path="/api/tickets"]') }).filter({ hasText: "GET" });
  await expect(listTickets).toBeVisible();

  // Open the operation and call it: without a token the server answers 401, which Swagger UI shows.
  await listTickets.locator(".opblock-summary").click();
  await listTickets.getByRole("button", { name: "Try it out" }).click();
  await listTickets.getByRole("button", { name: "Execute" }).click();
  await expect(listTickets.locator(".live-responses-table tbody .response-col_status").first()).toHaveText(/401/);
});

// Swagger UI shows an "online validator" badge unless the docs are on localhost or 127.0.0.1, or the server
// turns it off (it does: `validator_url("none")`): an image from https://validator.swagger.io/validator?url=<our
// openapi.json>, which `img-src 'self' data:` blocks and which would tell a third party where our API docs are.
// So the docs are opened on a host name that maps to this machine; nothing leaves it (the context aborts
// requests elsewhere).
test("the API docs on a host name that is not loopback break no CSP rule", async ({ baseURL }) => {
  const port = new URL(baseURL ?? "").port;
  const browser = await chromium.launch({
    ...chromiumLaunchOptions,
    args: [...chromiumLaunchOptions.args, "--host-resolver-rules=MAP docs.smsdesk.test 127.0.0.1"],
  });
  try {
    const context = await browser.newContext();
    await context.route("**/*", (route) => (new URL(route.request().url()).hostname === "docs.smsdesk.test" ? route.continue() : route.abort()));
    const watch = await CspWatch.on(context);
    const page = await context.newPage();
    await page.goto(`http://docs.smsdesk.test:${port}/api/docs/`);
    await expect(page.locator('[data-path="/api/tickets"]').first()).toBeVisible();
    // The badge comes with the spec's first render; give its image a moment.
    await page.waitForTimeout(500);
    expect(watch.violations, watch.report() ?? "").toEqual([]);
  } finally {
    await browser.close();
  }
});
