// Fixed values the harness and the tests share.

import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const e2eDir = resolve(here, "..");
const repoRoot = resolve(e2eDir, "../..");

export const paths = {
  e2eDir,
  repoRoot,
  /** The debug build: `cargo build --locked -p smsdesk`. */
  binary: process.env.SMSDESK_BIN ?? resolve(repoRoot, "target/debug/smsdesk"),
  /** The app's build output, which smsdesk serves at /. */
  frontendDir: process.env.E2E_FRONTEND_DIR ?? resolve(repoRoot, "frontend/dist"),
  screenshots: resolve(repoRoot, "docs/screenshots"),
  logs: resolve(e2eDir, ".logs"),
};

/** Any "AC" + 32 hex digits will do: the stand-in gateway only checks that smsdesk sends it back. */
export const ACCOUNT_SID = "AC00000000000000000000000000000000";
export const AUTH_TOKEN = "e2e-twilio-auth-token";
/** Our Twilio number: customers text it, replies come from it. */
export const OUR_NUMBER = "+14155550100";

/** Debian's Chromium (Playwright never downloads a browser here) and the switches every run gives it. */
export const chromiumLaunchOptions = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

/** Made with `smsdesk users add` before the server starts. */
export const ADMIN = { email: "admin@example.com", name: "Ada Admin", password: "correct-horse-battery" } as const;
