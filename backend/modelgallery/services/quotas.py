"""Quotas on predictions, so that nobody can fill the queue or the disk: uploads per
minute, megabytes uploaded per day and jobs queued or running at once, per client address
for anonymous visitors and per account for users. Administrators have none. A refusal is
429 with Retry-After and a sentence saying which quota and when to try again.

Uploads and volume are counted like the other throttles (`core.security.Throttle`): in
memory, or in Redis shared by every API replica. A restart of an in-memory count forgets it,
which errs on the visitor's side. Jobs at once are the visitor's jobs accepted and not known
to have ended, kept beside the throttles; once they reach the limit, the job store (the
truth, wherever the jobs ran) says which have ended, and those leave the count."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import redis
from limits.storage import Storage

from ..core.redis_conn import sync_client
from ..core.security import Throttle
from ..core.settings import Settings
from ..core.shared import REDIS_ERRORS, SharedStateUnavailable
from ..store.records import Role, User
from .errors import TooManyRequests

log = logging.getLogger(__name__)

_RETRY_ACTIVE_S = 10  # a hint: the time a job usually takes is not known here
_ACTIVE_KEY = "mg:quota:active:"
_ACTIVE_TTL_S = 24 * 3600  # a visitor gone for a day leaves nothing behind
StillActive = Callable[[set[str]], Awaitable[set[str]]]  # which of these jobs have not ended


class ActiveJobs(Protocol):
    """Each visitor's jobs accepted and not yet seen to have ended."""

    def members(self, key: str) -> set[str]: ...

    def add(self, key: str, job_id: str) -> None: ...

    def discard(self, key: str, job_ids: Iterable[str]) -> None: ...


class MemoryActiveJobs:
    def __init__(self) -> None:
        self._jobs: dict[str, set[str]] = {}

    def members(self, key: str) -> set[str]:
        return set(self._jobs.get(key, ()))

    def add(self, key: str, job_id: str) -> None:
        self._jobs.setdefault(key, set()).add(job_id)

    def discard(self, key: str, job_ids: Iterable[str]) -> None:
        jobs = self._jobs.get(key, set())
        jobs.difference_update(job_ids)
        if not jobs:
            self._jobs.pop(key, None)


class RedisActiveJobs:
    """In Redis, so that every API replica counts the same jobs (a sorted set per visitor,
    scored by when each was accepted)."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    def members(self, key: str) -> set[str]:
        with _shared():
            found: list[bytes] = self._redis.zrange(_ACTIVE_KEY + key, 0, -1)  # type: ignore[assignment]
        return {m.decode() for m in found}

    def add(self, key: str, job_id: str) -> None:
        with _shared(), self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(_ACTIVE_KEY + key, {job_id: time.time()})
            pipe.expire(_ACTIVE_KEY + key, _ACTIVE_TTL_S)
            pipe.execute()

    def discard(self, key: str, job_ids: Iterable[str]) -> None:
        if ids := list(job_ids):
            with _shared():
                self._redis.zrem(_ACTIVE_KEY + key, *ids)


@dataclass(frozen=True)
class _Tier:
    name: str  # what the message calls the visitor
    uploads: Throttle | None
    kibibytes: Throttle | None  # the day's upload volume, counted in KiB
    active_jobs: int  # 0: no limit


def active_jobs(settings: Settings) -> ActiveJobs:
    """Where jobs at once are counted: in Redis when the replicas share one (REDIS_URL),
    with the throttles' short timeouts, else in memory."""
    target = settings.redis_target()
    if target is None:
        return MemoryActiveJobs()
    return RedisActiveJobs(sync_client(target, socket_connect_timeout=2.0, socket_timeout=2.0))


