// Watches a browser context for Content-Security-Policy violations, so that a test fails when the app (or the
// API docs) does something the server's policy blocks: an inline script, a style or image from elsewhere, a
// connection to another origin. Two sources, because neither sees everything: the page's own
// `securitypolicyviolation` events (through a binding an init script calls), and Chromium's console messages
// ("Refused to …", which also cover workers).

import type { BrowserContext, ConsoleMessage } from "@playwright/test";

/** What the page's SecurityPolicyViolationEvent says, as the init script hands it over. */
interface ViolationEvent {
  directive: string;
  blocked: string;
  source: string;
  line: number;
  sample: string;
}

const BINDING = "__e2eCspViolation";

function isCspMessage(message: ConsoleMessage): boolean {
  const text = message.text();
  return /Content[- ]Security[- ]Policy/i.test(text) || text.startsWith("Refused to ");
}

export class CspWatch {
  /** Each violation seen so far, one line each, in the order they came. */
  readonly violations: string[] = [];

  private constructor() {}

  /** Starts watching every page `context` opens from now on (call before its first page). */
  static async on(context: BrowserContext): Promise<CspWatch> {
    const watch = new CspWatch();
    await context.exposeBinding(BINDING, ({ page }, violation: ViolationEvent) => {
      const where = violation.source ? ` in ${violation.source}${violation.line ? `:${violation.line}` : ""}` : "";
      const sample = violation.sample ? ` (“${violation.sample}”)` : "";
      watch.violations.push(`${page.url()}: ${violation.directive} blocked ${violation.blocked || "?"}${where}${sample}`);
    });
    await context.addInitScript((binding: string) => {
      document.addEventListener(
        "securitypolicyviolation",
        (event) => {
          const report = (window as unknown as Record<string, ((violation: ViolationEvent) => void) | undefined>)[binding];
          report?.({
            directive: event.effectiveDirective || event.violatedDirective,
            blocked: event.blockedURI,
            source: event.sourceFile,
            line: event.lineNumber,
            sample: event.sample,
          });
        },
        true,
      );
    }, BINDING);
    context.on("console", (message) => {
      if (isCspMessage(message)) watch.violations.push(`${message.page()?.url() ?? "?"}: console ${message.type()}: ${message.text()}`);
    });
    return watch;
  }

  /** The failure message for what was seen, or null when nothing was. */
  report(): string | null {
    if (this.violations.length === 0) return null;
    return `Content-Security-Policy violations (${this.violations.length}):\n${this.violations.map((v) => `- ${v}`).join("\n")}`;
  }
}
