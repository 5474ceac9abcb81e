import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll } from "vitest";

/**
 * Debian's Chromium (never a downloaded browser), headless, driven by
 * playwright-core: one browser for a test file, with a fresh profile. Each
 * page is its own tab, so each has its own sessionStorage (its own sign-in).
 */
export const CHROMIUM = process.env.ESCROW_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function useBrowser(): { readonly context: BrowserContext; newPage: () => Promise<Page> } {
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  beforeAll(async () => {
    profile = mkdtempSync(join(tmpdir(), "escrow-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1280, height: 900 },
    });
    // Nothing slow is awaited: a step that does not happen fails within this, not the test's timeout.
    context.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });
  const get = () => {
    if (!context) throw new Error("the browser has not started");
    return context;
  };
  return {
    get context() {
      return get();
    },
    newPage: async () => {
      const page = await get().newPage();
      page.on("console", (m) => {
        if (m.type() === "error" && /Content.Security.Policy|Refused to/i.test(m.text()))
          cspViolations.push(m.text());
      });
      return page;
    },
  };
}

/** What the page's Content-Security-Policy refused (it must refuse nothing the console does). */
export const cspViolations: string[] = [];
