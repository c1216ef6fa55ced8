"""Models and their versions in SQLite (`model_records.py`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from .model_records import ModelRecord, ModelVersion, VersionState
from .sqlite_table import Columns, Connected, Table, sql_in

MODEL_COLUMNS: Columns = {"created_at": "created_at"}

VERSION_COLUMNS: Columns = {"model": "model", "number": "number", "state": "state"}

# Appended to the store's migrations (sqlite.MIGRATIONS).
TABLES = [
    """CREATE TABLE models (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    """CREATE TABLE model_versions (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        number INTEGER NOT NULL,
        state TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE UNIQUE INDEX model_versions_number ON model_versions (model, number)",
]


class SqliteModels:
    def __init__(self, store: Connected):
        self._t = Table(store, "models", ModelRecord, MODEL_COLUMNS)

    async def create(self, model: ModelRecord) -> ModelRecord:
        return await self._t.insert(model)

    async def get(self, name: str) -> ModelRecord | None:
        return await self._t.get(name)

    async def all(self) -> list[ModelRecord]:
        return await self._t.select("", (), "id ASC")

    async def update(self, name: str, changes: dict[str, Any]) -> ModelRecord | None:
        return await self._t.update(name, changes)

    async def delete(self, name: str) -> bool:
        return await self._t.db.changed("DELETE FROM models WHERE id = ?", (name,)) > 0


class SqliteVersions:
    def __init__(self, store: Connected):
        self._t = Table(store, "model_versions", ModelVersion, VERSION_COLUMNS)

    async def create(self, version: ModelVersion) -> ModelVersion:
        return await self._t.insert(version)

    async def get(self, version_id: str) -> ModelVersion | None:
        return await self._t.get(version_id)

    async def of_model(self, model: str) -> list[ModelVersion]:
        return await self._t.select("WHERE model = ?", (model,), "number ASC")

    async def update(
        self,
        version_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[VersionState] | None = None,
    ) -> ModelVersion | None:
        if only_if_state is None:
            return await self._t.update(version_id, changes)
        condition, params = sql_in("state", only_if_state)
        return await self._t.update(version_id, changes, f"AND {condition}", params)

    async def delete(self, version_id: str) -> bool:
        return (
            await self._t.db.changed("DELETE FROM model_versions WHERE id = ?", (version_id,)) > 0
        )
