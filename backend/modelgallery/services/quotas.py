"""Quotas on predictions, so that nobody can fill the queue or the disk: uploads per
minute, megabytes uploaded per day and jobs queued or running at once, per client address
for anonymous visitors and per account for users. Administrators have none. A refusal is
429 with Retry-After and a sentence saying which quota and when to try again.

Uploads and volume are counted like the other throttles (`core.security.Throttle`): in
memory, or in Redis shared by every API replica. A restart of an in-memory count forgets it,
which errs on the visitor's side. Jobs at once are counted per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from limits.storage import Storage

from ..core.security import Throttle
from ..core.settings import Settings
from ..store.records import Role, User
from .errors import TooManyRequests

_RETRY_ACTIVE_S = 10  # a hint: the time a job usually takes is not known here


@dataclass(frozen=True)
class _Tier:
    name: str  # what the message calls the visitor
    uploads: Throttle | None
    kibibytes: Throttle | None  # the day's upload volume, counted in KiB
    active_jobs: int  # 0: no limit


class Quotas:
    def __init__(
        self,
        settings: Settings,
        is_active: Callable[[str], bool],
        limits: Storage | None = None,
    ) -> None:
        self._is_active = is_active
        self._jobs: dict[str, set[str]] = {}  # visitor key: its jobs not known to have ended
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

    def admit(self, user: User | None, client: str, declared_bytes: int | None) -> None:
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
        if tier.active_jobs and self._active(key) >= tier.active_jobs:
            raise _refused(
                f"You already have {tier.active_jobs} predictions waiting or running (the "
                f"limit for {tier.name}); please wait for one to finish.",
                _RETRY_ACTIVE_S,
            )

    def charge(self, user: User | None, client: str, job_id: str, received_bytes: int) -> None:
        """Count an accepted job against its visitor's quotas."""
        found = self._visitor(user, client)
        if found is None:
            return
        key, tier = found
        if tier.uploads:
            tier.uploads.hit(key)
        if tier.kibibytes:
            tier.kibibytes.hit(key, cost=_kib(received_bytes))
        if tier.active_jobs:
            self._jobs.setdefault(key, set()).add(job_id)

    def _visitor(self, user: User | None, client: str) -> tuple[str, _Tier] | None:
        if user is None:
            return f"client:{client}", self._tiers["anonymous"]
        if user.role == Role.admin:
            return None
        return f"user:{user.id}", self._tiers["user"]

    def _active(self, key: str) -> int:
        jobs = self._jobs.get(key, set())
        jobs -= {job_id for job_id in jobs if not self._is_active(job_id)}
        if not jobs:
            self._jobs.pop(key, None)
        return len(jobs)


def _throttle(name: str, limit: int, per: str, limits: Storage | None) -> Throttle | None:
    return Throttle(name, f"{limit}/{per}", limits) if limit > 0 else None


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
