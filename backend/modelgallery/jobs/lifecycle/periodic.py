"""A sweep run at start and then every so often, in the background of a process: a failing
run is logged and the next one tries again, so the loop never ends by itself."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

log = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self, name: str, sweep: Callable[[], Awaitable[object]], every_s: Callable[[], float]
    ) -> None:
        self._name = name
        self._sweep = sweep
        self._every_s = every_s  # asked after each run
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            try:
                await self._sweep()
            except Exception:
                log.exception("%s failed", self._name)
            await asyncio.sleep(self._every_s())