class Quotas:
    def __init__(
        self,
        settings: Settings,
        still_active: StillActive,
        limits: Storage | None = None,
        active: ActiveJobs | None = None,
    ) -> None:
        self._still_active = still_active
        self._jobs: ActiveJobs = active or MemoryActiveJobs()
        self._tiers = {
            "anonymous": _Tier(
                "visitors without an account",
                _throttle(
                    "uploads-anonymous", settings.uploads_per_minute_anonymous, "minute", limits
                ),
                _throttle(
                    "kib-anonymous", settings.upload_mb_per_day_anonymous * 1024, "day", limits
                ),
                settings.active_jobs_anonymous,
            ),
            "user": _Tier(
                "each account",
                _throttle("uploads-user", settings.uploads_per_minute_user, "minute", limits),
                _throttle("kib-user", settings.upload_mb_per_day_user * 1024, "day", limits),
                settings.active_jobs_user,
            ),
        }

    async def admit(self, user: User | None, client: str, declared_bytes: int | None) -> None:
        """Before the upload is read: refuse (TooManyRequests) when a quota is used up, or
        when the declared size would go past what is left of the day's."""
        found = self._visitor(user, client)
        if found is None:
            return
        key, tier = found
        if tier.uploads and (wait := tier.uploads.blocked_for(key)):
            raise _refused(
                f"You have sent too many predictions in the last minute (the limit for "
                f"{tier.name}); please wait {wait} s.",
                wait,
            )
        if tier.kibibytes and (wait := tier.kibibytes.blocked_for(key, cost=_kib(declared_bytes))):
            raise _refused(
                f"Today's upload quota for {tier.name} is used up (or this file would pass "
                f"it); please try again in {_human(wait)}.",
                wait,
            )
        if tier.active_jobs and await self._active(key, tier.active_jobs) >= tier.active_jobs:
            raise _refused(
                f"You already have {tier.active_jobs} predictions waiting or running (the "
                f"limit for {tier.name}); please wait for one to finish.",
                _RETRY_ACTIVE_S,
            )

    def charge(self, user: User | None, client: str, job_id: str, received_bytes: int) -> None:
        """Count an accepted job against its visitor's quotas. The job is queued already:
        with Redis gone since `admit`, it goes uncounted rather than answered as refused."""
        try:
            self._charge(user, client, job_id, received_bytes)
        except SharedStateUnavailable as exc:
            log.warning("job %s not counted against its visitor's quotas: %s", job_id, exc)

    def _charge(self, user: User | None, client: str, job_id: str, received_bytes: int) -> None:
        found = self._visitor(user, client)
        if found is None:
            return
        key, tier = found
        if tier.uploads:
            tier.uploads.hit(key)
        if tier.kibibytes:
            tier.kibibytes.hit(key, cost=_kib(received_bytes))
        if tier.active_jobs:
            self._jobs.add(key, job_id)

    def _visitor(self, user: User | None, client: str) -> tuple[str, _Tier] | None:
        if user is None:
            return f"client:{client}", self._tiers["anonymous"]
        if user.role == Role.admin:
            return None
        return f"user:{user.id}", self._tiers["user"]

    async def _active(self, key: str, limit: int) -> int:
        """How many of the visitor's jobs have not ended; the store is asked only at the
        limit (below it, jobs that ended unseen can only make the count too high)."""
        jobs = self._jobs.members(key)
        if len(jobs) < limit:
            return len(jobs)
        active = await self._still_active(jobs)
        self._jobs.discard(key, jobs - active)
        return len(active)


def _throttle(name: str, limit: int, per: str, limits: Storage | None) -> Throttle | None:
    return Throttle(name, f"{limit}/{per}", limits, what="your quota") if limit > 0 else None


@contextmanager
def _shared() -> Iterator[None]:
    try:
        yield
    except REDIS_ERRORS as exc:
        raise SharedStateUnavailable("your predictions at once cannot be counted") from exc


def _kib(size: int | None) -> int:
    return max(1, -(-(size or 0) // 1024))


def _refused(message: str, wait_s: int) -> TooManyRequests:
    return TooManyRequests(message, retry_after_s=wait_s)


def _human(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds / 3600)} hours"
