// Starts, once per run, what every test talks to: the stand-in Twilio gateway, and the real smsdesk server
// (target/debug/smsdesk) on a fresh SQLite database in a temporary directory, with an admin user and an admin
// API token made by its command line (harness/server.ts). Tests find them through E2E_* environment variables
// (Playwright hands the runner's environment to its workers). The function it returns is the global teardown.

import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { ADMIN, ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, paths } from "./constants.ts";
import { startGateway } from "./gateway.ts";
import { startSmsdesk } from "./server.ts";

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(paths.binary)) {
    throw new Error(`No smsdesk binary at ${paths.binary}: run \`cargo build --locked -p smsdesk\` (or scripts/e2e.sh).`);
  }
  if (!existsSync(join(paths.frontendDir, "index.html"))) {
    throw new Error(`No built app at ${paths.frontendDir}: run \`npm run build\` in frontend/ (or scripts/e2e.sh).`);
  }
  mkdirSync(paths.screenshots, { recursive: true });

  const gateway = await startGateway({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const server = await startSmsdesk({
    binary: paths.binary,
    frontendDir: paths.frontendDir,
    label: "e2e",
    env: {
      DATABASE_POOL_SIZE: "4",
      SMS_GATEWAY: "twilio",
      TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: AUTH_TOKEN,
      TWILIO_API_BASE: gateway.url,
      TWILIO_PHONE_NUMBER: OUR_NUMBER,
      RUST_LOG: process.env.E2E_RUST_LOG ?? "info",
    },
    users: [{ ...ADMIN, role: "admin" }],
    tokenFor: ADMIN.email,
    logFile: join(paths.logs, "smsdesk.log"),
    keepData: process.env.E2E_KEEP_DATA === "1",
  }).catch(async (error: unknown) => {
    await gateway.close();
    throw error;
  });

  process.env.E2E_BASE_URL = server.baseUrl;
  process.env.E2E_GATEWAY_URL = gateway.url;
  process.env.E2E_ADMIN_TOKEN = server.token;

  return async () => {
    await server.stop();
    await gateway.close();
  };
}
