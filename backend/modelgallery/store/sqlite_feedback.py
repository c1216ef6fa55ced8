"""Users' flags on results in SQLite (`feedback_records.py`)."""

from __future__ import annotations

from typing import Any

from .feedback_records import Flag, FlagQuery
from .records import Page
from .sqlite_connection import SqlValue
from .sqlite_table import Columns, Connected, Table

_COLUMNS: Columns = {
    name: name for name in ("job_id", "model", "model_version", "state", "created_at")
}

# Appended to the store's migrations (sqlite.MIGRATIONS).
TABLES = [
    """CREATE TABLE flags (
        id TEXT PRIMARY KEY,
        job_id TEXT NOT NULL,
        model TEXT NOT NULL,
        model_version TEXT,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
    )""",
    "CREATE INDEX flags_model_created ON flags (model, created_at)",
    "CREATE INDEX flags_job ON flags (job_id)",
]


class SqliteFlags:
    def __init__(self, store: Connected):
        self._t = Table(store, "flags", Flag, _COLUMNS)

    async def create(self, flag: Flag) -> Flag:
        return await self._t.insert(flag)

    async def get(self, flag_id: str) -> Flag | None:
        return await self._t.get(flag_id)

    async def query(self, q: FlagQuery) -> Page[Flag]:
        conditions: list[str] = []
        params: list[SqlValue] = []
        for column, value in (
            ("model", q.model),
            ("model_version", q.version),
            ("state", q.state),
            ("job_id", q.job_id),
        ):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(str(value))
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        order = "created_at DESC, id DESC"
        return await self._t.page(where, tuple(params), order, q.offset, q.limit)

    async def update(self, flag_id: str, changes: dict[str, Any]) -> Flag | None:
        return await self._t.update(flag_id, changes)

    async def delete_of_job(self, job_id: str) -> int:
        return await self._t.db.changed("DELETE FROM flags WHERE job_id = ?", (job_id,))
