"""The event loop of a node process, in a thread of its own: the store's and Redis'
connections live there, and the process's other threads (Celery's, which runs the jobs,
and the one that adopts model changes) wait on it for their results."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="node-loop", daemon=True).start()

    def call(self, awaitable: Awaitable[T]) -> T:
        """Run on the loop and wait for the result (never from the loop's own thread)."""

        async def wrapped() -> T:
            return await awaitable

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        return future.result()

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> Future[None]:
        """Run in the background on the loop (a heartbeat)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)
