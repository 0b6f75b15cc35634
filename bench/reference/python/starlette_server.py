"""Tier 3 twin: Starlette, Request/Response and routing (seed 003).

`strata bench --ablations --reference python` sets two variables to put
user middlewares around the router, as strata's --ablate middleware=N does:
  STRATA_MIDDLEWARE=N              N pass-through middlewares (1-1000)
  STRATA_MIDDLEWARE_STYLE=asgi     pure ASGI (the default), or
                         wrapped   BaseHTTPMiddleware subclasses
and one to register extra routes before the workload's, as strata's
--routes N does (Starlette's router tries them in order before /user):
  STRATA_ROUTES=N                  GET /api/resource{i}/{item_id:int}, i < N
"""
import os
import sys

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
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


class PassThrough:
    """Pure ASGI: hands the scope and both channels on untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)


class WrappedPassThrough(BaseHTTPMiddleware):
    """The documented way to write one: each request becomes a Request, the
    app runs in a task behind a stream, and the answer comes back as a
    StreamingResponse this middleware sends on."""

    async def dispatch(self, request, call_next):
        return await call_next(request)


def middleware_from_env():
    count = os.environ.get("STRATA_MIDDLEWARE", "0")
    style = os.environ.get("STRATA_MIDDLEWARE_STYLE", "asgi")
    if not count.isdigit() or int(count) > 1000 or style not in ("asgi", "wrapped"):
        sys.exit(f"starlette_server: bad STRATA_MIDDLEWARE={count!r} or STRATA_MIDDLEWARE_STYLE={style!r} "
                 "(expected 0-1000, and asgi or wrapped)")
    cls = WrappedPassThrough if style == "wrapped" else PassThrough
    return [Middleware(cls) for _ in range(int(count))]


def resource(i):
    async def item(request: Request) -> Response:
        return PlainTextResponse(f"resource {i} item {request.path_params['item_id']}")
    return item


def extra_routes_from_env():
    count = os.environ.get("STRATA_ROUTES", "0")
    if not count.isdigit() or int(count) > 100000:
        sys.exit(f"starlette_server: bad STRATA_ROUTES={count!r} (expected 0-100000)")
    return [Route(f"/api/resource{i}/{{item_id:int}}", resource(i), methods=["GET"]) for i in range(int(count))]


app = Starlette(
    middleware=middleware_from_env(),
    routes=extra_routes_from_env() + [
        Route("/user", user, methods=["POST"]),
        Route("/", root),
        Route("/index", index),
    ]
)
