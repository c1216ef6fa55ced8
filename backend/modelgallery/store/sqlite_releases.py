"""Releases and replays in SQLite (`release_records.py`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar

from .release_records import Release, ReleaseState, Replay, ReplayState
from .sqlite_table import Columns, Connected, Table, sql_in

R = TypeVar("R", Release, Replay)

_COLUMNS: Columns = {"model": "model", "state": "state", "created_at": "created_at"}

# Appended to the store's migrations (sqlite.MIGRATIONS).
TABLES = [
    f"""CREATE TABLE {table} (
        id TEXT PRIMARY KEY,
        model TEXT NOT NULL,
        state TEXT NOT NULL,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
    )"""
    for table in ("releases", "replays")
] + [
    "CREATE INDEX releases_model ON releases (model, created_at)",
    "CREATE INDEX replays_model ON replays (model, created_at)",
]


class SqliteReleases:
    def __init__(self, store: Connected):
        self._t = Table(store, "releases", Release, _COLUMNS)

    async def create(self, release: Release) -> Release:
        return await self._t.insert(release)

    async def get(self, release_id: str) -> Release | None:
        return await self._t.get(release_id)

    async def active(self) -> list[Release]:
        return await self._t.select("WHERE state = ?", (str(ReleaseState.active),), "model ASC")

    async def of_model(self, model: str) -> list[Release]:
        return await self._t.select("WHERE model = ?", (model,), "created_at DESC, id DESC")

    async def update(
        self,
        release_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[ReleaseState] | None = None,
    ) -> Release | None:
        return await _update(self._t, release_id, changes, only_if_state)

    async def add_shadow_skipped(self, release_id: str, count: int = 1) -> None:
        await self._t.db.changed(
            "UPDATE releases SET data = json_set(data, '$.shadow_skipped',"
            " COALESCE(json_extract(data, '$.shadow_skipped'), 0) + ?) WHERE id = ?",
            (count, release_id),
        )


class SqliteReplays:
    def __init__(self, store: Connected):
        self._t = Table(store, "replays", Replay, _COLUMNS)

    async def create(self, replay: Replay) -> Replay:
        return await self._t.insert(replay)

    async def get(self, replay_id: str) -> Replay | None:
        return await self._t.get(replay_id)

    async def of_model(self, model: str) -> list[Replay]:
        return await self._t.select("WHERE model = ?", (model,), "created_at DESC, id DESC")

    async def running(self) -> list[Replay]:
        return await self._t.select("WHERE state = ?", (str(ReplayState.running),), "created_at")

    async def update(
        self,
        replay_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[ReplayState] | None = None,
    ) -> Replay | None:
        return await _update(self._t, replay_id, changes, only_if_state)


async def _update(
    table: Table[R], record_id: str, changes: dict[str, Any], states: Collection[str] | None
) -> R | None:
    """Set fields; with `states`, only while the record is in one of them."""
    if states is None:
        return await table.update(record_id, changes)
    condition, params = sql_in("state", states)
    return await table.update(record_id, changes, f"AND {condition}", params)
