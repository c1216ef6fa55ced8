"""In-process publish/subscribe of job snapshots, for server-sent events and `wait`.
A distributed deployment swaps this for Redis pub/sub behind the same two methods."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator

from ..store.records import Job

_MAILBOX = 64


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[asyncio.Queue[Job]]] = defaultdict(set)

    def publish(self, job: Job) -> None:
        for mailbox in self._subscribers.get(job.id, ()):
            if mailbox.full():  # a slow reader only needs the latest state
                mailbox.get_nowait()
            mailbox.put_nowait(job)

    @contextlib.contextmanager
    def subscribe(self, job_id: str) -> Iterator[asyncio.Queue[Job]]:
        mailbox: asyncio.Queue[Job] = asyncio.Queue(_MAILBOX)
        self._subscribers[job_id].add(mailbox)
        try:
            yield mailbox
        finally:
            self._subscribers[job_id].discard(mailbox)
            if not self._subscribers[job_id]:
                del self._subscribers[job_id]
