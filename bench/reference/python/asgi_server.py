"""Tier 2 twin: a bare ASGI app on uvicorn + httptools (seed 003)."""
from share import JSON_TYPE, TEXT_TYPE, endpoint, hello_index, hello_root


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    status, ctype = 200, TEXT_TYPE
    if scope["method"] == "POST" and scope["path"] == "/user":
        try:
            res, ctype = endpoint(body), JSON_TYPE
        except Exception as e:
            res, status = str(e).encode(), 400
    elif scope["path"] == "/index":
        res = hello_index(scope["query_string"])
    else:
        res = hello_root()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": ((b"content-type", ctype), (b"content-length", str(len(res)).encode())),
        }
    )
    await send({"type": "http.response.body", "body": res})
