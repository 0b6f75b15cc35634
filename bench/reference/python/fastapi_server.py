"""Tier 4 twin: FastAPI + pydantic (seed 003), plus seed 004's routes.

FastAPI decodes and validates the body into a pydantic User and encodes
the returned User itself (jsonable_encoder + json.dumps), as in the seed.

Seed 004's seven routes take the query parameters `strata bench --delay`
and `--work` send: ?delay= (seconds, 0 to 60, default the seed's 1) and
?n= (loop count, 0 to 1000000000, default the seed's 5000000); FastAPI
answers 422 outside, as the typed tier does. Their dicts go out through
JSONResponse, whose JSON is compact: the same bytes as the typed tier's.
"""
import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Optional

from fastapi import FastAPI, Query
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
DELAY = Query(1.0, ge=0, le=60)
WORK = Query(5000000, ge=0, le=1000000000)


@app.get("/fastapi/async_slowest/")
async def async_slowest(delay: float = DELAY):
    time.sleep(delay)  # blocks the event loop, on purpose
    return {"message": "async mode but use sync sleep"}


@app.get("/fastapi/async_sleep_in_thread/")
async def async_sleep_in_thread(delay: float = DELAY):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, time.sleep, delay)
    return {"message": "sleep run in thread pool"}


@app.get("/fastapi/async_sleep/")
async def async_sleep(delay: float = DELAY):
    await asyncio.sleep(delay)
    return {"message": "async mode sleep"}


@app.get("/fastapi/sync/")
def sync_sleep(delay: float = DELAY):
    time.sleep(delay)
    return {"message": "sync, but run in thread pool"}


def cpu_bound_operation(n: int) -> int:
    num = 0
    for _ in range(n):
        num += 1
    return num


# As in the seed, async_cpu_bound hands its loop to a pool of processes,
# not to the thread pool: the GIL would let only one thread count at a time.
# Its workers start on first use and are other processes, so their CPU time
# is not in the figures `strata bench` reads for this server.
executor = ProcessPoolExecutor()


@app.get("/fastapi/sync_cpu_bound/")
def sync_cpu_bound(n: int = WORK):
    result = cpu_bound_operation(n)
    return {"data": result, "message": "sync mode cpu operation"}


@app.get("/fastapi/async_cpu_bound/")
async def async_cpu_bound(n: int = WORK):
    loop = asyncio.get_running_loop()
    result = await loop.run_in_executor(executor, cpu_bound_operation, n)
    return {"data": result, "message": "async mode cpu operation"}


@app.get("/fastapi/async_cpu_bound_slow/")
async def async_cpu_bound_slow(n: int = WORK):
    cpu_bound_operation(n)  # blocks the event loop, on purpose
    return {"message": "sync mode operation but run in async mode"}
