"""The response models of seed 001's FastAPI twins (asyncpg and ORM):
the shape of strata's answers (src/cli/contacts.cpp)."""
from typing import List

from pydantic import BaseModel


class Phone(BaseModel):
    kind: str
    number: str


class Contact(BaseModel):
    id: int
    first_name: str
    last_name: str
    type: str
    created_at: str
    phones: List[Phone]
    emails: List[str]


class ContactPage(BaseModel):
    page: int
    page_size: int
    results: List[Contact]


class ContactType(BaseModel):
    id: int
    name: str

    class Config:
        orm_mode = True  # the ORM twin returns rows, the asyncpg one dicts


class Version(BaseModel):
    name: str
    version: str


class Digest(BaseModel):
    page: int
    rounds: int
    digest: str
