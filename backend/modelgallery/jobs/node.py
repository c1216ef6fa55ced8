"""A worker node: `modelgallery worker --groups torch,tf` (or `--models a,b`).

One Celery worker per group, each in its own process tree (never two frameworks in one
process), taking its group's queue from Redis. Each of its pool processes loads the
group's models once at start, announces itself with a heartbeat (`cluster.py`), and runs
one job at a time: it claims the job in the shared store (a compare-and-set from
`queued`, so a message delivered twice runs once), fetches the inputs from object
storage, runs the model with the worker code the local executor uses, publishes the
outputs and records the end, exactly as the API's listener does on one machine.

Cancelling: the process stops at the job's next progress report once the cancel key is
set; the API kills it (Celery's revoke) if it does not. Its time limit: the same check
at each progress report, and Celery's hard limit kills and replaces a process stuck
past it. Admin load, unload and reload change the generation in Redis: each process
exits when idle and Celery starts a fresh one, which loads what is wanted now."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import redis.asyncio as aioredis
from celery import signals
from celery.exceptions import Reject

from ..core.machine import usable_cores
from ..core.metrics import Metrics
from ..core.redis_conn import async_client
from ..core.release import app_version
from ..core.settings import Settings
from ..files import open_job_files
from ..store import create_store
from ..store.records import Job
from ..vision.model import Model
from ..vision.registry import ModelSpec, Registry, load_registry
from . import worker
from .celery import RUN_TASK, CeleryExecutor, celery_app
from .cluster import (
    GENERATION,
    MISSED_BEATS,
    PROTOCOL,
    UNLOADED,
    Beat,
    cancel_key,
    model_queue,
    proc_key,
    state_fields,
)
from .events import RedisEventBus
from .executor import ModelState, Outcome
from .messages import Cancelled, Failed, ModelReport, Progressed, Succeeded
from .scratch import scratch_folder
from .service import JobService

log = logging.getLogger(__name__)

T = TypeVar("T")
_CANCEL_CHECK_S = 0.5
_REQUEUE_DELAY_S = 1.0  # a message this process cannot run goes back no faster than this


class NodeSelectionError(ValueError):
    pass


def missing_reason(node: str, model: str, missing: list[str]) -> str:
    return (
        f"weights missing on node {node} ({', '.join(missing)}): run "
        f"`modelgallery fetch-models {model}` there, then restart the node"
    )


def hosted(registry: Registry, groups: list[str], models: list[str]) -> dict[str, list[str]]:
    """The enabled models this node serves, by group: those of `groups` and `models`
    (every enabled model when both are empty)."""
    unknown = [m for m in models if m not in registry.models]
    unknown += [g for g in groups if g not in registry.groups]
    if unknown:
        raise NodeSelectionError(
            f"not in the registry: {', '.join(unknown)} (groups: {', '.join(registry.groups)})"
        )
    chosen: dict[str, list[str]] = {}
    for spec in registry.models.values():
        wanted = (not groups and not models) or spec.group in groups or spec.name in models
        if wanted and spec.enabled:
            chosen.setdefault(spec.group, []).append(spec.name)
    if not chosen:
        raise NodeSelectionError("no enabled model matches: this node would serve nothing")
    return chosen


def run_node(settings: Settings, groups: list[str], models: list[str]) -> int:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        log.warning(
            "this node runs as root, which it never needs (it opens no port): run it as a "
            "user of its own, e.g. `useradd --system modelgallery` (docs/scaling.md, "
            "\"On a machine of your own, without Docker\")"
        )
    registry = load_registry(settings.models_file, settings.models_dir)
    by_group = hosted(registry, groups, models)
    if len(by_group) == 1:
        [(group, names)] = by_group.items()
        return _run_group(settings, group, names)
    # One process tree per group; a group's worker that stops stops the node.
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "modelgallery", "worker", "--models", ",".join(names)]
        )
        for names in by_group.values()
    ]

    def forward(signum: int, _frame: object) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    forward(signal.SIGTERM, None)
    return max(child.wait() for child in children)


def _run_group(settings: Settings, group: str, names: list[str]) -> int:
    node = settings.node_name or socket.gethostname()
    processes = settings.workers_for(group)
    app = celery_app(settings)
    app.conf.worker_proc_alive_timeout = settings.worker_start_timeout_s
    hostname = f"{node}.{group}@{socket.gethostname()}"
    holder: dict[str, NodeProcess] = {}
    registry = load_registry(settings.models_file, settings.models_dir)
    queues = []
    for name in names:
        if missing := registry.models[name].missing_weights():
            log.warning("%s: it takes no jobs of this model", missing_reason(node, name, missing))
        else:
            queues.append(model_queue(group, name))
    if not queues:  # it still announces itself, with the reasons, on the admin page
        log.error("node %s can run none of %s: it takes no jobs", node, ", ".join(names))

    @app.task(name=RUN_TASK, bind=True)  # type: ignore[untyped-decorator]
    def run_job(self: Any, job_id: str) -> None:
        holder["process"].run(job_id, str(self.request.id))

    def consume(model: str, wanted: bool) -> None:
        """What a process could load decides what the node takes (a model that failed to
        load, or whose weights were fetched since the node started)."""
        queue = model_queue(group, model)
        control = app.control.add_consumer if wanted else app.control.cancel_consumer
        try:
            control(queue, destination=[hostname])
        except Exception as exc:  # Redis away: the next process start tries again
            log.warning("could not %s %s: %s", "consume" if wanted else "leave", queue, exc)

    def start_process(**_: Any) -> None:
        holder["process"] = NodeProcess(settings, node, group, names, processes, consume)

    def stop_process(**_: Any) -> None:
        process = holder.pop("process", None)
        if process is not None:
            process.close()

    signals.worker_process_init.connect(start_process, weak=False)
    signals.worker_process_shutdown.connect(stop_process, weak=False)
    log.info("node %s: group %s with %s, %d process(es)", node, group, names, processes)
    app.worker_main(
        [
            "worker",
            "--queues", ",".join(queues or [f"{group}:none"]),  # ":" is in no model name
            "--concurrency", str(processes),
            "--pool", "prefork",
            "--hostname", hostname,
            "--without-gossip",
            "--without-mingle",
            "--loglevel", settings.log_level,
        ]
    )  # fmt: skip
    return 0


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
        names: list[str],
        processes: int,
        consume: Callable[[str, bool], None],
    ) -> None:
        self.settings = settings
        self.threads = settings.worker_threads or max(1, usable_cores() // processes)
        worker.set_thread_env(self.threads)
        target = settings.redis_target()
        assert target is not None
        self.registry = load_registry(settings.models_file, settings.models_dir)
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
        self.files = open_job_files(_scratch(settings), settings.storage_url)
        bus = RedisEventBus(target)
        self.jobs = JobService(
            settings,
            self.store,
            CeleryExecutor(settings, self.registry),
            self.files,
            self.registry,
            Metrics(target),
            bus,
        )
        self.beat.generation = int(self.call(self.redis.get(GENERATION)) or 0)
        unloaded = {str(m) for m in self.call(self.redis.smembers(UNLOADED))}
        specs: list[ModelSpec] = []
        for name in names:
            spec = self.registry.models.get(name)
            if spec is None or not spec.enabled:
                continue
            if name in unloaded:
                self._report(ModelState("unloaded", "unloaded by an administrator"), name)
            elif missing := spec.missing_weights():
                self._report(ModelState("unavailable", missing_reason(node, name, missing)), name)
            else:
                self._report(ModelState("loading"), name)
                specs.append(spec)
        self._beating = asyncio.run_coroutine_threadsafe(self._heartbeat(), self._loop)
        self.models: dict[str, Model] = worker.load_models(specs, self._loaded)
        for spec in specs:
            consume(spec.name, spec.name in self.models)
        self.beat.ready = True
        self.call(self._announce())

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
        task = self.jobs.task_for(job, spec)
        fetching = time.monotonic()
        try:
            self.call(self.files.fetch_inputs(job_id, [f.stored for f in job.inputs]))
        except Exception as exc:
            self.call(self.jobs.on_failure(job_id, f"its input could not be read: {exc}"))
            return
        fetch_ms = round((time.monotonic() - fetching) * 1000, 2)
        model = self.models.get(job.model)
        if model is not None:
            worker.use_threads(model, self.threads)
        began = time.monotonic()
        end = worker.run_task(
            task,
            model,
            worker.throttled(job_id, self._progress),
            self._stop_check(job_id, began, task.timeout_s),
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

    def _stop_check(self, job_id: str, began: float, limit_s: float) -> worker.StopCheck:
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
