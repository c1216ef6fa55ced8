"""Publish/subscribe of job snapshots, for server-sent events and `wait`: in process by
default, over Redis pub/sub when several processes share the work (docs/scaling.md).

`subscribe` is effective when its context is entered: a caller that then reads the job from
the store misses no change published after that read."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff, NoBackoff

from ...core.redis_conn import RedisTarget, async_client
from ...core.shared import REDIS_ERRORS
from ...store.records import Job

log = logging.getLogger(__name__)

_MAILBOX = 64
CHANNEL_PREFIX = "mg:job:"
# Keeps the shared subscriber connection subscribed (and so readable) with no job followed.
_CONTROL_CHANNEL = "mg:events"
_CONFIRM_TIMEOUT_S = 5.0  # a silent connection must not hold a subscriber forever
_RECONNECT_MAX_S = 2.0

Latest = Callable[[str], Awaitable[Job | None]]


class EventBus(Protocol):
    async def publish(self, job: Job) -> None: ...

    async def available(self) -> bool:
        """Whether a subscription made now would receive the changes."""
        ...

    def subscribe(self, job_id: str) -> AbstractAsyncContextManager[asyncio.Queue[Job]]: ...

    async def close(self) -> None: ...


def _deliver(mailbox: asyncio.Queue[Job], job: Job) -> None:
    if mailbox.full():  # a slow reader only needs the latest state
        mailbox.get_nowait()
    mailbox.put_nowait(job)


class _Mailboxes:
    """Local subscribers per job."""

    def __init__(self) -> None:
        self.by_job: dict[str, set[asyncio.Queue[Job]]] = defaultdict(set)

    def add(self, job_id: str) -> tuple[asyncio.Queue[Job], bool]:
        """A new mailbox, and whether it is the job's first."""
        mailbox: asyncio.Queue[Job] = asyncio.Queue(_MAILBOX)
        first = job_id not in self.by_job
        self.by_job[job_id].add(mailbox)
        return mailbox, first

    def remove(self, job_id: str, mailbox: asyncio.Queue[Job]) -> bool:
        """Whether it was the job's last."""
        boxes = self.by_job.get(job_id)
        if boxes is None:
            return False
        boxes.discard(mailbox)
        if boxes:
            return False
        del self.by_job[job_id]
        return True

    def deliver(self, job: Job) -> None:
        for mailbox in self.by_job.get(job.id, ()):
            _deliver(mailbox, job)


class MemoryEventBus:
    """One process: publishers and subscribers share this object."""

    def __init__(self) -> None:
        self._mailboxes = _Mailboxes()

    async def publish(self, job: Job) -> None:
        self._mailboxes.deliver(job)

    async def available(self) -> bool:
        return True

    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str) -> AsyncIterator[asyncio.Queue[Job]]:
        mailbox, _ = self._mailboxes.add(job_id)
        try:
            yield mailbox
        finally:
            self._mailboxes.remove(job_id, mailbox)

    async def close(self) -> None:
        pass


