// What the page scripts share: Debian's Chromium started headless with a
// profile of its own, a page that records broken requests and script errors,
// a timer over the whole run, a screenshot of where the page got to, and
// the exit code (0: every check passed; 1: one line per failure on stderr;
// 2: a usage error).
//
// Environment: CHROMIUM (default /usr/bin/chromium), DOCS_TIMEOUT_MS (whole
// run, default 90000). Only Debian's Chromium is used: Playwright's own
// browser downloads cannot work on a machine without general network access.

import { existsSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const STEP_TIMEOUT_MS = 15_000;
const TOTAL_TIMEOUT_MS = Number(process.env.DOCS_TIMEOUT_MS ?? 90_000);
// Headless without a GPU or sandbox (root in a container), and none of the
// background connections that a closed network would refuse or stall on.
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

// Reads BASE_URL and SCREENSHOT.png from the command line, runs
// `run(page, { baseUrl, step })` (which returns the failures found, [] for
// none) and exits. `mayFail` lists URLs the page's own code fetches from
// elsewhere and copes without. `fullPage: false` shoots the viewport only:
// Playwright's full-page screenshot never finishes on a bare SVG document.
// Never returns.
export async function drive(name, run, { mayFail = [], fullPage = true } = {}) {
  const args = process.argv.slice(2);
  if (args.length !== 2 || args.some((a) => a.startsWith("-"))) {
    console.error(`usage: node ${name}.mjs BASE_URL SCREENSHOT.png`);
    process.exit(2);
  }
  const baseUrl = args[0].replace(/\/+$/, "");
  const screenshotPath = path.resolve(args[1]);
  const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
  const step = (what) => console.log(`${name}: ${what}`);

  let context = null;
  let userDataDir = null;
  const cleanup = async () => {
    // Closing the context ends Chromium; the profile goes only after that,
    // since a running Chromium keeps writing into it.
    const closing = context;
    context = null;
    if (closing) await closing.close().catch(() => {});
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    userDataDir = null;
  };
  // The last resort, should closing a wedged browser hang as well: Playwright
  // kills the Chromium it started when this process exits.
  const backstop = setTimeout(() => {
    console.error(`${name}: FAILED: the browser could not be closed in time`);
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    process.exit(1);
  }, TOTAL_TIMEOUT_MS + 20_000);

  const start = async () => {
    if (!existsSync(executablePath)) return [`no Chromium at ${executablePath} (install Debian's chromium or set CHROMIUM)`];
    userDataDir = await mkdtemp(path.join(tmpdir(), `strata-${name}-chromium-`));
    // launchPersistentContext is what lets the profile be a directory of our
    // own: Playwright refuses --user-data-dir in the flags of launch().
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1280, height: 900 },
      timeout: STEP_TIMEOUT_MS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    // Everything the page asks for must arrive: a missing file, a 404 on the
    // document or a request to another host all show up here. Chromium asks
    // for /favicon.ico on its own; that one is not the page's.
    const broken = [];
    page.on("requestfailed", (req) => {
      if (!mayFail.includes(req.url())) broken.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    });
    page.on("response", (res) => {
      const url = new URL(res.url());
      if (res.status() >= 400 && url.pathname !== "/favicon.ico")
        broken.push(`${res.request().method()} ${res.url()}: HTTP ${res.status()}`);
    });
    const scriptErrors = [];
    page.on("pageerror", (e) => scriptErrors.push(e.message));
    const failures = await run(page, { baseUrl, step });
    for (const b of broken) failures.push(`broken request: ${b}`);
    for (const e of scriptErrors) failures.push(`script error: ${e}`);
    return failures;
  };

  let timer;
  const timedOut = new Promise((resolve) => {
    timer = setTimeout(() => resolve([`the whole run took more than ${TOTAL_TIMEOUT_MS} ms`]), TOTAL_TIMEOUT_MS);
  });
  const failures = await Promise.race([start().catch((e) => [e.message.split("\n")[0]]), timedOut]);
  clearTimeout(timer);
  // The screenshot is taken even after a failure or a timeout: it shows where
  // the page was stuck.
  const page = context?.pages()[0];
  if (page) {
    try {
      await page.screenshot({ path: screenshotPath, fullPage, timeout: STEP_TIMEOUT_MS });
      step(`screenshot saved to ${screenshotPath}`);
    } catch (e) {
      failures.push(`could not save the screenshot: ${e.message.split("\n")[0]}`);
    }
  }
  await cleanup();
  clearTimeout(backstop);
  if (failures.length) {
    for (const f of failures) console.error(`${name}: FAILED: ${f}`);
    process.exit(1);
  }
  console.log(`${name}: ok: ${baseUrl}`);
  process.exit(0);
}

export function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}
