"""Tier 3 twin: Starlette, Request/Response and routing (seed 003)."""
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from share import endpoint


async def user(request: Request) -> Response:
    data = await request.body()
    try:
        return Response(content=endpoint(data), media_type="application/json")
    except Exception as e:
        return PlainTextResponse(str(e), status_code=400)


async def root(request: Request) -> Response:
    return PlainTextResponse("Hello ASGI World!")


async def index(request: Request) -> Response:
    name = request.query_params.get("name")
    return PlainTextResponse(f"Hello {name}" if name else "Hello ASGI World!")


app = Starlette(
    routes=[
        Route("/user", user, methods=["POST"]),
        Route("/", root),
        Route("/index", index),
    ]
)
