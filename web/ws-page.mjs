#!/usr/bin/env node
// The browser's own WebSocket against strata: headless Chromium opens the
// server's / page, then from that page a WebSocket to /ws/echo, and sends a
// text and a binary message; both must come back as sent, and the close
// the page starts must complete with its code.
//
//   node ws-page.mjs http://127.0.0.1:8000 /tmp/ws.png
//
// Exit codes, timeouts and the browser: see browser.mjs.

import { drive } from "./browser.mjs";

await drive("ws-page", async (page, { baseUrl, step }) => {
  step(`open ${baseUrl}/`);
  const root = await page.goto(`${baseUrl}/`, { waitUntil: "load" });
  if (root?.status() !== 200) return [`GET / answered ${root?.status()}, expected 200`];

  step("WebSocket to /ws/echo: a text and a binary message, then close");
  const result = await page.evaluate(
    (url) =>
      new Promise((resolve) => {
        const out = { events: [] };
        const ws = new WebSocket(url);
        ws.binaryType = "arraybuffer";
        ws.onopen = () => {
          ws.send("héllo from Chromium");
          ws.send(new Uint8Array([0, 128, 255, 7]));
        };
        ws.onmessage = (e) => {
          out.events.push(typeof e.data === "string" ? { text: e.data } : { bytes: Array.from(new Uint8Array(e.data)) });
          if (out.events.length === 2) ws.close(1000, "done");
        };
        ws.onerror = () => out.events.push({ error: true });
        ws.onclose = (e) => resolve({ ...out, code: e.code, clean: e.wasClean });
      }),
    baseUrl.replace(/^http/, "ws") + "/ws/echo",
  );
  step(`got ${JSON.stringify(result)}`);
  const failures = [];
  const [first, second] = result.events;
  if (first?.text !== "héllo from Chromium") failures.push(`text echo: ${JSON.stringify(first)}`);
  if (JSON.stringify(second?.bytes) !== JSON.stringify([0, 128, 255, 7])) failures.push(`binary echo: ${JSON.stringify(second)}`);
  if (result.code !== 1000 || !result.clean) failures.push(`close: code ${result.code}, clean ${result.clean}`);
  return failures;
});
