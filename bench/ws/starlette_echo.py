"""The Starlette twin of the WebSocket echo, run by uvicorn with Debian's
python3-websockets: each message echoed as it came, on /ws/echo."""
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute

async def echo(ws):
    await ws.accept()
    try:
        while True:
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                return
            if msg.get("text") is not None:
                await ws.send_text(msg["text"])
            else:
                await ws.send_bytes(msg["bytes"])
    except Exception:
        return

app = Starlette(routes=[WebSocketRoute("/ws/echo", echo)])
