"""The seed 003 endpoint, shared by the raw, uvicorn and Starlette twins.

As seed 003's share.py, with the stdlib json module in place of msgspec
(which Debian does not package): decode the body into a User, build a new
User from it, encode it as compact JSON. Also the seed 002 greetings.
"""
import json
from urllib.parse import parse_qs


class User:
    __slots__ = ("id", "name", "email")

    def __init__(self, id: int, name: str, email: str):
        self.id = id
        self.name = name
        self.email = email


def decode(data: bytes) -> User:
    d = json.loads(data)
    uid, name, email = d["id"], d["name"], d["email"]
    if type(uid) is not int or type(name) is not str or type(email) is not str:
        raise ValueError("expected {id: int, name: str, email: str}")
    return User(uid, name, email)


def encode(user: User) -> bytes:
    return json.dumps(
        {"id": user.id, "name": user.name, "email": user.email},
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def endpoint(data: bytes) -> bytes:
    received = decode(data)
    respond = User(id=received.id, name=received.name, email=received.email)
    return encode(respond)


def hello_root() -> bytes:
    return b"Hello ASGI World!"


def hello_index(query: bytes) -> bytes:
    name = parse_qs(query.decode("latin-1"), encoding="utf-8").get("name", [""])[0]
    return ("Hello " + name).encode() if name else hello_root()


JSON_TYPE = b"application/json"
TEXT_TYPE = b"text/plain; charset=utf-8"
