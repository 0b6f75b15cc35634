"""Tier 1 twin: asyncio + uvloop, requests split on CRLF by hand (seed 003).

Like the seed's server it reads what the socket has and splits the head on
b"\r\n"; unlike it, it keeps unread bytes and honours Content-Length, so a
request split across reads or 16 pipelined requests in one read are
answered right. The reply headers are the strata raw tier's.
"""
import asyncio
import signal

from share import JSON_TYPE, TEXT_TYPE, endpoint, hello_index, hello_root


def respond(method: bytes, target: bytes, body: bytes) -> bytes:
    status, ctype = b"200 OK", TEXT_TYPE
    if method == b"GET" and not body:
        path, _, query = target.partition(b"?")
        res = hello_index(query) if path == b"/index" else hello_root()
    else:
        try:
            res, ctype = endpoint(body), JSON_TYPE
        except Exception as e:  # not a User: the same 400 as strata
            res, status = str(e).encode(), b"400 Bad Request"
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Length: " + str(len(res)).encode()
        + b"\r\nContent-Type: " + ctype + b"\r\nConnection: keep-alive\r\n\r\n" + res
    )


async def handle_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    buf = b""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            buf += data
            out = []
            while True:
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                lines = buf[:end].split(b"\r\n")
                length = 0
                for line in lines[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                total = end + 4 + length
                if len(buf) < total:
                    break
                method, target, _ = lines[0].split(b" ", 2)
                out.append(respond(method, target, buf[end + 4:total]))
                buf = buf[total:]
            if out:
                writer.write(b"".join(out))
                await writer.drain()
    except Exception:
        pass  # cannot frame it: hang up, as the strata raw tier does
    finally:
        writer.close()


async def serve(sock):
    server = await asyncio.start_server(handle_client, sock=sock, backlog=1024)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def run(sock):
    import uvloop

    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    asyncio.run(serve(sock))
