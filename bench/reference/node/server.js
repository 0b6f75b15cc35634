// Peer row of `strata bench`: Node.js's http module (libuv + llhttp, the same
// pieces as strata's tiers 1-2), answering the same endpoints:
//   POST /user (seed 003), GET /index?name= and GET / (seed 002).
// Usage: node server.js [--host H] [--port N]   (N = 0 picks a free port)
// Prints "listening on http://HOST:PORT tier=node"; SIGINT/SIGTERM exit 0.
'use strict';
const http = require('http');

let host = '127.0.0.1';
let port = 8000;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--host') host = process.argv[++i];
  else if (process.argv[i] === '--port') port = Number(process.argv[++i]);
  else {
    console.error('usage: node server.js [--host H] [--port N]');
    process.exit(2);
  }
}

function reply(res, status, type, body) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const TEXT = 'text/plain; charset=utf-8';

const server = http.createServer((req, res) => {
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  if (req.method === 'POST' && path === '/user') {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const d = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (!Number.isInteger(d.id) || typeof d.name !== 'string' || typeof d.email !== 'string') {
          throw new Error('expected {id: int, name: str, email: str}');
        }
        const user = { id: d.id, name: d.name, email: d.email };
        reply(res, 200, 'application/json', JSON.stringify(user));
      } catch (e) {
        reply(res, 400, TEXT, String(e.message));
      }
    });
    return;
  }
  if (path === '/index') {
    const name = new URLSearchParams(q < 0 ? '' : req.url.slice(q + 1)).get('name');
    return reply(res, 200, TEXT, name ? 'Hello ' + name : 'Hello ASGI World!');
  }
  reply(res, 200, TEXT, 'Hello ASGI World!');
});

server.on('error', (e) => {
  console.error(`server.js: cannot listen on ${host}:${port}: ${e.message}`);
  process.exit(1);
});
server.listen(port, host, 1024, () => {
  console.log(`listening on http://${host}:${server.address().port} tier=node`);
});

function stop() {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