class RedisEventBus:
    """Redis pub/sub, one channel per job (`mg:job:<id>`, the Job's JSON). Publishing opens
    nothing else (a worker node only publishes). The first subscription starts one shared
    subscriber connection with a reader task that dispatches to local mailboxes.

    Redis unreachable: `publish` logs and returns (the job goes on; the store stays the
    truth), and the reader reconnects with back-off. Changes published meanwhile are lost,
    so after reconnecting it delivers each followed job's stored state, read with
    `latest` (e.g. `store.jobs.get`) when one is given."""

    def __init__(
        self,
        target: RedisTarget | str,
        *,
        latest: Latest | None = None,
        connect_timeout_s: float = 2.0,
    ) -> None:
        self._publisher = async_client(
            target,
            socket_connect_timeout=connect_timeout_s,
            socket_timeout=connect_timeout_s,
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 2),
        )
        self._subscriber = async_client(
            target,
            socket_connect_timeout=connect_timeout_s,
            socket_keepalive=True,
            # Reconnecting is this class's job: redis-py's own would resubscribe behind it.
            retry=Retry(NoBackoff(), 0),
        )
        self._latest = latest
        self._mailboxes = _Mailboxes()
        self._pubsub: aioredis.client.PubSub | None = None  # None while disconnected
        self._lock = asyncio.Lock()  # one (un)subscription or connection change at a time
        # Per channel, what each SUBSCRIBE sent awaits its confirmation: a future to
        # resolve, or None for a resubscription after a reconnect (deliver the stored state).
        self._confirm: dict[str, deque[asyncio.Future[None] | None]] = defaultdict(deque)
        self._reader: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()  # the reader has tried to connect once
        self._refreshing: set[asyncio.Task[None]] = set()
        self._publish_failing = False

    async def publish(self, job: Job) -> None:
        try:
            await self._publisher.publish(_channel(job.id), job.model_dump_json())
        except REDIS_ERRORS as exc:
            if not self._publish_failing:
                log.warning("job events: cannot publish to Redis (%s); the jobs go on", exc)
            self._publish_failing = True
        else:
            if self._publish_failing:
                log.info("job events: publishing to Redis again")
            self._publish_failing = False

    async def available(self) -> bool:
        """Connected, or Redis answers again (the reader, between its tries, resubscribes
        and delivers the stored state)."""
        if self._pubsub is not None:
            return True
        try:
            await self._publisher.ping()
        except REDIS_ERRORS:
            return False
        return True

    @contextlib.asynccontextmanager
    async def subscribe(self, job_id: str) -> AsyncIterator[asyncio.Queue[Job]]:
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="job-events-reader")
        await self._first_attempt.wait()
        confirmed: asyncio.Future[None] | None = None
        async with self._lock:
            mailbox, first = self._mailboxes.add(job_id)
            if first and self._pubsub is not None:
                confirmed = asyncio.get_running_loop().create_future()
                self._confirm[_channel(job_id)].append(confirmed)
                try:
                    await self._pubsub.subscribe(_channel(job_id))
                except REDIS_ERRORS:
                    confirmed.set_result(None)  # the reader reconnects and resubscribes
            elif not first:
                pending = [f for f in self._confirm.get(_channel(job_id), ()) if f is not None]
                confirmed = pending[-1] if pending else None
            # Disconnected: the reconnection subscribes and delivers the stored state.
        try:
            if confirmed is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(confirmed), _CONFIRM_TIMEOUT_S)
            yield mailbox
        finally:
            async with self._lock:
                if self._mailboxes.remove(job_id, mailbox) and self._pubsub is not None:
                    with contextlib.suppress(*REDIS_ERRORS):
                        await self._pubsub.unsubscribe(_channel(job_id))

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        await self._disconnect()
        await self._publisher.aclose()
        await self._subscriber.aclose()

    # --- the reader ------------------------------------------------------------------

    async def _read(self) -> None:
        delay = 0.05
        while True:
            try:
                pubsub = await self._connect()
                delay = 0.05
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is not None:
                        self._dispatch(message)
            except REDIS_ERRORS as exc:
                log.warning("job events: no connection to Redis (%s); reconnecting", exc)
            except Exception:
                log.exception("job events: the reader failed; reconnecting")
            finally:
                self._first_attempt.set()
            await self._disconnect()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_MAX_S)

    async def _connect(self) -> aioredis.client.PubSub:
        pubsub = self._subscriber.pubsub()
        async with self._lock:
            channels = [_channel(job_id) for job_id in self._mailboxes.by_job]
            try:
                await pubsub.subscribe(_CONTROL_CHANNEL, *channels)
            except BaseException:
                await pubsub.aclose()  # type: ignore[no-untyped-call]
                raise
            for channel in channels:
                self._confirm[channel].append(None)
            self._pubsub = pubsub
        self._first_attempt.set()
        return pubsub

    async def _disconnect(self) -> None:
        async with self._lock:
            pubsub, self._pubsub = self._pubsub, None
            # Subscribers waiting for a confirmation go on; the reconnection covers them.
            for waiting in self._confirm.values():
                for future in waiting:
                    if future is not None and not future.done():
                        future.set_result(None)
            self._confirm.clear()
        if pubsub is not None:
            with contextlib.suppress(*REDIS_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = _text(message["channel"])
        if not channel.startswith(CHANNEL_PREFIX):
            return
        if message["type"] == "subscribe":
            waiting = self._confirm.get(channel)
            if not waiting:
                return
            future = waiting.popleft()
            if not waiting:
                del self._confirm[channel]
            if future is None:
                self._refresh(channel.removeprefix(CHANNEL_PREFIX))
            elif not future.done():
                future.set_result(None)
        elif message["type"] == "message":
            try:
                job = Job.model_validate_json(message["data"])
            except ValidationError:
                log.warning("job events: ignored a malformed event on %s", channel)
                return
            self._mailboxes.deliver(job)

    def _refresh(self, job_id: str) -> None:
        if self._latest is None or job_id not in self._mailboxes.by_job:
            return
        latest = self._latest

        async def deliver() -> None:
            try:
                job = await latest(job_id)
            except Exception:
                log.exception("job events: could not read job %s after reconnecting", job_id)
                return
            if job is not None:
                self._mailboxes.deliver(job)

        task = asyncio.create_task(deliver())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)


def _channel(job_id: str) -> str:
    return f"{CHANNEL_PREFIX}{job_id}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
