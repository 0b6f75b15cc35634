#!/usr/bin/env node
// Drives the /docs page (Swagger UI) in headless Chromium the way a person
// would: the page loads with no broken resource, it lists the endpoints,
// POST /user is expanded, "Try it out" with the seed user as body, "Execute",
// and the live response must be 200 with the same user.
//
//   node docs-page.mjs http://127.0.0.1:8000 /tmp/docs.png
//
// Exit codes, timeouts and the browser: see browser.mjs.

import { deepEqual, drive } from "./browser.mjs";

const SEED_USER = { id: 1, name: "user", email: "user@email.com" };
const REQUIRED_ENDPOINTS = ["POST /user", "GET /index"];

await drive("docs-page", async (page, { baseUrl, step }) => {
  const failures = [];
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

  return failures;
});

