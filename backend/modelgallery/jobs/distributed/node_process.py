"""One pool process of a worker node: its models, loaded once; its heartbeat; the jobs it
runs. It claims a job in the shared store (a compare-and-set from `queued`), fetches the
inputs from object storage into a scratch folder of its own, runs the model with the code
the local executor uses (`jobs/runner.py`), publishes the outputs and records the end with
the same recorder the API uses on one machine."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TypeVar

import redis.asyncio as aioredis
from celery.exceptions import Reject

from ...catalog.registry import live_registry
from ...core.machine import usable_cores
from ...core.metrics import Metrics
from ...core.redis_conn import async_client
from ...core.release import app_version
from ...core.settings import Settings
from ...files import open_job_files
from ...files.storage import ObjectStoreError
from ...files.weights import fetch_weights
from ...store import create_store
from ...store.records import Job
from ...vision.model import Model
from ...vision.registry import ModelSpec
from .. import runner
from ..lifecycle.events import RedisEventBus
from ..lifecycle.executor import ModelState, Outcome
from ..lifecycle.recorder import JobRecorder
from ..lifecycle.runs import run_of
from ..runner import Cancelled, Failed, ModelReport, Progressed, Succeeded
from .cluster import (
    GENERATION,
    MISSED_BEATS,
    PROTOCOL,
    UNLOADED,
    Beat,
    cancel_key,
    proc_key,
    state_fields,
)
from .scratch import scratch_folder

log = logging.getLogger(__name__)

T = TypeVar("T")
_CANCEL_CHECK_S = 0.5
_REQUEUE_DELAY_S = 1.0  # a message this process cannot run goes back no faster than this


def missing_reason(node: str, model: str, missing: list[str]) -> str:
    return (
        f"weights missing on node {node} ({', '.join(missing)}): run "
        f"`modelgallery fetch-models {model}` there, then restart the node"
    )


def _scratch(settings: Settings) -> Path:
    """Where a process keeps its jobs' files: with object storage, a folder of its own
    (`scratch.py`); without, the data folder the API shares with it."""
    if not settings.storage_url:
        return settings.jobs_dir
    return scratch_folder(settings.data_dir / "scratch")


class NodeProcess:
    """One pool process of a node: its models, its heartbeat, the jobs it runs."""

    def __init__(
        self,
        settings: Settings,
        node: str,
        group: str,
        names: list[str] | None,  # None: every model of the group, as the store has them now
        processes: int,
        consume: Callable[[str, bool], None],
    ) -> None:
        self.settings = settings
        self.threads = settings.worker_threads or max(1, usable_cores() // processes)
        runner.set_thread_env(self.threads)
        target = settings.redis_target()
        assert target is not None
        self.beat = Beat(
            node=node,
            host=socket.gethostname(),
            group=group,
            worker=f"{node}/{group} pid {os.getpid()}",
            pid=os.getpid(),
            started_at=time.time(),
            version=app_version(),
            protocol=PROTOCOL,
        )
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name="node-loop", daemon=True).start()
        self.redis: aioredis.Redis = async_client(target, decode_responses=True)
        self.store = create_store(settings)
        self.call(self.store.open())
        self.registry = self.call(
            live_registry(self.store, settings.models_file, settings.models_dir)
        )
        self.files = open_job_files(_scratch(settings), settings.storage_url)
        # Records what its runs report, exactly as the API's recorder does on one machine.
        self.jobs = JobRecorder(self.store.jobs, self.files, Metrics(target), RedisEventBus(target))
        self.beat.generation = int(self.call(self.redis.get(GENERATION)) or 0)
        unloaded = {str(m) for m in self.call(self.redis.smembers(UNLOADED))}
        if names is None:
            names = [s.name for s in self.registry.models.values() if s.group == group]
        specs: list[ModelSpec] = []
        for name in names:
            spec = self.registry.models.get(name)
            if spec is None or not spec.enabled:
                continue
            self._fetch_weights(spec)
            if name in unloaded:
                self._report(ModelState("unloaded", "unloaded by an administrator"), name)
            elif missing := spec.missing_weights():
                self._report(ModelState("unavailable", missing_reason(node, name, missing)), name)
            else:
                self._report(ModelState("loading"), name)
                specs.append(spec)
        self._beating = asyncio.run_coroutine_threadsafe(self._heartbeat(), self._loop)
        self.models: dict[str, Model] = runner.load_models(specs, self._loaded)
        for spec in specs:
            consume(spec.name, spec.name in self.models)
        self.beat.ready = True
        self.call(self._announce())

    def _fetch_weights(self, spec: ModelSpec) -> None:
        """Weights of a version added at run time, from object storage by their sha256;
        a model whose weights stay missing is reported as such, not loaded."""
        remote = self.files.remote
        for weight, path in zip(spec.weights, spec.weight_paths, strict=True):
            if remote is None or weight.sha256 is None or path.is_file():
                continue
            try:
                self.call(fetch_weights(remote, weight.sha256, path))
                log.info("%s: fetched %s from object storage", spec.name, weight.file)
            except (ObjectStoreError, OSError) as exc:
                log.warning("%s: %s not fetched: %s", spec.name, weight.file, exc)

    # --- one job ---------------------------------------------------------------------

    def run(self, job_id: str, task_id: str) -> None:
        job = self.call(self.store.jobs.get(job_id))
        if job is None:
            return
        spec = self.registry.models.get(job.model)
        if spec is None:
            self.call(self.jobs.on_failure(job_id, f"no model '{job.model}' on this node"))
            return
        if job.model not in self.models:
            # Taken before this node stopped consuming the model's queue: back to the
            # queue, for a node that can run it.
            time.sleep(_REQUEUE_DELAY_S)
            raise Reject(f"{job.model} is not loaded on {self.beat.worker}", requeue=True)
        # Busy from before the claim: a reload waits for an idle process to restart it.
        self.beat.job_id, self.beat.task_id = job_id, task_id
        started = self.call(self.jobs.on_start(job_id, self.beat.worker, known=job))
        if started is None:
            self.beat.job_id = self.beat.task_id = None
            return  # cancelled, deleted, or already taken (a message delivered twice)
        self.call(self._announce())
        try:
            self._run(started, spec)
        finally:
            self.beat.job_id = self.beat.task_id = None
            self.beat.jobs_done += 1
            if self.files.shared:  # the scratch copy; the store keeps the job's files
                self.files.remove(job_id)
            self.call(self._announce())

    def _run(self, job: Job, spec: ModelSpec) -> None:
        job_id = job.id
        run = run_of(job, spec, self.files, self.settings)
        fetching = time.monotonic()
        try:
            self.call(self.files.fetch_inputs(job_id, [f.stored for f in job.inputs]))
        except Exception as exc:
            self.call(self.jobs.on_failure(job_id, f"its input could not be read: {exc}"))
            return
        fetch_ms = round((time.monotonic() - fetching) * 1000, 2)
        model = self.models.get(job.model)
        if model is not None:
            runner.use_threads(model, self.threads)
        began = time.monotonic()
        end = runner.run_one(
            run,
            model,
            runner.throttled(job_id, self._progress),
            self._stop_check(job_id, began, run.timeout_s),
        )
        match end:
            case Succeeded(_, outcome):
                outcome.stages = {"fetch": fetch_ms, **outcome.stages}
                self._succeeded(job_id, outcome)
            case Failed(_, error):
                self.call(self.jobs.on_failure(job_id, error))
            case Cancelled():
                self.call(self.jobs.on_cancelled(job_id))

    def _succeeded(self, job_id: str, outcome: Outcome) -> None:
        moved = time.monotonic()
        names = [a.name for a in outcome.artifacts if not a.deferred]
        try:
            self.call(self.files.publish_outputs(job_id, names))
        except Exception as exc:
            self.call(self.jobs.on_failure(job_id, f"its results could not be stored: {exc}"))
            return
        transfer_ms = round((time.monotonic() - moved) * 1000, 2)
        outcome.stages = {**outcome.stages, "transfer": transfer_ms}
        self.call(self.jobs.on_success(job_id, outcome))

    def _progress(self, message: Progressed) -> None:
        self.call(self.jobs.on_progress(message.job_id, message.fraction, message.message))

    def _stop_check(self, job_id: str, began: float, limit_s: float) -> runner.StopCheck:
        last = 0.0
        cancelled = False
        failing = False  # one warning per outage, not one per check

        def check() -> bool:
            nonlocal last, cancelled, failing
            now = time.monotonic()
            if now - began > limit_s:
                raise TimeoutError(f"stopped: it ran longer than the time limit of {limit_s:g} s")
            if not cancelled and now - last >= _CANCEL_CHECK_S:
                last = now
                try:
                    cancelled = bool(self.call(self.redis.exists(cancel_key(job_id))))
                except (OSError, aioredis.RedisError) as exc:  # Redis away: the job goes on
                    if not failing:
                        log.warning("job %s: no cancel checks while Redis is away: %s", job_id, exc)
                    failing = True
                else:
                    if failing:
                        log.info("job %s: cancels checked again", job_id)
                    failing = False
            return cancelled

        return check

    # --- heartbeat -------------------------------------------------------------------

    def _loaded(self, report: ModelReport) -> None:
        state = ModelState(
            report.status,
            report.reason,
            report.load_ms,
            report.runtime,
            report.batch_speedup,
            report.classes,
        )
        self._report(state, report.name)
        self.call(self._announce())

    def _report(self, state: ModelState, name: str) -> None:
        self.beat.models[name] = state_fields(state)

    async def _announce(self) -> None:
        ttl = max(1, round(self.settings.node_heartbeat_s * MISSED_BEATS))
        try:
            await self.redis.set(proc_key(self.beat.worker), self.beat.dumps(), ex=ttl)
        except (OSError, aioredis.RedisError) as exc:
            log.warning("heartbeat not sent: %s", exc)

    async def _heartbeat(self) -> None:
        while True:
            await self._announce()
            await asyncio.sleep(self.settings.node_heartbeat_s)
            try:
                generation = int(await self.redis.get(GENERATION) or 0)
            except (OSError, aioredis.RedisError):
                continue
            if generation != self.beat.generation and self.beat.job_id is None and self.beat.ready:
                # What it serves changed: a fresh process (started by Celery) loads it.
                log.info("%s restarts for a load, unload or reload", self.beat.worker)
                await self.redis.delete(proc_key(self.beat.worker))
                os._exit(0)

    # --- plumbing --------------------------------------------------------------------

    def call(self, awaitable: Awaitable[T]) -> T:
        """Run on the process's event loop (its own thread: the store's and Redis'
        connections live there) and wait for the result."""

        async def wrapped() -> T:
            return await awaitable

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrapped(), self._loop)
        return future.result()

    def close(self) -> None:
        self._beating.cancel()
        try:
            self.call(self.redis.delete(proc_key(self.beat.worker)))
            self.call(self.jobs.metrics.close())
            self.call(self.store.close())
        except Exception:  # leaving anyway: the heartbeat expires by itself
            log.exception("closing %s", self.beat.worker)
