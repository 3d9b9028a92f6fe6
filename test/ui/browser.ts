/**
 * A real browser for the dashboard tests: Debian's Chromium (or $CHROMIUM_PATH) driven by
 * playwright-core, headless, each browser with a fresh profile directory (so its own cookies).
 * scripts/ensure-chromium.mjs installs Chromium before the tests; screenshots go to
 * test-artifacts/ui/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const ARTIFACTS = resolve(import.meta.dirname, "../../test-artifacts/ui");

/** Flags that work as root in containers and keep the browser off the network but for the page. */
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Problems the page reported (uncaught errors, console errors other than expected 401s). */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(viewport = { width: 1440, height: 900 }): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run node scripts/ensure-chromium.mjs (npm test does)`);
  const profile = mkdtempSync(join(tmpdir(), "multica-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, viewport, args: ARGS });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // Expected: the first GET /session of a signed-out browser answers 401, and connections fail
    // while a test has the control plane down. Anything else the page logs as an error is a bug.
    if (m.type() === "error" && !/status of 401|net::ERR_/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in through the sign-in form and waits for the board. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Board" }).waitFor();
  await page.locator(".loading").waitFor({ state: "detached" });
}

/** Saves a screenshot as test-artifacts/ui/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

/** The card of an issue on the board. */
export const card = (page: Page, title: string) => page.locator(".card", { has: page.getByRole("link", { name: title, exact: true }) });

/** A board column by its status heading. */
export const column = (page: Page, name: string) => page.getByRole("region", { name, exact: true });
