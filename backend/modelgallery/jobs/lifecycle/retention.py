"""Retention: a finished job's input and output files are deleted once its model's retention
period has passed (the RETENTION_DAYS setting, or the model's `retention_days`); the record
stays, marked with `files_expired_at`. Pinned jobs are never swept. A sweep runs at start and
then every RETENTION_SWEEP_MINUTES, in batches, deleting files in a thread so the event loop
stays free."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from ...core.settings import Settings
from ...files.storage import JobFiles
from ...store.base import JobRepo
from ...store.records import Job, JobStatus, utcnow
from ...vision.registry import Registry
from .periodic import Periodic

log = logging.getLogger(__name__)

_TERMINAL = [s for s in JobStatus if s.terminal]
BATCH = 100


def retention_days(registry: Registry, settings: Settings, model: str) -> float:
    """The model's retention period in days; 0 keeps files for ever. A model no longer in
    the registry falls back to the setting."""
    spec = registry.models.get(model)
    if spec is not None and spec.retention_days is not None:
        return spec.retention_days
    return settings.retention_days


class Retention:
    def __init__(
        self,
        settings: Settings,
        jobs: JobRepo,
        files: JobFiles,
        registry: Registry,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.files = files
        self.registry = registry
        self.now = now
        self._periodic = Periodic(
            "retention sweep", self.sweep, lambda: settings.retention_sweep_minutes * 60
        )

    def expired_message(self, job: Job) -> str:
        """Why a job's files cannot be downloaded any more, in words a person understands."""
        when = job.files_expired_at.date().isoformat() if job.files_expired_at else "an earlier day"
        if job.files_purged:
            return f"the files of this prediction were deleted by an administrator on {when}"
        days = self.days(job.model)
        unit = "day" if days == 1 else "days"
        return f"the files of this prediction expired after {days:g} {unit} (deleted on {when})"

    def days(self, model: str) -> float:
        return retention_days(self.registry, self.settings, model)

    async def expire(self, job_id: str, purged: bool = False) -> Job | None:
        """Delete an ended job's files and mark its record; None when the job is not there or
        has not ended. The record is marked first, so no download starts on a half-deleted
        folder."""
        job = await self.jobs.update(
            job_id, {"files_expired_at": self.now(), "files_purged": purged}, _TERMINAL
        )
        if job is not None:
            await self.files.purge(job_id)
        return job

    async def sweep(self, now: datetime | None = None) -> int:
        """Expire every job past its model's period at `now` (default: the clock); returns
        how many."""
        now = now or self.now()
        expired = 0
        for model in await self.jobs.models_in_use():
            days = self.days(model)
            if days <= 0:
                continue
            try:
                cutoff = now - timedelta(days=days)
            except OverflowError:  # an `as_of` near year 1: nothing can be that old
                continue
            while batch := await self.jobs.expirable(model, cutoff, BATCH):
                for job in batch:
                    expired += await self.expire(job.id) is not None
                if len(batch) < BATCH:
                    break
        if expired:
            log.info("retention: deleted the files of %d job(s)", expired)
        return expired

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
