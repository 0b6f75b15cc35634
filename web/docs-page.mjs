#!/usr/bin/env node
// Drives the /docs page (Swagger UI) in headless Chromium the way a person
// would: the page loads with no broken resource, it lists the endpoints,
// POST /user is expanded, "Try it out" with the seed user as body, "Execute",
// and the live response must be 200 with the same user.
//
//   node docs-page.mjs http://127.0.0.1:8000 /tmp/docs.png
//
// Exit 0 when every check passed; exit 1 with one line per failure on stderr
// otherwise (the screenshot is still written when the page got that far, to
// show what went wrong); exit 2 on a usage error. A global timer ends the
// run, browser included, so it can never hang a test suite.
//
// Environment: CHROMIUM (default /usr/bin/chromium), DOCS_TIMEOUT_MS (whole
// run, default 90000). Only Debian's Chromium is used: Playwright's own
// browser downloads cannot work on a machine without general network access.

import { existsSync, rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const SEED_USER = { id: 1, name: "user", email: "user@email.com" };
const REQUIRED_ENDPOINTS = ["POST /user", "GET /index"];
const STEP_TIMEOUT_MS = 15_000;
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

const args = process.argv.slice(2);
if (args.length !== 2 || args.some((a) => a.startsWith("-"))) {
  console.error("usage: node docs-page.mjs BASE_URL SCREENSHOT.png");
  process.exit(2);
}
const baseUrl = args[0].replace(/\/+$/, "");
const screenshotPath = path.resolve(args[1]);
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";

let context = null;
let userDataDir = null;

async function cleanup() {
  // Closing the context ends Chromium; the profile goes only after that,
  // since a running Chromium keeps writing into it.
  const closing = context;
  context = null;
  if (closing) await closing.close().catch(() => {});
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  userDataDir = null;
}

function step(name) {
  console.log(`docs-page: ${name}`);
}

// The last resort, should closing a wedged browser hang as well: Playwright
// kills the Chromium it started when this process exits.
const backstop = setTimeout(() => {
  console.error("docs-page: FAILED: the browser could not be closed in time");
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  process.exit(1);
}, TOTAL_TIMEOUT_MS + 20_000);

async function run() {
  const failures = [];
  if (!existsSync(executablePath)) return [`no Chromium at ${executablePath} (install Debian's chromium or set CHROMIUM)`];

  userDataDir = await mkdtemp(path.join(tmpdir(), "strata-docs-chromium-"));
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

  // Everything the page asks for must arrive: a missing swagger-ui file, a
  // 404 on the document or a request to another host all show up here.
  // Chromium asks for /favicon.ico on its own; that one is not the page's.
  const broken = [];
  page.on("requestfailed", (req) => broken.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  page.on("response", (res) => {
    const url = new URL(res.url());
    if (res.status() >= 400 && url.pathname !== "/favicon.ico") broken.push(`${res.request().method()} ${res.url()}: HTTP ${res.status()}`);
  });
  const scriptErrors = [];
  page.on("pageerror", (e) => scriptErrors.push(e.message));

  step(`open ${baseUrl}/docs`);
  const docsResponse = await page.goto(`${baseUrl}/docs`, { waitUntil: "load" });
  if (!docsResponse) return [`no response for ${baseUrl}/docs`];
  if (docsResponse.status() !== 200) return [`GET /docs answered ${docsResponse.status()}, expected 200`];
  const docsType = docsResponse.headers()["content-type"] ?? "";
  if (!docsType.startsWith("text/html")) failures.push(`GET /docs has Content-Type '${docsType}', expected text/html`);

  // Swagger UI fetches the document after load, then renders its title and
  // one .opblock per operation.
  step("wait for Swagger UI to render the document");
  try {
    await page.locator(".swagger-ui .info .title").first().waitFor({ state: "visible" });
    await page.locator(".swagger-ui .opblock").first().waitFor({ state: "visible" });
  } catch {
    const shown = (await page.locator("body").innerText().catch(() => "")).trim().slice(0, 300);
    return [
      ...failures,
      "Swagger UI did not render any operation",
      ...broken.map((b) => `broken request: ${b}`),
      ...scriptErrors.map((e) => `script error: ${e}`),
      `page text: ${JSON.stringify(shown)}`,
    ];
  }
  const uiErrors = await page.locator(".swagger-ui .errors-wrapper").allInnerTexts();
  for (const e of uiErrors) failures.push(`Swagger UI reports: ${e.replace(/\s+/g, " ").trim()}`);

  const endpoints = await page.locator(".swagger-ui .opblock").evaluateAll((blocks) =>
    blocks.map((b) => {
      const method = b.querySelector(".opblock-summary-method")?.textContent?.trim() ?? "?";
      const p = b.querySelector(".opblock-summary-path");
      return `${method} ${p?.getAttribute("data-path") ?? p?.textContent?.trim() ?? "?"}`;
    }),
  );
  step(`endpoints listed: ${endpoints.join(", ")}`);
  for (const want of REQUIRED_ENDPOINTS) if (!endpoints.includes(want)) failures.push(`endpoint ${want} is not listed`);

  const op = page.locator(".swagger-ui .opblock.opblock-post").filter({
    has: page.locator('.opblock-summary-path[data-path="/user"]'),
  });
  if ((await op.count()) !== 1) return [...failures, `expected one POST /user block, found ${await op.count()}`];

  step("expand POST /user");
  await op.locator(".opblock-summary").first().click();
  step('click "Try it out"');
  await op.locator("button.try-out__btn").click();

  // Swagger UI fills the editor with an example made from the schema
  // ("string" for every string); the seed user is what the server must echo.
  const editor = op.locator("textarea.body-param__text");
  await editor.waitFor({ state: "visible" });
  const wanted = JSON.stringify(SEED_USER, null, 2);
  if ((await editor.inputValue()) !== wanted) {
    step("fill the request body with the seed user");
    await editor.fill(wanted);
  }

  step('click "Execute"');
  const [networkResponse] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/user"),
    op.locator("button.execute").click(),
  ]);
  const sentBody = networkResponse.request().postData();
  if (sentBody === null || !deepEqual(JSON.parse(sentBody), SEED_USER)) failures.push(`the browser sent ${sentBody}, expected the seed user`);
  if (networkResponse.status() !== 200) failures.push(`POST /user answered ${networkResponse.status()}: ${await networkResponse.text()}`);
  else {
    const got = await networkResponse.json().catch((e) => `not JSON (${e.message})`);
    if (!deepEqual(got, SEED_USER)) failures.push(`POST /user answered ${JSON.stringify(got)}, expected ${JSON.stringify(SEED_USER)}`);
  }

  // What the reader sees: the live response table with its code and body.
  step("read the live response shown by Swagger UI");
  const live = op.locator(".live-responses-table .response");
  await live.first().waitFor({ state: "visible" });
  const shownStatus = (await live.first().locator(".response-col_status").innerText()).trim();
  if (shownStatus !== "200") failures.push(`Swagger UI shows response code '${shownStatus}', expected 200`);
  const shownBody = (await live.first().locator(".response-col_description pre").first().innerText()).trim();
  let parsed;
  try {
    parsed = JSON.parse(shownBody);
  } catch {
    parsed = undefined;
  }
  if (!deepEqual(parsed, SEED_USER)) failures.push(`Swagger UI shows response body ${JSON.stringify(shownBody)}, expected the seed user`);
  else step(`Swagger UI shows 200 ${JSON.stringify(parsed)}`);

  for (const b of broken) failures.push(`broken request: ${b}`);
  for (const e of scriptErrors) failures.push(`script error: ${e}`);
  return failures;
}

function deepEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
}

let timer;
const timedOut = new Promise((resolve) => {
  timer = setTimeout(() => resolve([`the whole run took more than ${TOTAL_TIMEOUT_MS} ms`]), TOTAL_TIMEOUT_MS);
});
const running = run().catch((e) => [e.message.split("\n")[0]]);
const failures = await Promise.race([running, timedOut]);
clearTimeout(timer);
// The screenshot is taken even after a failure or a timeout: it shows where
// the page was stuck.
const page = context?.pages()[0];
if (page) {
  try {
    await page.screenshot({ path: screenshotPath, fullPage: true, timeout: STEP_TIMEOUT_MS });
    step(`screenshot saved to ${screenshotPath}`);
  } catch (e) {
    failures.push(`could not save the screenshot: ${e.message.split("\n")[0]}`);
  }
}
await cleanup();
clearTimeout(backstop);
if (failures.length) {
  for (const f of failures) console.error(`docs-page: FAILED: ${f}`);
  process.exit(1);
}
console.log(`docs-page: ok: ${baseUrl}/docs`);
process.exit(0);
