"""The local executor's dispatch: a slot takes the next job of its group's queue (with the
one-image jobs of the same model waiting behind it, when its model batches), sizes its
threads, sends it to its worker process and relays what the worker says until it ends."""

from __future__ import annotations

import asyncio
import logging
import time

from ...vision.registry import ModelSpec
from ..lifecycle.executor import JobRun
from ..runner import Cancelled, Failed, Progressed, Succeeded
from .between import BetweenJobs
from .messages import RunBatch, RunJob, WorkerDied
from .pool import CANCEL_GRACE_S, Slot, take

log = logging.getLogger("modelgallery.jobs.local.executor")


class Dispatch(BetweenJobs):
    async def _next_run(self, slot: Slot) -> JobRun | None:
        slot.wake.clear()
        if slot.inbox.empty() and not slot.group.queue.empty():
            return slot.group.queue.get_nowait()  # jobs are waiting: no futures to make
        getter = asyncio.ensure_future(slot.group.queue.get())
        waker = asyncio.ensure_future(slot.wake.wait())
        listener = asyncio.ensure_future(slot.inbox.get())
        done, pending = await asyncio.wait(
            {getter, waker, listener}, return_when=asyncio.FIRST_COMPLETED
        )
        for future in pending:
            future.cancel()
        if listener in done:
            message = listener.result()
            if isinstance(message, WorkerDied):
                slot.crashed = self._exit_text(slot)
                log.warning("worker %s died while idle (%s)", slot.name, slot.crashed)
                await self._shutdown(slot, graceful=False)
            else:
                await self._handle_side_message(message)
        if getter in done:
            run = getter.result()
            # It died at the same moment, or a change to its models (a version, a load or an
            # unload) came with the job: the change first, the job next, still first in line.
            if slot.process is None or waker in done:
                slot.group.queue.put_back(run)
                return None
            return run
        return None

    async def _gather(self, slot: Slot, first: JobRun) -> list[JobRun]:
        """`first`, with the one-image jobs of its model waiting behind it when its model
        batches and gains from it (up to its `max_batch`, waiting up to its
        `max_batch_wait_ms` for more to come)."""
        spec = self._registry.models.get(first.model)
        state = self._states.get(first.model)
        if (
            spec is None
            or spec.max_batch < 2
            or not _one_image(first)
            or state is None
            or not state.batches
        ):
            return [first]
        batch = [first]
        waited = False
        while True:
            batch += take(
                slot.group.queue,
                lambda t: t.model == first.model and t.version == first.version and _one_image(t),
                spec.max_batch - len(batch),
            )
            if len(batch) >= spec.max_batch or waited or spec.max_batch_wait_ms <= 0:
                return batch
            await asyncio.sleep(spec.max_batch_wait_ms / 1000)
            waited = True

    async def _execute(self, slot: Slot, runs: list[JobRun]) -> None:
        """Run one job, or a batch of one-image jobs, on the slot's worker and relay what
        it says until every job has ended."""
        assert self._listener is not None
        worker_name = f"{slot.name} (pid {slot.process.pid})"
        # A job queued here starts in the worker while its start is written; one known
        # only to the store (recovered after a restart) is started first.
        fresh = [t for t in runs if self._listener.expects(t.job_id)]
        runs = fresh + [
            t
            for t in runs
            if t not in fresh and await self._listener.on_start(t.job_id, worker_name) is not None
        ]
        if not runs:
            return
        pending = {t.job_id: t for t in runs}
        for run in runs:
            self._running[run.job_id] = slot
        slot.job_id, slot.batch, slot.cancel_deadline = runs[0].job_id, set(pending), None
        started = time.monotonic()
        deadline = started + max(t.timeout_s for t in runs)
        threads = self._threads_for_next_job()
        older = self._older_spec(runs[0])
        try:
            # The queue stage ends and the pipe stage begins at this instant: the two never
            # overlap, however late the loop comes back to the starts below.
            sent = time.perf_counter()
            try:
                if len(runs) == 1:
                    slot.conn.send(RunJob(runs[0], threads, older))
                else:
                    slot.conn.send(RunBatch(runs, threads, older))
            except (BrokenPipeError, OSError):
                await self._end_all(slot, pending, self._crash_text(slot))
                return
            for run in fresh:
                if await self._listener.on_start(run.job_id, worker_name, sent=sent) is None:
                    self._drop(slot, run.job_id)  # cancelled or deleted while it was sent
            while pending:
                limit = slot.cancel_deadline or deadline
                try:  # a timeout scope, not wait_for: no task made per message
                    async with asyncio.timeout(max(0.0, limit - time.monotonic())):
                        message = await slot.inbox.get()
                except TimeoutError:
                    if slot.cancelling:
                        await self._shutdown(slot, graceful=False)
                        for job_id in list(pending):
                            del pending[job_id]
                            await self._listener.on_cancelled(job_id)
                        return
                    limit_s = max(t.timeout_s for t in pending.values())
                    reason = f"stopped: it ran longer than the time limit of {limit_s:g} s"
                    await self._end_all(slot, pending, reason)
                    return
                match message:
                    case Progressed(job_id, fraction, text) if job_id in pending:
                        await self._listener.on_progress(job_id, fraction, text)
                    case Succeeded(job_id, outcome) if job_id in pending:
                        del pending[job_id]
                        if job_id in slot.cancelled:  # cancelled while its batch ran
                            await self._listener.on_cancelled(job_id)
                            continue
                        round_trip_ms = (time.perf_counter() - sent) * 1000
                        pipe_ms = round(max(0.0, round_trip_ms - outcome.model_ms), 2)
                        outcome.stages = {"pipe": pipe_ms, **outcome.stages}
                        await self._listener.on_success(job_id, outcome)
                    case Failed(job_id, error) if job_id in pending:
                        del pending[job_id]
                        await self._listener.on_failure(job_id, error)
                    case Cancelled(job_id) if job_id in pending:
                        del pending[job_id]
                        await self._listener.on_cancelled(job_id)
                    case WorkerDied():
                        await self._end_all(slot, pending, self._crash_text(slot))
                        return
                    case _:
                        await self._handle_side_message(message)
        finally:
            elapsed = time.monotonic() - started
            slot.group.avg_job_s = 0.8 * slot.group.avg_job_s + 0.2 * elapsed / len(runs)
            for run in runs:
                self._running.pop(run.job_id, None)
            slot.job_id, slot.cancel_deadline = None, None
            slot.batch, slot.cancelled = set(), set()
            slot.jobs_done += len(runs)

    def _drop(self, slot: Slot, job_id: str) -> None:
        """A job sent to the worker whose start the store refused: it ends as cancelled
        (`on_cancelled` finds it ended or gone and records nothing), and a job running
        alone is stopped."""
        slot.cancelled.add(job_id)
        if len(slot.batch) == 1:
            slot.cancel.set()
            slot.cancel_deadline = time.monotonic() + CANCEL_GRACE_S

    def _older_spec(self, run: JobRun) -> ModelSpec | None:
        """The spec of the version `run` was submitted to, when it is no longer live."""
        live = self._registry.models.get(run.model)
        if run.version is None or live is None or live.version == run.version:
            return None
        return self._older_specs.get(run.version)

    async def _end_all(self, slot: Slot, pending: dict[str, JobRun], error: str) -> None:
        """The worker is gone or stuck: replace it, and fail what it was running."""
        assert self._listener is not None
        slot.crashed = "the last one was stopped" if slot.alive else self._exit_text(slot)
        await self._shutdown(slot, graceful=False)
        for job_id in list(pending):
            del pending[job_id]
            await self._listener.on_failure(job_id, error)

    def _threads_for_next_job(self) -> int:
        """Unless pinned by the settings, the cores are shared among the jobs running now
        (this one included): alone it gets all of them (the best latency), and under load
        each gets one (the best throughput: N single-thread jobs beat one N-thread job). A
        job keeps its share until it ends; the next jobs are sized to what is left. Jobs
        waiting for an idle worker count as running: they start in a moment, and a job
        sized for an idle machine would then hold cores they need."""
        if self._settings.worker_threads:
            return self._settings.worker_threads
        busy = {id(slot) for slot in self._running.values()}  # a batch runs in one worker
        # A worker that died is noticed by its pipe's end; no wait() per slot per job.
        starting = sum(
            min(
                group.queue.qsize(),
                sum(1 for s in group.slots if s.process is not None and id(s) not in busy),
            )
            for group in self._groups.values()
        )
        return max(1, self._cores // max(1, len(busy) + starting))


def _one_image(run: JobRun) -> bool:
    return len(run.inputs) == 1 and run.inputs[0].kind == "image"
