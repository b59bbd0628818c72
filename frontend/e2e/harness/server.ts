// Runs the real smsdesk server for the e2e tests and the dashboard benchmark: a fresh SQLite database in a
// temporary directory, users (and an API token) made with its command line, `smsdesk serve` on a free port
// with a copy of the app's build, and a stop function that ends it and removes the directory.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface SmsdeskUser {
  email: string;
  name: string;
  role: "admin" | "agent";
  password: string;
}

export interface SmsdeskOptions {
  /** The server binary (a debug build for the tests, a release build for the benchmark). */
  binary: string;
  /** The app's build output, copied into the run's directory and served at /. */
  frontendDir: string;
  /** Names the temporary directory and the log lines: "e2e", "bench". */
  label: string;
  /** The gateway's and anything else's settings, on top of the database, address and app ones. */
  env: Record<string, string>;
  /** Made with `smsdesk users add` before the server starts. */
  users: SmsdeskUser[];
  /** The user (one of `users`) who gets an API token from `smsdesk tokens create`. */
  tokenFor: string;
  /** Where the server's stdout and stderr go (overwritten). */
  logFile: string;
  /** Leave the database directory in place after `stop` (its path is printed). */
  keepData?: boolean;
}

export interface Smsdesk {
  baseUrl: string;
  /** An API token (`Authorization: Bearer …`) of `tokenFor`. */
  token: string;
  dataDir: string;
  /** The server's process id (the benchmark reads its CPU time). */
  pid: number;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
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
function cli(binary: string, env: NodeJS.ProcessEnv, args: string[], input?: string): string {
  const result = spawnSync(binary, args, { env, input, encoding: "utf8", timeout: 30_000 });
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
async function snapshotFrontend(source: string, target: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    rmSync(target, { recursive: true, force: true });
    try {
      cpSync(source, target, { recursive: true });
      const index = readFileSync(join(target, "index.html"), "utf8");
      const assets = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((match) => match[1] ?? "");
      if (assets.length > 0 && assets.every((asset) => existsSync(join(target, asset)))) return;
    } catch {
      // Being rewritten right now.
    }
    if (attempt === 20) throw new Error(`${source} is not a complete build (index.html names assets that are missing)`);
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

/** Starts smsdesk as `options` say and waits for `GET /healthz`; on failure leaves nothing behind. */
export async function startSmsdesk(options: SmsdeskOptions): Promise<Smsdesk> {
  const { binary, label, logFile } = options;
  if (!existsSync(binary)) throw new Error(`No smsdesk binary at ${binary}.`);
  if (!existsSync(join(options.frontendDir, "index.html"))) {
    throw new Error(`No built app at ${options.frontendDir}: run \`npm run build\` in frontend/.`);
  }
  mkdirSync(dirname(logFile), { recursive: true });

  const dataDir = mkdtempSync(join(tmpdir(), `smsdesk-${label}-`));
  const removeData = () => {
    if (options.keepData) {
      console.log(`${label}: kept the database in ${dataDir}`);
    } else {
      rmSync(dataDir, { recursive: true, force: true });
    }
  };

  let server: ChildProcess | undefined;
  try {
    const frontendDir = join(dataDir, "dist");
    await snapshotFrontend(options.frontendDir, frontendDir);
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      DATABASE_URL: `sqlite://${join(dataDir, `${label}.db`)}`,
      BIND_ADDR: `127.0.0.1:${port}`,
      PUBLIC_URL: baseUrl,
      FRONTEND_DIR: frontendDir,
      ...options.env,
    };

    cli(binary, env, ["migrate"]);
    for (const user of options.users) {
      cli(binary, env, ["users", "add", "--email", user.email, "--name", user.name, "--role", user.role, "--password-stdin"], `${user.password}\n`);
    }
    const token = cli(binary, env, ["tokens", "create", "--email", options.tokenFor, "--name", `${label} harness`]).trim().split("\n").at(-1)?.trim() ?? "";
    if (!token) throw new Error("smsdesk tokens create printed no token");

    const log = createWriteStream(logFile);
    const child = spawn(binary, ["serve"], { env, stdio: ["ignore", "pipe", "pipe"] });
    server = child;
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    await waitForHealth(baseUrl, child, logFile);

    return {
      baseUrl,
      token,
      dataDir,
      pid: child.pid ?? 0,
      stop: async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((resolve) => child.once("exit", resolve));
          child.kill("SIGTERM");
          const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
          await exited;
          clearTimeout(timer);
        }
        log.end();
        removeData();
      },
    };
  } catch (error) {
    server?.kill("SIGKILL");
    removeData();
    throw error;
  }
}
