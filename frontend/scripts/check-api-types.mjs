#!/usr/bin/env node
// Fails if src/api/schema.d.ts is not what openapi-typescript generates from the OpenAPI document now.
//
//   node scripts/check-api-types.mjs [--input DOC] [--expected FILE]
//
// DOC defaults to openapi.json and FILE to src/api/schema.d.ts, both relative to frontend/.
// The types are generated into a temporary file with the same command as `npm run api:types`
// (keep GENERATOR_ARGS in step with that script if it gains options).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const GENERATOR_ARGS = [];

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    input: { type: "string", default: "openapi.json" },
    expected: { type: "string", default: join("src", "api", "schema.d.ts") },
  },
});
const input = resolve(frontend, values.input);
const expected = resolve(frontend, values.expected);
const cli = join(frontend, "node_modules", "openapi-typescript", "bin", "cli.js");
// Paths as the user can type them: relative to where we run, unless that climbs out of it (temporary files).
const show = (p) => {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith("..") ? rel : p;
};

for (const [what, path] of [["OpenAPI document", input], ["openapi-typescript", cli]]) {
  if (!existsSync(path)) {
    console.error(`api:check: ${what} not found at ${show(path)}${what === "openapi-typescript" ? " (run `npm ci` in frontend/)" : ""}`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), "smsdesk-api-types-"));
let code = 0;
try {
  const generated = join(dir, "schema.d.ts");
  const run = spawnSync(process.execPath, [cli, input, "--output", generated, ...GENERATOR_ARGS], {
    cwd: frontend,
    encoding: "utf8",
  });
  if (run.status !== 0) {
    process.stderr.write(run.stdout + run.stderr);
    console.error(`api:check: openapi-typescript failed on ${show(input)} (exit ${run.status ?? run.signal})`);
    process.exit(2);
  }
  // Pass on what the generator had to say about the document (warnings), but not its banner.
  const notes = (run.stdout + run.stderr)
    .split("\n")
    .filter((line) => line.trim() && !/openapi-typescript \d|→/.test(line));
  if (notes.length) console.error(notes.join("\n"));

  const want = readFileSync(generated, "utf8");
  const have = existsSync(expected) ? readFileSync(expected, "utf8") : null;
  if (have === want) {
    console.log(`api:check: ${show(expected)} is up to date with ${show(input)}`);
  } else {
    code = 1;
    console.error(
      have === null
        ? `api:check: ${show(expected)} is missing.`
        : `api:check: ${show(expected)} differs from what openapi-typescript generates from ${show(input)}.`,
    );
    if (have !== null) {
      const a = have.split("\n");
      const b = want.split("\n");
      let i = 0;
      while (i < a.length && i < b.length && a[i] === b[i]) i++;
      console.error(`  first difference at line ${i + 1}:`);
      console.error(`  - committed: ${a[i] ?? "<end of file>"}`);
      console.error(`  + generated: ${b[i] ?? "<end of file>"}`);
    }
    console.error("Regenerate it with `scripts/api-types.sh write` from the repository root (or `npm run api:types` in frontend/) and commit the result.");
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code);
