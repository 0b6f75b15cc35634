// The Node twin of the WebSocket echo: the npm `ws` package (web/node_modules),
// echoing each message as it came, on /ws/echo. Usage: node node_echo.mjs PORT
import { WebSocketServer } from '../../web/node_modules/ws/wrapper.mjs';
const wss = new WebSocketServer({ host: '127.0.0.1', port: Number(process.argv[2]), path: '/ws/echo' });
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
