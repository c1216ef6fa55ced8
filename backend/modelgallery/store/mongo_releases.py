"""Releases and replays in MongoDB (`release_records.py`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from .mongo_collection import Connected, Documents
from .release_records import Release, ReleaseState, Replay, ReplayState

# Added to the store's indexes (mongo.INDEXES).
INDEXES: dict[str, list[IndexModel]] = {
    "releases": [IndexModel([("model", ASCENDING), ("created_at", DESCENDING)])],
    "replays": [IndexModel([("model", ASCENDING), ("created_at", DESCENDING)])],
}
_NEWEST = [("created_at", DESCENDING), ("_id", DESCENDING)]


class MongoReleases:
    def __init__(self, store: Connected):
        self._c = Documents(store, "releases", Release)

    async def create(self, release: Release) -> Release:
        return await self._c.insert(release)

    async def get(self, release_id: str) -> Release | None:
        return await self._c.get(release_id)

    async def active(self) -> list[Release]:
        return await self._c.find({"state": str(ReleaseState.active)}, [("model", ASCENDING)])

    async def of_model(self, model: str) -> list[Release]:
        return await self._c.find({"model": model}, _NEWEST)

    async def update(
        self,
        release_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[ReleaseState] | None = None,
    ) -> Release | None:
        return await self._c.update(release_id, changes, _in_states(only_if_state))

    async def add_shadow_skipped(self, release_id: str, count: int = 1) -> None:
        await self._c.coll.update_one({"_id": release_id}, {"$inc": {"shadow_skipped": count}})


class MongoReplays:
    def __init__(self, store: Connected):
        self._c = Documents(store, "replays", Replay)

    async def create(self, replay: Replay) -> Replay:
        return await self._c.insert(replay)

    async def get(self, replay_id: str) -> Replay | None:
        return await self._c.get(replay_id)

    async def of_model(self, model: str) -> list[Replay]:
        return await self._c.find({"model": model}, _NEWEST)

    async def running(self) -> list[Replay]:
        return await self._c.find({"state": str(ReplayState.running)}, [("created_at", ASCENDING)])

    async def update(
        self,
        replay_id: str,
        changes: dict[str, Any],
        only_if_state: Collection[ReplayState] | None = None,
    ) -> Replay | None:
        return await self._c.update(replay_id, changes, _in_states(only_if_state))


def _in_states(states: Collection[str] | None) -> dict[str, Any] | None:
    """The condition of a compare-and-set on the state; None: none."""
    return None if states is None else {"state": {"$in": [str(s) for s in states]}}
