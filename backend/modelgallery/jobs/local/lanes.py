"""A worker group's queue with two lanes: live jobs, and behind them the background work of
releases and replays (shadow copies, replayed inputs), taken only when no live job waits.
An asyncio.Queue whose storage is two deques, the way the standard library's PriorityQueue
and LifoQueue change only where items are kept."""

from __future__ import annotations

import asyncio
from collections import deque

from ..lifecycle.executor import JobRun


class _Lanes:
    def __init__(self) -> None:
        self.live: deque[JobRun] = deque()
        self.background: deque[JobRun] = deque()

    def __len__(self) -> int:
        return len(self.live) + len(self.background)


class LaneQueue(asyncio.Queue[JobRun]):
    _queue: _Lanes

    def _init(self, maxsize: int) -> None:
        self._queue = _Lanes()

    def _put(self, item: JobRun) -> None:
        (self._queue.background if item.background else self._queue.live).append(item)

    def _get(self) -> JobRun:
        return (self._queue.live or self._queue.background).popleft()

    def live_size(self) -> int:
        return len(self._queue.live)

    def background_size(self) -> int:
        return len(self._queue.background)

    def put_back(self, item: JobRun) -> None:
        """A job taken and not run (its worker had to change first): first in its lane again."""
        self.put_nowait(item)
        (self._queue.background if item.background else self._queue.live).rotate(1)
