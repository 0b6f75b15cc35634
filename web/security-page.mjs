#!/usr/bin/env node
// Drives Swagger UI's Authorize dialog and ReDoc in headless Chromium
// against a server whose document has an API-key scheme (APIKeyHeader,
// header X-API-Key) and a bearer scheme (HTTPBearer), with GET /key and
// GET /token that answer 200 {"credential": ...} only for the right one
// (tests/web/secured_app.cpp):
//   1. /docs shows the Authorize button; the dialog lists both schemes; the
//      key and the token are entered and authorized, and the dialog closed;
//   2. "Try it out" + "Execute" on GET /key and GET /token: the browser
//      sends the credential (X-API-Key: <key>, Authorization: Bearer <token>)
//      and Swagger UI shows the 200;
//   3. /redoc renders the document's title and its two operations.
//
//   node security-page.mjs http://127.0.0.1:8000 /tmp/security.png
//
// Exit codes, timeouts and the browser: see browser.mjs.

import { deepEqual, drive } from "./browser.mjs";

const API_KEY = "k3y";
const TOKEN = "t0ken";

await drive("security-page", async (page, { baseUrl, step }) => {
  const failures = [];
  step(`open ${baseUrl}/docs`);
  const docs = await page.goto(`${baseUrl}/docs`, { waitUntil: "load" });
  if (docs?.status() !== 200) return [`GET /docs answered ${docs?.status()}, expected 200`];
  await page.locator(".swagger-ui .opblock").first().waitFor({ state: "visible" });

  step('click "Authorize"');
  await page.locator(".swagger-ui .auth-wrapper button.authorize").click();
  const dialog = page.locator(".swagger-ui .dialog-ux .modal-ux");
  await dialog.waitFor({ state: "visible" });
  const schemes = (await dialog.locator(".auth-container h4").allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim());
  step(`schemes offered: ${schemes.join("; ")}`);
  for (const want of ["APIKeyHeader (apiKey)", "HTTPBearer (http, Bearer)"])
    if (!schemes.includes(want)) failures.push(`the Authorize dialog does not offer '${want}' (it offers ${JSON.stringify(schemes)})`);
  if (failures.length) return failures;

  // Each scheme is its own form with its own Authorize button.
  const authorize = async (scheme, input, value) => {
    step(`authorize ${scheme}`);
    const form = dialog.locator(".auth-container").filter({ has: page.locator("h4", { hasText: scheme }) });
    await form.locator(input).fill(value);
    await form.locator("button.authorize").click();
    await form.locator("button", { hasText: "Logout" }).waitFor({ state: "visible" });
  };
  await authorize("APIKeyHeader", "#api_key_value", API_KEY);
  await authorize("HTTPBearer", "#auth-bearer-value", TOKEN);
  await dialog.locator("button.btn-done").first().click();
  await dialog.waitFor({ state: "detached" });

  const tryIt = async (path, header, wantHeader, credential) => {
    const op = page.locator(".swagger-ui .opblock.opblock-get").filter({
      has: page.locator(`.opblock-summary-path[data-path="${path}"]`),
    });
    step(`GET ${path}: expand, "Try it out", "Execute"`);
    await op.locator(".opblock-summary").first().click();
    await op.locator("button.try-out__btn").click();
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === path),
      op.locator("button.execute").click(),
    ]);
    const sent = response.request().headers()[header];
    if (sent !== wantHeader) failures.push(`GET ${path} was sent with ${header}: ${JSON.stringify(sent)}, expected ${JSON.stringify(wantHeader)}`);
    const body = await response.json().catch(() => null);
    if (response.status() !== 200 || !deepEqual(body, { credential }))
      failures.push(`GET ${path} answered ${response.status()} ${JSON.stringify(body)}`);
    const live = op.locator(".live-responses-table .response").first();
    await live.waitFor({ state: "visible" });
    const shown = (await live.locator(".response-col_status").innerText()).trim();
    if (shown !== "200") failures.push(`Swagger UI shows '${shown}' for GET ${path}, expected 200`);
  };
  await tryIt("/key", "x-api-key", API_KEY, API_KEY);
  await tryIt("/token", "authorization", `Bearer ${TOKEN}`, TOKEN);

  step(`open ${baseUrl}/redoc`);
  const redoc = await page.goto(`${baseUrl}/redoc`, { waitUntil: "load" });
  if (redoc?.status() !== 200) return [...failures, `GET /redoc answered ${redoc?.status()}, expected 200`];
  // ReDoc renders the title as the page's h1 and one h2 per operation.
  const title = page.locator("h1", { hasText: "Secured" });
  await title.first().waitFor({ state: "visible" });
  const operations = await page.locator("h2").allInnerTexts();
  step(`ReDoc shows: ${operations.join("; ")}`);
  for (const want of ["Get Key", "Get Token"])
    if (!operations.some((o) => o.includes(want))) failures.push(`ReDoc does not show the operation '${want}'`);
  return failures;
}, {
  // ReDoc's sidebar shows Redocly's logo from Redocly's CDN, hard-coded in
  // the bundle; offline, ReDoc hides the image and nothing else changes.
  mayFail: ["https://cdn.redoc.ly/redoc/logo-mini.svg"],
});
