#!/usr/bin/env node
// Opens one of `strata profile --flamegraph`'s SVG files in headless
// Chromium and checks that it rendered as a flame graph: the document is
// an SVG (not Chromium's XML error page), its frames are <g> elements with
// a <title> and a <rect> of non-zero width, and the root frame spans the
// graph.
//
//   node flamegraph-page.mjs file:///tmp/graphs/http.svg /tmp/flamegraph.png
//
// Exit codes, timeouts and the browser: see browser.mjs. The screenshot is
// the viewport (1280x900), which holds a whole flame graph.

import { drive } from "./browser.mjs";

await drive("flamegraph-page", async (page, { baseUrl, step }) => {
  step(`open ${baseUrl}`);
  await page.goto(baseUrl, { waitUntil: "load" });
  const seen = await page.evaluate(() => {
    const root = document.documentElement;
    const frames = [...document.querySelectorAll("g[data-ir]")];
    const widths = frames.map((g) => g.querySelector(":scope > rect")?.getBBox().width ?? 0);
    return {
      root: `${root.namespaceURI} ${root.localName}`,
      parserErrors: document.getElementsByTagName("parsererror").length,
      frames: frames.length,
      titled: frames.filter((g) => g.querySelector(":scope > title")?.textContent.includes("instructions per request")).length,
      drawn: widths.filter((w) => w > 0).length,
      rootWidth: widths[0] ?? 0,
      svgWidth: root.getBBox ? root.getBoundingClientRect().width : 0,
    };
  });
  step(`${seen.frames} frames, ${seen.drawn} drawn, root ${seen.rootWidth} px of ${seen.svgWidth}`);
  const failures = [];
  if (seen.root !== "http://www.w3.org/2000/svg svg") failures.push(`the document is ${seen.root}, not an SVG`);
  if (seen.parserErrors) failures.push("Chromium reports an XML parser error");
  if (seen.frames < 10) failures.push(`only ${seen.frames} frames`);
  if (seen.titled !== seen.frames) failures.push(`${seen.frames - seen.titled} frames have no hover title`);
  if (seen.drawn !== seen.frames) failures.push(`${seen.frames - seen.drawn} frames have no width`);
  if (seen.rootWidth < 0.9 * seen.svgWidth) failures.push(`the root frame is ${seen.rootWidth} px of ${seen.svgWidth}`);
  return failures;
}, { fullPage: false });
