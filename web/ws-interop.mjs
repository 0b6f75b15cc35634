#!/usr/bin/env node
// strata's WebSocket against the `ws` package (the client Node programs
// use), at BASE_URL's /ws/echo (`strata serve --tier app` or `--tier typed`):
//   1. text and binary messages come back as sent;
//   2. a message sent in fragments comes back whole;
//   3. a ping is answered with a pong carrying its payload;
//   4. a 1 MiB binary message comes back byte for byte;
//   5. 1,000 messages sent in one burst come back, all, in order;
//   6. the closing handshake carries the client's code and reason back;
//   7. an invalid UTF-8 text frame is closed by the server with 1007.
//
//   node ws-interop.mjs ws://127.0.0.1:8000/ws/echo
//
// Exit 0: every check passed; 1: one line per failure on stderr; 2: usage.
// The whole run ends itself after WS_TIMEOUT_MS (default 30000).

import { Buffer } from "node:buffer";
import WebSocket from "ws";

const args = process.argv.slice(2);
if (args.length !== 1 || !args[0].startsWith("ws://")) {
  console.error("usage: node ws-interop.mjs ws://HOST:PORT/ws/echo");
  process.exit(2);
}
const url = args[0];
const failures = [];
const step = (what) => console.log(`ws-interop: ${what}`);
const timer = setTimeout(() => {
  console.error(`ws-interop: not finished after ${process.env.WS_TIMEOUT_MS ?? 30000} ms`);
  process.exit(1);
}, Number(process.env.WS_TIMEOUT_MS ?? 30000));

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const messages = [];
    const waiters = [];
    ws.on("message", (data, isBinary) => {
      const m = { data: Buffer.from(data), isBinary };
      const w = waiters.shift();
      if (w) w(m);
      else messages.push(m);
    });
    ws.next = () => (messages.length ? Promise.resolve(messages.shift()) : new Promise((r) => waiters.push(r)));
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const closed = (ws) => new Promise((resolve) => ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })));
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

try {
  const ws = await open();
  step("connected");

  ws.send("héllo, strata");
  let m = await ws.next();
  check(!m.isBinary && m.data.toString() === "héllo, strata", `text echo: got ${m.isBinary ? "binary" : "text"} '${m.data}'`);

  const bytes = Buffer.from([0, 1, 2, 253, 254, 255]);
  ws.send(bytes);
  m = await ws.next();
  check(m.isBinary && m.data.equals(bytes), `binary echo: got ${m.isBinary ? "binary" : "text"} ${m.data.toString("hex")}`);
  step("text and binary echoed");

  ws.send("frag", { fin: false });
  ws.send("men", { fin: false });
  ws.send("ted", { fin: true });
  m = await ws.next();
  check(!m.isBinary && m.data.toString() === "fragmented", `fragmented message: got '${m.data}'`);
  step("fragmented message echoed whole");

  const pong = new Promise((resolve) => ws.once("pong", (data) => resolve(String(data))));
  ws.ping("are you there");
  check((await pong) === "are you there", "the pong does not carry the ping's payload");
  step("ping answered");

  const mib = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib.length; ++i) mib[i] = (i * 31 + 7) & 0xff;
  ws.send(mib);
  m = await ws.next();
  check(m.isBinary && m.data.equals(mib), `1 MiB message: got ${m.data.length} bytes${m.data.equals(mib) ? "" : " that differ"}`);
  step("1 MiB message echoed");

  const N = 1000;
  for (let i = 0; i < N; ++i) ws.send(`message ${i}`);
  let inOrder = 0;
  for (let i = 0; i < N; ++i) if ((await ws.next()).data.toString() === `message ${i}`) ++inOrder;
  check(inOrder === N, `burst: ${inOrder} of ${N} messages came back in order`);
  step(`${N} messages in a burst echoed in order`);

  const done = closed(ws);
  ws.close(4321, "goodbye");
  const c = await done;
  check(c.code === 4321 && c.reason === "", `closing handshake: got code ${c.code} reason '${c.reason}'`);
  step(`closed with ${c.code}`);

  // A text frame that is not UTF-8, written raw under the ws client: the
  // server must close with 1007.
  const bad = await open();
  const badClosed = closed(bad);
  bad.on("error", () => {});  // ws reports the server's close as an error too
  const payload = Buffer.from([0xc0, 0xaf]);
  const mask = Buffer.from([1, 2, 3, 4]);
  const frame = Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, payload.map((b, i) => b ^ mask[i & 3])]);
  bad._socket.write(frame);
  const bc = await badClosed;
  check(bc.code === 1007, `invalid UTF-8: closed with ${bc.code}, expected 1007`);
  step(`invalid UTF-8 closed with ${bc.code}`);
} catch (e) {
  failures.push(`error: ${e?.stack ?? e}`);
}
clearTimeout(timer);
for (const f of failures) console.error(`ws-interop: FAIL ${f}`);
process.exit(failures.length ? 1 : 0);
