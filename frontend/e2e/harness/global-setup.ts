// Starts, once per run, what every test talks to: the stand-in Twilio gateway, and the real smsdesk server
// (target/debug/smsdesk) on a fresh SQLite database in a temporary directory, with an admin user and an admin
// API token made by its command line. Tests find them through E2E_* environment variables (Playwright hands
// the runner's environment to its workers). The function it returns is the global teardown.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN, ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, paths } from "./constants.ts";
import { startGateway } from "./gateway.ts";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Runs an smsdesk subcommand to completion; its stdout, or an error carrying its stderr. */
function cli(env: NodeJS.ProcessEnv, args: string[], input?: string): string {
  const result = spawnSync(paths.binary, args, { env, input, encoding: "utf8", timeout: 30_000 });
  if (result.status !== 0) {
    throw new Error(`smsdesk ${args.join(" ")} failed (${String(result.status ?? result.signal)}):\n${result.stderr}${result.error ? String(result.error) : ""}`);
  }
  return result.stdout;
}

/**
 * Copies the app's build into the run's directory, so that a rebuild of frontend/dist while the tests run
 * (someone working on the app) cannot pull it away from under the server. Retries while the build is
 * half-written: every asset index.html names must be there.
 */
async function snapshotFrontend(target: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    rmSync(target, { recursive: true, force: true });
    try {
      cpSync(paths.frontendDir, target, { recursive: true });
      const index = readFileSync(join(target, "index.html"), "utf8");
      const assets = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((match) => match[1] ?? "");
      if (assets.length > 0 && assets.every((asset) => existsSync(join(target, asset)))) return;
    } catch {
      // Being rewritten right now.
    }
    if (attempt === 20) throw new Error(`${paths.frontendDir} is not a complete build (index.html names assets that are missing)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function waitForHealth(url: string, server: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exited: string | null = null;
  server.once("exit", (code, signal) => {
    exited = `exited (${String(code ?? signal)})`;
  });
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "";
  throw new Error(`smsdesk did not become healthy at ${url}/healthz: ${exited ?? "timed out after 30 s"}\n--- ${logFile} ---\n${log}`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(paths.binary)) {
    throw new Error(`No smsdesk binary at ${paths.binary}: run \`cargo build --locked -p smsdesk\` (or scripts/e2e.sh).`);
  }
  if (!existsSync(join(paths.frontendDir, "index.html"))) {
    throw new Error(`No built app at ${paths.frontendDir}: run \`npm run build\` in frontend/ (or scripts/e2e.sh).`);
  }
  mkdirSync(paths.screenshots, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });

  const gateway = await startGateway({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const dataDir = mkdtempSync(join(tmpdir(), "smsdesk-e2e-"));
  const frontendDir = join(dataDir, "dist");
  await snapshotFrontend(frontendDir);
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: `sqlite://${join(dataDir, "e2e.db")}`,
    DATABASE_POOL_SIZE: "4",
    BIND_ADDR: `127.0.0.1:${port}`,
    PUBLIC_URL: baseUrl,
    FRONTEND_DIR: frontendDir,
    SMS_GATEWAY: "twilio",
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_API_BASE: gateway.url,
    TWILIO_PHONE_NUMBER: OUR_NUMBER,
    RUST_LOG: process.env.E2E_RUST_LOG ?? "info",
  };

  cli(env, ["migrate"]);
  cli(env, ["users", "add", "--email", ADMIN.email, "--name", ADMIN.name, "--role", "admin", "--password-stdin"], `${ADMIN.password}\n`);
  const token = cli(env, ["tokens", "create", "--email", ADMIN.email, "--name", "e2e harness"]).trim().split("\n").at(-1)?.trim() ?? "";
  if (!token) throw new Error("smsdesk tokens create printed no token");

  const logFile = join(paths.logs, "smsdesk.log");
  const log = createWriteStream(logFile);
  const server = spawn(paths.binary, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  try {
    await waitForHealth(baseUrl, server, logFile);
  } catch (error) {
    server.kill("SIGKILL");
    await gateway.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }

  process.env.E2E_BASE_URL = baseUrl;
  process.env.E2E_GATEWAY_URL = gateway.url;
  process.env.E2E_ADMIN_TOKEN = token;

  return async () => {
    if (server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server.once("exit", resolve));
      server.kill("SIGTERM");
      const timer = setTimeout(() => server.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await gateway.close();
    log.end();
    if (process.env.E2E_KEEP_DATA === "1") {
      console.log(`e2e: kept the database in ${dataDir}`);
    } else {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };
}
