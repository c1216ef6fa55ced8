"""Models and their versions in MongoDB (`model_records.py`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pymongo import ASCENDING, IndexModel

from .model_records import ModelRecord, ModelVersion, VersionState
from .mongo_collection import Connected, Documents

# Added to the store's indexes (mongo.INDEXES).
INDEXES: dict[str, list[IndexModel]] = {
    "model_versions": [IndexModel([("model", ASCENDING), ("number", ASCENDING)], unique=True)],
}


class MongoModels:
    def __init__(self, store: Connected):
        self._c = Documents(store, "models", ModelRecord)

    async def create(self, model: ModelRecord) -> ModelRecord:
        return await self._c.insert(model)

    async def get(self, name: str) -> ModelRecord | None:
        return await self._c.get(name)

    async def all(self) -> list[ModelRecord]:
        return await self._c.find({}, [("_id", ASCENDING)])

    async def update(self, name: str, changes: dict[str, Any]) -> ModelRecord | None:
        return await self._c.update(name, changes)

    async def delete(self, name: str) -> bool:
        return (await self._c.coll.delete_one({"_id": name})).deleted_count > 0


class MongoVersions:
    def __init__(self, store: Connected):
        self._c = Documents(store, "model_versions", ModelVersion)

    async def create(self, version: ModelVersion) -> ModelVersion:
        return await self._c.insert(version)

    async def get(self, version_id: str) -> ModelVersion | None:
        return await self._c.get(version_id)

    async def of_model(self, model: str) -> list[ModelVersion]:
        return await self._c.find({"model": model}, [("number", ASCENDING)])

    async def update(
        self,
        version_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[VersionState] | None = None,
    ) -> ModelVersion | None:
        condition = (
            None if only_if_state is None else {"state": {"$in": [str(s) for s in only_if_state]}}
        )
        return await self._c.update(version_id, changes, condition)

    async def delete(self, version_id: str) -> bool:
        return (await self._c.coll.delete_one({"_id": version_id})).deleted_count > 0
