"""The job lifecycle as the services ask for it: whether a model can take a job now, submit,
wait, cancel, delete, and which of a visitor's jobs are still active. The record in the
store is the single source of truth; `recorder.py` writes what the workers report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from ...core.settings import Settings
from ...files.storage import JobFiles
from ...store.base import FlagRepo, JobRepo
from ...store.records import Job, JobQuery, JobStatus
from ...vision.registry import ModelSpec
from .events import EventBus
from .executor import Executor
from .recorder import ACTIVE, JobRecorder
from .runs import run_of


class ModelUnavailableError(Exception):
    def __init__(
        self, model: str, status: str, reason: str | None, retry_after_s: int | None = None
    ) -> None:
        super().__init__(reason or status)
        self.model, self.status, self.reason = model, status, reason
        self.retry_after_s = retry_after_s


class Following:
    """A job's changes as they are published, for at most `wait_s`."""

    def __init__(self, mailbox: asyncio.Queue[Job] | None, wait_s: float) -> None:
        self._mailbox, self._deadline = mailbox, time.monotonic() + wait_s

    async def until_end(self, job: Job) -> Job:
        """`job` (as queued) once it has ended, or as it is when the time runs out."""
        while self._mailbox is not None and not job.status.terminal:
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                async with asyncio.timeout(remaining):  # no task made per event
                    job = await self._mailbox.get()
            except TimeoutError:
                break
        return job


class JobService:
    def __init__(
        self,
        settings: Settings,
        jobs: JobRepo,
        files: JobFiles,
        executor: Executor,
        recorder: JobRecorder,
        bus: EventBus,
        flags: FlagRepo,
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.flags = flags  # what users said of a job's result goes with the job
        self.files = files
        self.executor = executor
        self.recorder = recorder
        self.bus = bus

    def admit(self, spec: ModelSpec) -> str:
        """Raise ModelUnavailableError or QueueFullError when a job for `spec` would be
        refused now (before an upload is read, not after); else what a job accepted now
        says while it waits. A model still loading, or whose workers restart, takes jobs:
        they wait in the queue."""
        state = self.executor.model_states().get(spec.name)
        if state is None:
            raise ModelUnavailableError(spec.name, "unavailable", None)
        if state.status not in ("loaded", "loading"):
            raise ModelUnavailableError(spec.name, state.status, state.reason, state.retry_after_s)
        self.executor.check_room(spec.name)
        if state.status != "loading":
            return "waiting for a worker"
        restarting = (state.reason or "").startswith("restarting")
        return f"waiting for a worker ({'restarting' if restarting else 'loading'})"

    async def submit(self, job: Job, spec: ModelSpec) -> Job:
        """Store a prepared job (its files already in place) and queue it. Raises
        QueueFullError, after removing the job, when the queue is full."""
        began = time.perf_counter()
        job = await self.jobs.create(job)
        self.recorder.expect(job, began)
        try:
            self.executor.submit(run_of(job, spec, self.files, self.settings))
        except Exception:
            self.recorder.forget(job.id)
            await self.jobs.delete(job.id)
            await self.files.purge(job.id)
            raise
        return job

    @asynccontextmanager
    async def following(self, job_id: str, wait_s: float) -> AsyncIterator[Following]:
        """Changes of a job about to be queued, from before it is queued (so that none is
        missed and the job is not read back); nothing is subscribed when `wait_s` is 0."""
        if wait_s <= 0:
            yield Following(None, 0)
            return
        async with self.bus.subscribe(job_id) as mailbox:
            yield Following(mailbox, wait_s)

    async def cancel(self, job_id: str) -> Job | None:
        job = await self.jobs.get(job_id)
        if job is None or job.status.terminal:
            return job
        if job.status == JobStatus.queued:
            cancelled = await self.recorder.finish(job, JobStatus.cancelled, message="cancelled")
            if cancelled is not None:
                return cancelled
            job = await self.jobs.get(job_id)  # it started meanwhile
        if job is not None and job.status == JobStatus.running:
            await self.executor.cancel(job_id)
        return job

    async def delete(self, job_id: str) -> bool:
        job = await self.jobs.get(job_id)
        if job is None:
            return False
        if job.status in ACTIVE:
            await self.cancel(job_id)
        deleted = await self.jobs.delete(job_id)
        await self.flags.delete_of_job(job_id)
        await self.files.purge(job_id)
        self.recorder.forget(job_id)
        return deleted

    async def still_active(self, job_ids: set[str]) -> set[str]:
        """Which of these jobs are queued or running, wherever they run: those of this
        process's workers from memory, the others from the store."""
        active = {i for i in job_ids if self.recorder.here(i)}
        for job_id in job_ids - active:
            job = await self.jobs.get(job_id)
            if job is not None and job.status in ACTIVE:
                active.add(job_id)
        return active

    async def fail_queued(self, model: str, reason: str) -> int:
        """End every job of `model` still waiting; their slots skip them."""
        count = 0
        while True:
            page = await self.jobs.query(
                JobQuery(model=model, status=JobStatus.queued, lane=None, limit=200)
            )
            ended = [
                ended
                for j in page.data
                if (ended := await self.recorder.finish(j, JobStatus.failed, error=reason))
            ]
            count += len(ended)
            if len(page.data) < 200 or not ended:
                return count
