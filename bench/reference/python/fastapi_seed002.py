"""Seed 002's FastAPI app as the seed wrote it: FastAPI's default response
class, so each answer is a JSON string ("Hello strata", with its quotes,
as application/json), and /index without a name is "Hello FastAPI World!".

fastapi_server.py answers the same routes as plain text, the bytes every
other row of the chain sends; this one shows what the seed measured.
"""
from typing import Optional

from fastapi import FastAPI

app = FastAPI()


@app.get("/")
async def read_root():
    return "Hello ASGI World!"


@app.get("/index")
async def read_index(name: Optional[str] = None):
    if name:
        return f"Hello {name}"
    return "Hello FastAPI World!"
