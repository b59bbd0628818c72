// End-to-end tests: Debian's Chromium (never a downloaded browser) against one real smsdesk server with a
// fresh SQLite database and a stand-in Twilio, both started by harness/global-setup.ts. Tests run one at a
// time and keep their data apart by using phone numbers and users of their own.
// Run them with scripts/e2e.sh from the repository root (it builds what is missing first).

import { defineConfig } from "@playwright/test";
import { chromiumLaunchOptions } from "./harness/constants.ts";

export default defineConfig({
  testDir: "tests",
  globalSetup: "./harness/global-setup.ts",
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  // The whole run should take well under two minutes; one test never needs more than this.
  timeout: 45_000,
  globalTimeout: 5 * 60_000,
  expect: { timeout: 7_000 },
  reporter: process.env.CI ? [["list"], ["github"]] : [["list"]],
  outputDir: "test-results",
  use: {
    // Set by the global setup; Playwright's workers inherit it.
    baseURL: process.env.E2E_BASE_URL,
    viewport: { width: 1280, height: 800 },
    locale: "en-US",
    timezoneId: "UTC",
    colorScheme: "light",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    launchOptions: chromiumLaunchOptions,
  },
  projects: [{ name: "chromium", use: { browserName: "chromium" } }],
});
