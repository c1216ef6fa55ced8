"""Runs that a restart or a lost worker interrupted. At start-up, what was accepted before the
last stop is queued again; with worker nodes, a running job whose process stopped sending
heartbeats is run again (or failed, past its attempts or its time limit), by a
compare-and-set on its run, so that several API replicas may sweep at once."""

from __future__ import annotations

import asyncio
import logging
import time

from ...core.settings import Settings
from ...files.storage import JobFiles
from ...store.base import JobRepo
from ...store.records import Job, JobStatus, utcnow
from ...vision.registry import ModelSpec, Registry
from .events import EventBus
from .executor import Executor
from .recorder import ACTIVE, JobRecorder
from .runs import run_of, time_limit

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3


class Recovery:
    def __init__(
        self,
        settings: Settings,
        jobs: JobRepo,
        files: JobFiles,
        registry: Registry,
        executor: Executor,
        recorder: JobRecorder,
        bus: EventBus,
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.files = files
        self.registry = registry
        self.executor = executor
        self.recorder = recorder
        self.bus = bus
        self._sweeper: asyncio.Task[None] | None = None
        self._missing_since: dict[str, float] = {}  # running jobs whose worker has no beat

    async def recover(self) -> int:
        """Re-queue what was accepted before the last stop. Returns how many.

        With worker nodes elsewhere, a running job is left to its node (or to
        `sweep_lost` once its node is gone), and a queued one is sent again: the broker
        most likely holds it already, and the second copy is skipped when it arrives,
        since a job starts only by a compare-and-set from `queued`."""
        count = 0
        distributed = self.settings.executor != "local"
        for job in await self.jobs.with_status(ACTIVE):
            if distributed and job.status == JobStatus.running:
                continue
            spec = self.registry.models.get(job.model)
            if job.attempts >= MAX_ATTEMPTS:
                await self.recorder.finish(
                    job,
                    JobStatus.failed,
                    error=f"stopped: the server restarted during this job {job.attempts} times",
                )
                continue
            if spec is None:
                await self.recorder.finish(
                    job, JobStatus.failed, error=f"the model '{job.model}' was removed"
                )
                continue
            if job.status == JobStatus.running:
                job = (
                    await self.jobs.update(
                        job.id,
                        {
                            "status": JobStatus.queued,
                            "progress": 0.0,
                            "message": "queued again after a server restart",
                            "worker": None,
                        },
                        only_if_status=[JobStatus.running],
                    )
                    or job
                )
            try:
                self.executor.submit(run_of(job, spec, self.files, self.settings), force=True)
                count += 1
            except KeyError as exc:
                await self.recorder.finish(job, JobStatus.failed, error=str(exc))
        if count:
            log.info("re-queued %d job(s) accepted before the restart", count)
        return count

    async def sweep_lost(self, grace_s: float) -> int:
        """Running jobs whose worker process stopped announcing itself (a node that died or
        was killed): run again, up to `MAX_ATTEMPTS` runs, else failed with the reason;
        cancelled if a cancel was asked for. Several API replicas may sweep at once: each
        change is a compare-and-set on the job's run. Returns how many were handled."""
        handled = 0
        now = utcnow()
        running = await self.jobs.with_status([JobStatus.running])
        running_ids = {job.id for job in running}
        self._missing_since = {k: v for k, v in self._missing_since.items() if k in running_ids}
        for job in running:
            started = job.timings.started or job.timings.created
            if self.executor.worker_alive(job.worker or "") is not False:
                self._missing_since.pop(job.id, None)
                continue
            # Lost only when missing for a whole heartbeat lifetime more: a busy machine
            # can make one beat late, and a job wrongly judged lost would run twice.
            first_missed = self._missing_since.setdefault(job.id, time.monotonic())
            if time.monotonic() - first_missed < grace_s:
                continue
            if (now - started).total_seconds() < grace_s:  # its first heartbeat may be late
                continue
            spec = self.registry.models.get(job.model)
            limit = time_limit(spec, self.settings) if spec else self.settings.job_timeout_s
            lost = f"its worker ({job.worker}) stopped answering"
            if await self.executor.cancel_requested(job.id):
                ended = await self.recorder.finish(job, JobStatus.cancelled, message="cancelled")
            elif (now - started).total_seconds() >= limit:
                error = f"stopped: it ran longer than the time limit of {limit:g} s"
                ended = await self.recorder.finish(job, JobStatus.failed, error=error)
            elif job.attempts >= MAX_ATTEMPTS or spec is None:
                error = (
                    f"stopped: {lost} during each of its {job.attempts} runs"
                    if spec
                    else f"the model '{job.model}' was removed"
                )
                ended = await self.recorder.finish(job, JobStatus.failed, error=error)
            else:
                ended = await self._run_again(job, spec, f"queued again: {lost}")
            self._missing_since.pop(job.id, None)
            handled += ended is not None
        return handled

    def start_sweeping(self, interval_s: float, grace_s: float) -> None:
        """Look for lost jobs every `interval_s` (worker nodes elsewhere only)."""

        async def sweep() -> None:
            while True:
                await asyncio.sleep(interval_s)
                try:
                    await self.sweep_lost(grace_s)
                except Exception:  # the store or Redis briefly away: try again next time
                    log.exception("looking for lost jobs failed")

        self._sweeper = asyncio.create_task(sweep(), name="lost-jobs")

    async def stop_sweeping(self) -> None:
        sweeper, self._sweeper = self._sweeper, None
        if sweeper is not None:
            sweeper.cancel()
            await asyncio.gather(sweeper, return_exceptions=True)

    async def _run_again(self, job: Job, spec: ModelSpec, message: str) -> Job | None:
        queued = await self.jobs.update(
            job.id,
            {"status": JobStatus.queued, "progress": 0.0, "message": message, "worker": None},
            only_if_status=[JobStatus.running],
            only_if_attempts=job.attempts,
        )
        if queued is None:  # another replica handled it, or it ended meanwhile
            return None
        log.warning("job %s (%s): %s", job.id, job.model, message)
        await self.bus.publish(queued)
        try:
            self.executor.submit(run_of(queued, spec, self.files, self.settings), force=True)
        except Exception as exc:  # the broker is unreachable: the job must not stay queued
            error = f"it could not be queued: {exc}"
            await self.recorder.finish(queued, JobStatus.failed, error=error)
        return queued
