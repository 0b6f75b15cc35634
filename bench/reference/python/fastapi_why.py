"""Seed 003's "why?" rows: FastAPI with its per-request machinery bypassed.

The seed's DumpRoute replaces FastAPI's route handler with one that reads
the body and hands it to a codec, returning a pre-built Response: no
dependency solving, no request validation through the signature, no
jsonable_encoder and no response-model validation. What is left is
Starlette's routing under FastAPI's app, and the codec.

- `app`: the codec is pydantic's own (the seed used pydantic 2's
  TypeAdapter; Debian ships pydantic 1.10, so parse_raw and .json()).
- `app_ujson`: the codec is share.py's endpoint on ujson, the fastest JSON
  library Debian packages (the seed used msgspec, which it does not).

Both answer the chain's bytes: compact JSON, application/json.
"""
from typing import Any, Callable, Coroutine

import ujson
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response


class User(BaseModel):
    id: int
    name: str
    email: str


def pydantic_endpoint(data: bytes) -> bytes:
    received = User.parse_raw(data)
    respond = User(id=received.id, name=received.name, email=received.email)
    return respond.json(separators=(",", ":"), ensure_ascii=False).encode()


def ujson_endpoint(data: bytes) -> bytes:
    d = ujson.loads(data)
    uid, name, email = d["id"], d["name"], d["email"]
    if type(uid) is not int or type(name) is not str or type(email) is not str:
        raise ValueError("expected {id: int, name: str, email: str}")
    return ujson.dumps({"id": uid, "name": name, "email": email}, ensure_ascii=False).encode()


class DumpRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        async def app(request: Request) -> Response:
            body = await request.body()
            res = self.endpoint(body)
            return Response(res, media_type="application/json")

        return app


def make(endpoint) -> FastAPI:
    api = FastAPI()
    api.router.add_api_route(path="/user", route_class_override=DumpRoute, endpoint=endpoint, methods=["POST"])
    return api


app = make(pydantic_endpoint)
app_ujson = make(ujson_endpoint)
