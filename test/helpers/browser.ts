/**
 * Debian's chromium driven by playwright-core, for the web console's browser tests
 * (docs/architecture.md#testing-against-real-components: no browser download here).
 *
 * The browser runs as a playwright BrowserServer so the test knows its pid: teardown
 * closes it politely and then kills what is left of its process group by that pid.
 */
import { execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, type BrowserServer, chromium, type Page } from "playwright-core";

export interface TestBrowser {
  browser: Browser;
  pid: number;
  /** A fresh page (its own context: no cookies or storage shared between pages). */
  newPage(opts?: { width?: number; height?: number; locale?: string }): Promise<Page>;
  /** Close now (teardown does it too; twice is harmless). */
  close(): Promise<void>;
}

/** Where `chromium` is installed (scripts/install-test-deps.sh), or an error that says how to get it. */
export function chromiumPath(): string {
  try {
    return execFileSync("which", ["chromium"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("chromium is not installed: run scripts/install-test-deps.sh (apt-get install chromium)");
  }
}

export async function launchBrowser(t: { teardown(fn: () => unknown): void }): Promise<TestBrowser> {
  const server: BrowserServer = await chromium.launchServer({
    executablePath: chromiumPath(),
    headless: true,
    // Chromium's sandbox refuses to start as root; tests in CI containers run as root.
    chromiumSandbox: process.getuid?.() !== 0,
    args: [
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-dev-shm-usage",
    ],
  });
  const pid = server.process().pid;
  if (pid === undefined) throw new Error("chromium started without a pid");
  const browser = await chromium.connect(server.wsEndpoint());
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await browser.close().catch(() => {});
    await server.close().catch(() => {});
    killGroup(pid);
  };
  t.teardown(close);
  return {
    browser,
    pid,
    close,
    async newPage(opts = {}) {
      const context = await browser.newContext({
        viewport: { width: opts.width ?? 1280, height: opts.height ?? 900 },
        locale: opts.locale ?? "zh-CN",
      });
      return context.newPage();
    },
  };
}

/** Whatever survived close(): playwright starts chromium as a process group leader. */
function killGroup(pid: number): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Save a full-page screenshot as test-artifacts/console/<name>.png and return its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(process.cwd(), "test-artifacts", "console");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.png`);
  await writeFile(path, await page.screenshot({ fullPage: true }));
  return path;
}

/**
 * Wait until the expression is truthy in the page. page.waitForFunction polls with eval
 * inside the page, which the console's Content-Security-Policy (no 'unsafe-eval') refuses
 * once the first check fails; this polls from the test with page.evaluate instead.
 */
export async function waitInPage(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
