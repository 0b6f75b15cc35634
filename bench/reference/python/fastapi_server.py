"""Tier 4 twin: FastAPI + pydantic (seed 003), plus seed 004's routes.

FastAPI decodes and validates the body into a pydantic User and encodes
the returned User itself (jsonable_encoder + json.dumps), as in the seed.
"""
import asyncio
import time
from typing import Optional

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel


class User(BaseModel):
    id: int
    name: str
    email: str


app = FastAPI()


@app.post("/user")
async def pydantic_user(user: User) -> User:
    return User(id=user.id, name=user.name, email=user.email)


@app.get("/", response_class=PlainTextResponse)
async def read_root():
    return "Hello ASGI World!"


@app.get("/index", response_class=PlainTextResponse)
async def read_index(name: Optional[str] = None):
    return f"Hello {name}" if name else "Hello ASGI World!"


# Seed 004: where a handler's waiting happens.
@app.get("/fastapi/async_slowest/")
async def async_slowest():
    time.sleep(1)  # blocks the event loop, on purpose
    return {"message": "async mode but use sync sleep"}


@app.get("/fastapi/async_sleep_in_thread/")
async def async_sleep_in_thread():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, time.sleep, 1)
    return {"message": "sleep run in thread pool"}


@app.get("/fastapi/async_sleep/")
async def async_sleep():
    await asyncio.sleep(1)
    return {"message": "async mode sleep"}


@app.get("/fastapi/sync/")
def sync_sleep():
    time.sleep(1)
    return {"message": "sync, but run in thread pool"}
