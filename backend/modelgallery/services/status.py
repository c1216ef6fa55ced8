"""Is this server well: liveness, readiness (the database answers and every worker group has
a live worker) and the Prometheus metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from prometheus_client import generate_latest

from ..core.metrics import Metrics
from ..jobs.executor import Executor
from ..store.base import Store

_PING_TIMEOUT_S = 5


@dataclass(frozen=True)
class Readiness:
    ready: bool
    checks: dict[str, str]  # what was checked: "ok" or what is wrong
    store: str


class StatusService:
    def __init__(self, store: Store, executor: Executor, metrics: Metrics) -> None:
        self.store = store
        self.executor = executor
        self.metrics = metrics

    async def readiness(self) -> Readiness:
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.store.ping(), _PING_TIMEOUT_S)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc}"
        ok, reason = self.executor.ready()
        checks["workers"] = "ok" if ok else reason
        return Readiness(all(v == "ok" for v in checks.values()), checks, self.store.kind)

    def metrics_text(self) -> bytes:
        return generate_latest(self.metrics.registry)
