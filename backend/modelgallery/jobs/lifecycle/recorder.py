"""The executors' listener: what a worker reports about a run becomes the job's record (the
single source of truth, written only by a compare-and-set on the job's run), its events and
its metrics. On one machine it runs in the API process; on a worker node, in each of the
node's processes."""

from __future__ import annotations

import logging
import time
from typing import Any

from ...core.metrics import JobEnd, Metrics
from ...files.storage import JobFiles, ObjectStoreError
from ...store.base import JobRepo
from ...store.records import Artifact, Job, JobStatus, utcnow
from .events import EventBus
from .executor import Outcome

log = logging.getLogger(__name__)

_PROGRESS_WRITE_INTERVAL_S = 0.5
ACTIVE = (JobStatus.queued, JobStatus.running)


class JobRecorder:
    def __init__(
        self,
        jobs: JobRepo,
        files: JobFiles,
        metrics: Metrics,
        bus: EventBus,
        *,
        local: bool = False,
    ) -> None:
        self.jobs = jobs
        self.files = files
        self.metrics = metrics
        self.bus = bus
        # The local executor: its workers report to this process, so it knows the jobs
        # queued here when they start, and with object storage `on_success` stores the
        # outputs they wrote on this machine. A worker node starts and stores its own.
        self.local = local
        # Running jobs: when progress was last stored, and the last state published.
        self._last_write: dict[str, float] = {}
        self._running: dict[str, Job] = {}
        # Jobs queued here and not started yet, as stored, with when their record began to
        # be written (`time.perf_counter()`): starting one needs no read, and its `queue`
        # stage is timed to the microsecond (the stored `created` keeps milliseconds).
        self._queued: dict[str, tuple[Job, float]] = {}

    def expect(self, job: Job, since: float) -> None:
        """A job just queued here, to be started without reading it again; `since`: when
        its record began to be written."""
        if self.local:
            self._queued[job.id] = (job, since)

    def expects(self, job_id: str) -> bool:
        return job_id in self._queued

    def forget(self, job_id: str) -> None:
        self._last_write.pop(job_id, None)
        self._running.pop(job_id, None)
        self._queued.pop(job_id, None)

    def here(self, job_id: str) -> bool:
        """Whether the job is queued or running in this process (the local executor)."""
        return job_id in self._queued or job_id in self._running

    async def on_start(
        self, job_id: str, worker: str, known: Job | None = None, sent: float | None = None
    ) -> Job | None:
        # A cancel or delete since it was queued (or read) makes the conditional update
        # below miss. Popped from `_queued` only once in `_running`, so that
        # `still_active` never misses it.
        queued, since = self._queued.get(job_id) or (None, None)
        job = queued or known or await self.jobs.get(job_id)
        if job is None or job.status != JobStatus.queued:
            self._queued.pop(job_id, None)
            return None
        started = utcnow()
        waited_s = (
            (sent if sent is not None else time.perf_counter()) - since
            if since is not None
            else (started - job.timings.created).total_seconds()
        )
        queued_ms = round(waited_s * 1000, 2)
        timings = job.timings.model_copy(
            update={"started": started, "stages": {**job.timings.stages, "queue": queued_ms}}
        )
        updated = await self.jobs.update(
            job_id,
            {
                "status": JobStatus.running,
                "worker": worker,
                "attempts": job.attempts + 1,
                "message": "running",
                "timings": timings,
            },
            only_if_status=[JobStatus.queued],
        )
        if updated is None:
            self._queued.pop(job_id, None)
            return None
        self._running[job_id] = updated
        self._queued.pop(job_id, None)
        # The start was just written: progress is stored from the next interval on (a
        # one-image job ends before it, and its progress reaches followers as events).
        self._last_write[job_id] = time.monotonic()
        await self.bus.publish(updated)
        return updated

    async def on_progress(self, job_id: str, fraction: float, message: str) -> None:
        now = time.monotonic()
        changes = {"progress": fraction, "message": message}
        if now - self._last_write.get(job_id, 0.0) >= _PROGRESS_WRITE_INTERVAL_S:
            self._last_write[job_id] = now
            run = self._running.get(job_id)
            job = await self.jobs.update(
                job_id,
                changes,
                only_if_status=[JobStatus.running],
                only_if_attempts=run.attempts if run else None,
            )
        else:  # between writes, events carry the last stored state with the new progress
            last = self._running.get(job_id)
            job = last.model_copy(update=changes) if last else None
        if job is None:
            self._running.pop(job_id, None)
            return
        self._running[job_id] = job
        await self.bus.publish(job)

    async def on_success(self, job_id: str, outcome: Outcome) -> None:
        received = time.perf_counter()
        job = await self._ending(job_id)
        if job is None:
            return
        try:
            artifacts = self._collect(job_id, outcome)
        except ValueError as exc:
            await self.finish(job, JobStatus.failed, error=f"the model's output is invalid: {exc}")
            return
        try:
            if self.local:
                written = [a.name for a in artifacts if not a.deferred]
                await self.files.publish_outputs(job_id, written)
        except ObjectStoreError as exc:
            log.warning("job %s: outputs not stored: %s", job_id, exc)
            error = "the server could not store its results"
            await self.finish(job, JobStatus.failed, error=error)
            return
        await self.finish(
            job,
            JobStatus.succeeded,
            message="done",
            result=outcome.summary,
            artifacts=artifacts,
            model_ms=outcome.model_ms,
            stages={
                **outcome.stages,
                "recording": round((time.perf_counter() - received) * 1000, 2),
            },
            batch_size=outcome.batch_size,
        )

    async def on_failure(self, job_id: str, error: str) -> None:
        job = await self._ending(job_id)
        if job is not None:
            await self.finish(job, JobStatus.failed, error=error)

    async def on_cancelled(self, job_id: str) -> None:
        job = await self._ending(job_id)
        if job is not None:
            await self.finish(job, JobStatus.cancelled, message="cancelled")

    async def _ending(self, job_id: str) -> Job | None:
        """A job whose run ended, as last stored: from memory while it ran here (`delete`
        forgets it), else read. None, with its files removed, when it was deleted."""
        job = self._running.get(job_id) or await self.jobs.get(job_id)
        if job is None:
            await self.files.purge(job_id)
        return job

    def _collect(self, job_id: str, outcome: Outcome) -> list[Artifact]:
        artifacts = []
        for art in outcome.artifacts:
            path = self.files.output_path(job_id, art.name)
            if art.deferred:
                artifacts.append(
                    Artifact(name=art.name, media_type=art.media_type, role=art.role, deferred=True)
                )
                continue
            if not path.is_file():
                raise ValueError(f"it announced {art.name} but did not write it")
            artifacts.append(
                Artifact(
                    name=art.name,
                    media_type=art.media_type,
                    role=art.role,
                    size=path.stat().st_size,
                )
            )
        return artifacts

    async def finish(
        self,
        job: Job,
        status: JobStatus,
        *,
        message: str | None = None,
        error: str | None = None,
        result: dict[str, Any] | None = None,
        artifacts: list[Artifact] | None = None,
        model_ms: float | None = None,
        stages: dict[str, float] | None = None,
        batch_size: int = 1,
    ) -> Job | None:
        timings = job.timings.model_copy(
            update={
                "finished": utcnow(),
                "model_ms": model_ms,
                "stages": {**job.timings.stages, **(stages or {})},
                "batch_size": batch_size,
            }
        )
        changes: dict[str, Any] = {
            "status": status,
            "timings": timings,
            "message": message or status.value,
            "error": error,
        }
        if status == JobStatus.succeeded:
            changes.update(progress=1.0, result=result, artifacts=artifacts or [])
        # A run that ends updates only its own run (a node presumed lost may still answer).
        updated = await self.jobs.update(
            job.id,
            changes,
            only_if_status=ACTIVE,
            only_if_attempts=job.attempts if job.status == JobStatus.running else None,
        )
        self._last_write.pop(job.id, None)
        self._running.pop(job.id, None)
        self._queued.pop(job.id, None)
        if updated is None:
            return None
        queue_ms = timings.stages.get("queue")
        await self.metrics.job_ended(
            JobEnd(
                job.model,
                status.value,
                total_s=_seconds(timings.total_ms),
                model_s=_seconds(model_ms),
                queue_s=_seconds(queue_ms),
            )
        )
        if error:
            log.warning("job %s (%s) failed: %s", job.id, job.model, error)
        await self.bus.publish(updated)
        return updated


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000
