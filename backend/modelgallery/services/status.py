"""Is this server well: liveness, readiness (the database answers, every worker group has
a live worker, and the data folder has more free space than its reserve) and the Prometheus
metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ..core.disk import DiskGuard, Space, megabytes
from ..core.metrics import Metrics
from ..jobs.lifecycle.executor import Executor
from ..store.base import Store

_PING_TIMEOUT_S = 5


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]  # what was checked: "ok" or what is wrong
    store: str


class StatusService:
    def __init__(self, store: Store, executor: Executor, metrics: Metrics, disk: DiskGuard) -> None:
        self.store = store
        self.executor = executor
        self.metrics = metrics
        self.disk = disk

    async def readiness(self) -> Readiness:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.store.ping(), _PING_TIMEOUT_S)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc}"
        ok, reason = self.executor.ready()
        checks["workers"] = "ok" if ok else reason
        checks["storage"] = self._storage_check()
        return Readiness(all(v == "ok" for v in checks.values()), checks, self.store.kind)

    def storage(self) -> Space:
        """The data folder's free space against its reserve."""
        return self.disk.space()

    def _storage_check(self) -> str:
        try:
            space = self.disk.space()
        except OSError as exc:
            return f"the data folder cannot be examined: {exc}"
        if not space.low:
            return "ok"
        return (
            f"low: {megabytes(space.free_bytes)} free in the data folder, below the reserve of "
            f"{megabytes(space.reserve_bytes)}; uploads and contact messages are refused until "
            "space is freed"
        )

    async def metrics_text(self) -> bytes:
        return await self.metrics.exposition()
