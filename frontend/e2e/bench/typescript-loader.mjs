// Lets Node 20 run the benchmark's TypeScript as it is (`node --import ./bench/typescript-loader.mjs
// bench/dashboard.ts`): each .ts module is transpiled on load with the TypeScript this package already has,
// types stripped and nothing else changed, so the functions the benchmark hands to the page (which Playwright
// sends as their source text) reach the browser as written. Playwright's test runner does the same for tests.

import { readFile } from "node:fs/promises";
import { register } from "node:module";
import { isMainThread } from "node:worker_threads";
import ts from "typescript";

// Imported with --import, this registers itself; Node then loads it again as the hooks below, off the main thread.
if (isMainThread) register(import.meta.url);

/** Node's module load hook: .ts files become JavaScript modules; everything else loads as usual. */
export async function load(url, context, nextLoad) {
  if (!url.startsWith("file:") || !url.endsWith(".ts")) return nextLoad(url, context);
  const source = await readFile(new URL(url), "utf8");
  const { outputText } = ts.transpileModule(source, {
    fileName: url,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      sourceMap: false,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  return { format: "module", source: outputText, shortCircuit: true };
}
