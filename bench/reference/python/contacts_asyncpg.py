"""Seed 001's fastapi-asyncpg: FastAPI + pydantic + an asyncpg pool, raw
SQL, three queries per page (strata's twin: `strata serve --tier typed
--database-url postgresql://...`). DATABASE_URL names the database."""
import os
from typing import List, Optional

import asyncpg
from fastapi import Depends, FastAPI, HTTPException, Query

from contacts_common import (
    DEFAULT_ROUNDS,
    MAX_PAGE,
    MAX_ROUNDS,
    ONE,
    ONE_EMAILS,
    ONE_PHONES,
    PAGE_SIZE,
    TYPES,
    VERSION,
    assemble,
    digest,
    page_queries,
)
from contacts_models import Contact, ContactPage, ContactType, Digest, Version


app = FastAPI()
pool: Optional[asyncpg.Pool] = None


@app.on_event("startup")
async def open_pool():
    global pool
    pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=8, max_size=8)


@app.on_event("shutdown")
async def close_pool():
    await pool.close()


async def get_db():
    async with pool.acquire() as connection:
        yield connection


@app.get("/version", response_model=Version)
async def version():
    return VERSION


@app.get("/types", response_model=List[ContactType])
async def types(db=Depends(get_db)):
    return [dict(r) for r in await db.fetch(TYPES)]


@app.get("/contacts/", response_model=ContactPage)
async def contacts(
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(PAGE_SIZE, ge=1, le=100),
    last_name: Optional[str] = None,
    db=Depends(get_db),
):
    results = [await db.fetch(sql, *args) for sql, args in page_queries(page, page_size, last_name)]
    return {"page": page, "page_size": page_size, "results": assemble(*results)}


@app.get("/digest/", response_model=Digest)
async def digest_page(
    page: int = Query(1, ge=1, le=MAX_PAGE), rounds: int = Query(DEFAULT_ROUNDS, ge=1, le=MAX_ROUNDS), db=Depends(get_db)
):
    results = [await db.fetch(sql, *args) for sql, args in page_queries(page, PAGE_SIZE, None)]
    return {"page": page, "rounds": rounds, "digest": digest(assemble(*results), rounds)}


@app.get("/contacts/{contact_id}", response_model=Contact)
async def contact(contact_id: int, db=Depends(get_db)):
    rows = [await db.fetch(sql, contact_id) for sql in (ONE, ONE_PHONES, ONE_EMAILS)]
    found = assemble(*rows)
    if not found:
        raise HTTPException(status_code=404, detail="Contact not found")
    return found[0]
