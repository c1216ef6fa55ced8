"""Users' flags on results in MongoDB (`feedback_records.py`)."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from .feedback_records import Flag, FlagQuery
from .mongo_collection import Connected, Documents
from .records import Page

# Added to the store's indexes (mongo.INDEXES).
INDEXES: dict[str, list[IndexModel]] = {
    "flags": [
        IndexModel([("model", ASCENDING), ("created_at", DESCENDING)]),
        IndexModel([("job_id", ASCENDING)]),
    ],
}


class MongoFlags:
    def __init__(self, store: Connected):
        self._c = Documents(store, "flags", Flag)

    async def create(self, flag: Flag) -> Flag:
        return await self._c.insert(flag)

    async def get(self, flag_id: str) -> Flag | None:
        return await self._c.get(flag_id)

    async def query(self, q: FlagQuery) -> Page[Flag]:
        query: dict[str, Any] = {}
        for field, value in (
            ("model", q.model),
            ("model_version", q.version),
            ("state", q.state),
            ("job_id", q.job_id),
        ):
            if value is not None:
                query[field] = str(value)
        newest = [("created_at", DESCENDING), ("_id", DESCENDING)]
        return await self._c.page(query, newest, q.offset, q.limit)

    async def update(self, flag_id: str, changes: dict[str, Any]) -> Flag | None:
        return await self._c.update(flag_id, changes)

    async def delete_of_job(self, job_id: str) -> int:
        return (await self._c.coll.delete_many({"job_id": job_id})).deleted_count
