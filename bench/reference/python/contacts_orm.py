"""Seed 001's fastapi-orm-asyncpg: FastAPI + pydantic + SQLAlchemy 1.4's
ORM (asyncio extension over asyncpg). The type is joined into the contacts
query and phones and emails come by selectinload: three queries per page,
as in the other stacks. DATABASE_URL names the database."""
import os
from typing import List, Optional

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import Column, ForeignKey, Integer, Text, select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import declarative_base, joinedload, relationship, selectinload, sessionmaker

from contacts_common import DEFAULT_ROUNDS, MAX_PAGE, MAX_ROUNDS, PAGE_SIZE, VERSION, digest
from contacts_models import Contact, ContactPage, ContactType, Digest, Version

Base = declarative_base()


class ContactTypeRow(Base):
    __tablename__ = "contact_types"
    id = Column(Integer, primary_key=True)
    name = Column(Text, nullable=False)


class ContactRow(Base):
    __tablename__ = "contacts"
    id = Column(Integer, primary_key=True)
    first_name = Column(Text, nullable=False)
    last_name = Column(Text, nullable=False)
    type_id = Column(Integer, ForeignKey("contact_types.id"), nullable=False)
    created_at = Column(Text, nullable=False)
    type = relationship(ContactTypeRow)
    phones = relationship("PhoneRow", order_by="PhoneRow.id")
    emails = relationship("EmailRow", order_by="EmailRow.id")


class PhoneRow(Base):
    __tablename__ = "phones"
    id = Column(Integer, primary_key=True)
    contact_id = Column(Integer, ForeignKey("contacts.id"), nullable=False)
    kind = Column(Text, nullable=False)
    number = Column(Text, nullable=False)


class EmailRow(Base):
    __tablename__ = "emails"
    id = Column(Integer, primary_key=True)
    contact_id = Column(Integer, ForeignKey("contacts.id"), nullable=False)
    address = Column(Text, nullable=False)


def engine_url(url: str) -> str:
    return "postgresql+asyncpg://" + url.split("://", 1)[1]


engine = create_async_engine(engine_url(os.environ["DATABASE_URL"]), pool_size=8, max_overflow=0)
Session = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
app = FastAPI()


async def get_db():
    async with Session() as session:
        yield session


def to_contact(c: ContactRow) -> dict:
    return {
        "id": c.id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "type": c.type.name,
        "created_at": c.created_at,
        "phones": [{"kind": p.kind, "number": p.number} for p in c.phones],
        "emails": [e.address for e in c.emails],
    }


def with_children(query):
    return query.options(joinedload(ContactRow.type), selectinload(ContactRow.phones), selectinload(ContactRow.emails))


@app.get("/version", response_model=Version)
async def version():
    return VERSION


@app.get("/types", response_model=List[ContactType])
async def types(db: AsyncSession = Depends(get_db)):
    return (await db.execute(select(ContactTypeRow).order_by(ContactTypeRow.id))).scalars().all()


@app.get("/contacts/", response_model=ContactPage)
async def contacts(
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(PAGE_SIZE, ge=1, le=100),
    last_name: Optional[str] = None,
    db: AsyncSession = Depends(get_db),
):
    query = select(ContactRow)
    if last_name is not None:
        query = query.where(ContactRow.last_name == last_name)
    query = with_children(query.order_by(ContactRow.id).limit(page_size).offset((page - 1) * page_size))
    rows = (await db.execute(query)).scalars().all()
    return {"page": page, "page_size": page_size, "results": [to_contact(c) for c in rows]}


@app.get("/digest/", response_model=Digest)
async def digest_page(
    page: int = Query(1, ge=1, le=MAX_PAGE),
    rounds: int = Query(DEFAULT_ROUNDS, ge=1, le=MAX_ROUNDS),
    db: AsyncSession = Depends(get_db),
):
    query = with_children(select(ContactRow).order_by(ContactRow.id).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    rows = (await db.execute(query)).scalars().all()
    return {"page": page, "rounds": rounds, "digest": digest([to_contact(c) for c in rows], rounds)}


@app.get("/contacts/{contact_id}", response_model=Contact)
async def contact(contact_id: int, db: AsyncSession = Depends(get_db)):
    row = (await db.execute(with_children(select(ContactRow).where(ContactRow.id == contact_id)))).scalars().first()
    if row is None:
        raise HTTPException(status_code=404, detail="Contact not found")
    return to_contact(row)
