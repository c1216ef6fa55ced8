"""The job lifecycle: submit, follow, cancel, delete, recover at start-up; and the listener
that turns executor reports into job records, events and metrics. The record in the store
is the single source of truth."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from ..core.metrics import JobEnd, Metrics
from ..core.settings import Settings
from ..files.storage import JobFiles, ObjectStoreError
from ..media.sniff import kind_of
from ..store.base import Store
from ..store.records import Artifact, Job, JobQuery, JobStatus, utcnow
from ..vision.model import InputItem
from ..vision.registry import ModelSpec, Registry
from .events import EventBus, MemoryEventBus
from .executor import Executor, Outcome, Task

log = logging.getLogger(__name__)

_PROGRESS_WRITE_INTERVAL_S = 0.5
_MAX_ATTEMPTS = 3
_ACTIVE = (JobStatus.queued, JobStatus.running)


class ModelUnavailableError(Exception):
    def __init__(
        self, model: str, status: str, reason: str | None, retry_after_s: int | None = None
    ) -> None:
        super().__init__(reason or status)
        self.model, self.status, self.reason = model, status, reason
        self.retry_after_s = retry_after_s


class JobService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        executor: Executor,
        files: JobFiles,
        registry: Registry,
        metrics: Metrics,
        bus: EventBus | None = None,
        *,
        local: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.executor = executor
        self.files = files
        self.registry = registry
        self.metrics = metrics
        self.bus: EventBus = bus or MemoryEventBus()
        # The local executor: its workers report to this process, so it knows the jobs it
        # queued when they start, and with object storage `on_success` stores the outputs
        # they wrote on this machine. A worker node starts and stores its jobs itself.
        self.local = local
        # Running jobs: when progress was last stored, and the last state published.
        self._last_write: dict[str, float] = {}
        self._running: dict[str, Job] = {}
        # Jobs submitted here and not started yet, as stored: starting one needs no read.
        self._queued: dict[str, Job] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._missing_since: dict[str, float] = {}  # running jobs whose worker has no beat

    # --- what the services ask -------------------------------------------------------

    def check_can_take(self, spec: ModelSpec) -> None:
        """Raise ModelUnavailableError or QueueFullError when a job for `spec` would be
        refused now (before an upload is read, not after). A model still loading, or
        whose workers restart, takes jobs: they wait in the queue."""
        state = self.executor.model_states().get(spec.name)
        if state is None:
            raise ModelUnavailableError(spec.name, "unavailable", None)
        if state.status not in ("loaded", "loading"):
            raise ModelUnavailableError(spec.name, state.status, state.reason, state.retry_after_s)
        self.executor.check_room(spec.name)

    def waiting_message(self, spec: ModelSpec) -> str:
        """What a job accepted now says while it waits."""
        state = self.executor.model_states().get(spec.name)
        if state is None or state.status != "loading":
            return "waiting for a worker"
        restarting = (state.reason or "").startswith("restarting")
        return f"waiting for a worker ({'restarting' if restarting else 'loading'})"

    def with_result_kind(self, job: Job) -> Job:
        """Jobs recorded before result kinds were get theirs from the model's declaration."""
        if job.result_kind is not None:
            return job
        spec = self.registry.models.get(job.model)
        kinds = [kind_of(f.media_type) for f in job.inputs]
        return job.model_copy(
            update={"result_kind": spec.result_kind_for(kinds) if spec else "generic"}
        )

    async def submit(self, job: Job, spec: ModelSpec) -> Job:
        """Store a prepared job (its files already in place) and queue it. Raises
        QueueFullError, after removing the job, when the queue is full."""
        job = await self.store.jobs.create(job)
        if self.local:
            self._queued[job.id] = job
        try:
            self.executor.submit(self.task_for(job, spec))
        except Exception:
            self._queued.pop(job.id, None)
            await self.store.jobs.delete(job.id)
            await self.files.purge(job.id)
            raise
        return job

    async def wait(self, job_id: str, timeout_s: float) -> Job | None:
        """The job once it has ended, or its state when `timeout_s` runs out."""
        async with self.bus.subscribe(job_id) as mailbox:
            job = await self.store.jobs.get(job_id)
            deadline = time.monotonic() + timeout_s
            while job is not None and not job.status.terminal:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    job = await asyncio.wait_for(mailbox.get(), remaining)
                except TimeoutError:
                    break
            return job

    async def cancel(self, job_id: str) -> Job | None:
        job = await self.store.jobs.get(job_id)
        if job is None or job.status.terminal:
            return job
        if job.status == JobStatus.queued:
            cancelled = await self._finish(job, JobStatus.cancelled, message="cancelled")
            if cancelled is not None:
                return cancelled
            job = await self.store.jobs.get(job_id)  # it started meanwhile
        if job is not None and job.status == JobStatus.running:
            await self.executor.cancel(job_id)
        return job

    async def delete(self, job_id: str) -> bool:
        job = await self.store.jobs.get(job_id)
        if job is None:
            return False
        if job.status in _ACTIVE:
            await self.cancel(job_id)
        deleted = await self.store.jobs.delete(job_id)
        await self.files.purge(job_id)
        self._last_write.pop(job_id, None)
        self._running.pop(job_id, None)
        self._queued.pop(job_id, None)
        return deleted

    async def still_active(self, job_ids: set[str]) -> set[str]:
        """Which of these jobs are queued or running, wherever they run: those of this
        process's workers from memory, the others from the store."""
        active = {i for i in job_ids if i in self._queued or i in self._running}
        for job_id in job_ids - active:
            job = await self.store.jobs.get(job_id)
            if job is not None and job.status in _ACTIVE:
                active.add(job_id)
        return active

    async def fail_queued(self, model: str, reason: str) -> int:
        """End every job of `model` still waiting; their slots skip them."""
        count = 0
        while True:
            page = await self.store.jobs.query(
                JobQuery(model=model, status=JobStatus.queued, limit=200)
            )
            ended = [j for j in page.data if await self._finish(j, JobStatus.failed, error=reason)]
            count += len(ended)
            if len(page.data) < 200 or not ended:
                return count

    async def recover(self) -> int:
        """Re-queue what was accepted before the last stop. Returns how many.

        With worker nodes elsewhere, a running job is left to its node (or to
        `sweep_lost` once its node is gone), and a queued one is sent again: the broker
        most likely holds it already, and the second copy is skipped when it arrives,
        since a job starts only by a compare-and-set from `queued`."""
        count = 0
        distributed = self.settings.executor != "local"
        for job in await self.store.jobs.with_status(_ACTIVE):
            if distributed and job.status == JobStatus.running:
                continue
            spec = self.registry.models.get(job.model)
            if job.attempts >= _MAX_ATTEMPTS:
                await self._finish(
                    job,
                    JobStatus.failed,
                    error=f"stopped: the server restarted during this job {job.attempts} times",
                )
                continue
            if spec is None:
                await self._finish(
                    job, JobStatus.failed, error=f"the model '{job.model}' was removed"
                )
                continue
            if job.status == JobStatus.running:
                job = (
                    await self.store.jobs.update(
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
                self.executor.submit(self.task_for(job, spec), force=True)
                count += 1
            except KeyError as exc:
                await self._finish(job, JobStatus.failed, error=str(exc))
        if count:
            log.info("re-queued %d job(s) accepted before the restart", count)
        return count

    async def sweep_lost(self, grace_s: float) -> int:
        """Running jobs whose worker process stopped announcing itself (a node that died or
        was killed): run again, up to `_MAX_ATTEMPTS` runs, else failed with the reason;
        cancelled if a cancel was asked for. Several API replicas may sweep at once: each
        change is a compare-and-set on the job's run. Returns how many were handled."""
        handled = 0
        now = utcnow()
        running = await self.store.jobs.with_status([JobStatus.running])
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
            limit = self._time_limit(spec) if spec else self.settings.job_timeout_s
            lost = f"its worker ({job.worker}) stopped answering"
            if await self.executor.cancel_requested(job.id):
                ended = await self._finish(job, JobStatus.cancelled, message="cancelled")
            elif (now - started).total_seconds() >= limit:
                error = f"stopped: it ran longer than the time limit of {limit:g} s"
                ended = await self._finish(job, JobStatus.failed, error=error)
            elif job.attempts >= _MAX_ATTEMPTS or spec is None:
                error = (
                    f"stopped: {lost} during each of its {job.attempts} runs"
                    if spec
                    else f"the model '{job.model}' was removed"
                )
                ended = await self._finish(job, JobStatus.failed, error=error)
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
        queued = await self.store.jobs.update(
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
            self.executor.submit(self.task_for(queued, spec), force=True)
        except Exception as exc:  # the broker is unreachable: the job must not stay queued
            await self._finish(queued, JobStatus.failed, error=f"it could not be queued: {exc}")
        return queued

    # --- the executor's listener ------------------------------------------------------

    async def on_start(self, job_id: str, worker: str, known: Job | None = None) -> Job | None:
        # A cancel or delete since it was queued (or read) makes the conditional update
        # below miss. Popped from `_queued` only once in `_running`, so that
        # `still_active` never misses it.
        job = self._queued.get(job_id) or known or await self.store.jobs.get(job_id)
        if job is None or job.status != JobStatus.queued:
            self._queued.pop(job_id, None)
            return None
        started = utcnow()
        queued_ms = round((started - job.timings.created).total_seconds() * 1000, 2)
        timings = job.timings.model_copy(
            update={"started": started, "stages": {**job.timings.stages, "queue": queued_ms}}
        )
        updated = await self.store.jobs.update(
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
            job = await self.store.jobs.update(
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
            await self._finish(job, JobStatus.failed, error=f"the model's output is invalid: {exc}")
            return
        try:
            if self.local:
                written = [a.name for a in artifacts if not a.deferred]
                await self.files.publish_outputs(job_id, written)
        except ObjectStoreError as exc:
            log.warning("job %s: outputs not stored: %s", job_id, exc)
            error = "the server could not store its results"
            await self._finish(job, JobStatus.failed, error=error)
            return
        await self._finish(
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
            await self._finish(job, JobStatus.failed, error=error)

    async def on_cancelled(self, job_id: str) -> None:
        job = await self._ending(job_id)
        if job is not None:
            await self._finish(job, JobStatus.cancelled, message="cancelled")

    async def _ending(self, job_id: str) -> Job | None:
        """A job whose run ended, as last stored: from memory while it ran here (`delete`
        forgets it), else read. None, with its files removed, when it was deleted."""
        job = self._running.get(job_id) or await self.store.jobs.get(job_id)
        if job is None:
            await self.files.purge(job_id)
        return job

    # --- helpers ---------------------------------------------------------------------

    def task_for(self, job: Job, spec: ModelSpec) -> Task:
        inputs = [
            InputItem(
                path=self.files.input_path(job.id, f.stored),
                name=f.name,
                media_type=f.media_type,
                kind=kind_of(f.media_type),
            )
            for f in job.inputs
        ]
        return Task(
            job_id=job.id,
            model=job.model,
            inputs=inputs,
            params=job.params,
            outdir=self.files.output_dir(job.id),
            timeout_s=self._time_limit(spec),
            attempts=job.attempts,
        )

    def _time_limit(self, spec: ModelSpec) -> float:
        return spec.timeout_s or self.settings.job_timeout_s

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

    async def _finish(
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
        updated = await self.store.jobs.update(
            job.id,
            changes,
            only_if_status=_ACTIVE,
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
