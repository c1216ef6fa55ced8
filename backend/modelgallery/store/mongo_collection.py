"""The plumbing every MongoDB repository shares: a document is the record itself (`_id` =
its id) plus derived fields that queries sort on (`Derived`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import bson
from pydantic import BaseModel
from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from .base import DuplicateError, field_adapter
from .records import Page, page_of

M = TypeVar("M", bound=BaseModel)
Document = dict[str, Any]  # what the client returns for a document (its default document_class)


class Connected(Protocol):
    @property
    def db(self) -> AsyncDatabase[Document]: ...


# Fields stored beside the record so that queries can sort on them: name -> (the record field
# it is computed from, how). An update of that field recomputes it.
Derived = dict[str, tuple[str, Callable[[Any], Any]]]


class Documents(Generic[M]):
    """Record <-> document plumbing shared by the repositories."""

    def __init__(self, store: Connected, name: str, model: type[M], derived: Derived | None = None):
        self.store = store
        self.name = name
        self.model = model
        self.derived = derived or {}

    @property
    def coll(self) -> AsyncCollection[Document]:
        return self.store.db[self.name]

    def load(self, doc: Mapping[str, Any]) -> M:
        doc = {k: v for k, v in doc.items() if k not in self.derived}
        doc["id"] = doc.pop("_id")
        return self.model.model_validate(doc)

    def _extra(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: compute(fields[source])
            for name, (source, compute) in self.derived.items()
            if source in fields
        }

    def _as_stored(self, doc: dict[str, Any]) -> dict[str, Any]:
        # A BSON round trip shows what the server will keep (milliseconds, UTC).
        return bson.decode(bson.encode(doc), codec_options=self.store.db.codec_options)

    async def insert(self, record: M) -> M:
        doc = record.model_dump()
        doc["_id"] = doc.pop("id")
        stored = self.load(self._as_stored(doc))
        doc.update(self._extra(dict(stored)))
        try:
            await self.coll.insert_one(doc)
        except DuplicateKeyError as exc:
            raise DuplicateError(str(exc)) from exc
        return stored

    async def get(self, record_id: str) -> M | None:
        doc = await self.coll.find_one({"_id": record_id})
        return None if doc is None else self.load(doc)

    async def update(
        self, record_id: str, changes: Mapping[str, Any], condition: Mapping[str, Any] | None = None
    ) -> M | None:
        query = {"_id": record_id, **(condition or {})}
        if not changes:
            return await self.find_one(query)
        values: dict[str, Any] = {}
        for field, value in changes.items():
            adapter = field_adapter(self.model, field)
            values[field] = adapter.dump_python(adapter.validate_python(value))
        stored = self._as_stored(values)
        fields = {f: field_adapter(self.model, f).validate_python(v) for f, v in stored.items()}
        try:
            doc = await self.coll.find_one_and_update(
                query,
                {"$set": {**values, **self._extra(fields)}},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError as exc:
            raise DuplicateError(str(exc)) from exc
        return None if doc is None else self.load(doc)

    async def find_one(self, query: Mapping[str, Any]) -> M | None:
        doc = await self.coll.find_one(query)
        return None if doc is None else self.load(doc)

    async def find(
        self, query: Mapping[str, Any], sort: list[tuple[str, int]], skip: int = 0, limit: int = 0
    ) -> list[M]:
        cursor = self.coll.find(query).sort(sort).skip(skip).limit(limit)
        return [self.load(doc) async for doc in cursor]

    async def page(
        self, query: Mapping[str, Any], sort: list[tuple[str, int]], skip: int, limit: int
    ) -> Page[M]:
        count = await self.coll.count_documents(query)
        data = await self.find(query, sort, skip, limit)
        return page_of(self.model, data, count)
