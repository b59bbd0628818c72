#!/usr/bin/env node
// Prints the gzipped size of the JavaScript a first visit loads (dist/index.html's module scripts and
// modulepreloads) and fails when it reaches the budget. Lazy chunks (admin pages, simulator) do not count.
//
//   node scripts/bundle-size.mjs [--dist DIR] [--limit-kb N]
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    dist: { type: "string", default: "dist" },
    "limit-kb": { type: "string", default: "150" },
  },
});
const dist = resolve(frontend, values.dist);
const limitKb = Number(values["limit-kb"]);

let html;
try {
  html = readFileSync(join(dist, "index.html"), "utf8");
} catch {
  console.error(`bundle-size: ${join(dist, "index.html")} not found (run vite build first)`);
  process.exit(2);
}

const assets = new Set();
for (const [tag] of html.matchAll(/<(script|link)\b[^>]*>/g)) {
  const isModuleScript = /^<script\b/.test(tag) && /\btype="module"/.test(tag);
  const isPreload = /^<link\b/.test(tag) && /\brel="modulepreload"/.test(tag);
  if (!isModuleScript && !isPreload) continue;
  const url = /\b(?:src|href)="([^"]+)"/.exec(tag)?.[1];
  if (url && !/^(https?:)?\/\//.test(url)) assets.add(url.replace(/^\//, ""));
}
if (assets.size === 0) {
  console.error("bundle-size: dist/index.html loads no module script");
  process.exit(2);
}

const kb = (bytes) => (bytes / 1000).toFixed(1);
let total = 0;
for (const asset of assets) {
  const source = readFileSync(join(dist, asset));
  const gzipped = gzipSync(source, { level: 9 }).length;
  total += gzipped;
  console.log(`  ${asset}  ${kb(source.length)} kB, gzip ${kb(gzipped)} kB`);
}
const verdict = total < limitKb * 1000 ? "ok" : "over budget";
console.log(`bundle-size: initial JavaScript ${kb(total)} kB gzipped (budget < ${limitKb} kB): ${verdict}`);
process.exit(verdict === "ok" ? 0 : 1);
