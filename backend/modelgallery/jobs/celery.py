"""The distributed executor: jobs go to Celery worker nodes through Redis, one queue per
worker group; the nodes (`jobs/node.py`, started with `modelgallery worker`) run them and
record them in the shared store, as the local executor's listener does here.

What this side sees of the nodes is their heartbeats (`cluster.py`), read once a second:
the models' states are the cluster's (a model is available while one live process serves
it), and a running job whose process stopped beating was lost with it (the job service
then runs it again or fails it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time

import kombu.exceptions
import redis.asyncio as aioredis
from celery import Celery

from ..core.redis_conn import async_client, celery_broker
from ..core.settings import Settings
from ..vision.registry import ModelSpec, Registry
from .cluster import (
    CANCEL_TTL_S,
    GENERATION,
    MISSED_BEATS,
    PROC_PREFIX,
    PROTOCOL,
    UNLOADED,
    Beat,
    cancel_key,
    celery_task_id,
    model_queue,
)
from .executor import JobListener, ModelState, QueueFullError, Task, WorkerInfo

log = logging.getLogger(__name__)

RUN_TASK = "modelgallery.run_job"
_POLL_S = 1.0
_POLL_AWAY_S = 0.2  # while Redis is away: uploads go through again as soon as it is back
_CANCEL_GRACE_S = 5.0
_STATE_RANK = {"loaded": 0, "loading": 1, "unavailable": 2}


def celery_app(settings: Settings) -> Celery:
    """The Celery configuration both sides share. Late acknowledgement and one message per
    process: a message leaves Redis only once its job has ended, so a node that dies takes
    nothing with it; the visibility timeout outlasts the longest job."""
    target = settings.redis_target()
    assert target is not None
    url, transport = celery_broker(
        target,
        visibility_timeout=settings.visibility_timeout_s,
        socket_timeout=10,
        socket_connect_timeout=5,
    )
    app = Celery("modelgallery", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport,
        broker_pool_limit=4,
        broker_connection_timeout=3,
        # A request that queues a job must not hang on a Redis that is away: a few quick
        # tries, then the upload is refused with 503 (the job is not kept).
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        task_default_queue="default",
    )
    return app


class CeleryExecutor:
    def __init__(self, settings: Settings, registry: Registry) -> None:
        target = settings.redis_target()
        assert target is not None
        self._settings = settings
        self._registry = registry
        self._app = celery_app(settings)
        self._redis: aioredis.Redis = async_client(target, decode_responses=True)
        self._beats: list[Beat] = []
        self._foreign: set[str] = set()  # nodes of another protocol, warned about
        self._unloaded: set[str] = set()
        self._depths: dict[str, int] = {}
        self._reachable = True
        self._reachable_since: float | None = None  # monotonic; None while unreachable
        self._beat_ttl_s = settings.node_heartbeat_s * MISSED_BEATS
        self._avg_job_s = 5.0
        self._monitor: asyncio.Task[None] | None = None
        self._killers: set[asyncio.Task[None]] = set()
        for spec in registry.models.values():
            if (spec.timeout_s or settings.job_timeout_s) >= settings.visibility_timeout_s:
                log.warning(
                    "the time limit of %s is not shorter than VISIBILITY_TIMEOUT_S (%g s): "
                    "Redis may hand its jobs out again while they run",
                    spec.name,
                    settings.visibility_timeout_s,
                )

    # --- lifecycle -------------------------------------------------------------------

    async def start(self, listener: JobListener) -> None:
        await self._refresh()
        self._monitor = asyncio.create_task(self._watch(), name="cluster-monitor")

    async def stop(self) -> None:
        tasks = [t for t in (self._monitor, *self._killers) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._redis.aclose()
        self._app.close()

    # --- the Executor protocol -------------------------------------------------------

    def check_room(self, model: str) -> None:
        group = self._group_of(model)
        if not self._reachable:
            raise _unreachable(group)
        depth = self._depths.get(group, 0)
        if depth >= self._settings.queue_size:
            processes = max(1, sum(1 for b in self._serving() if b.group == group))
            wait = math.ceil(depth * self._avg_job_s / processes)
            raise QueueFullError(group, max(1, min(wait, 300)))

    def submit(self, task: Task, *, force: bool = False) -> None:
        group = self._group_of(task.model)
        if not force:
            self.check_room(task.model)
        try:
            self._app.send_task(
                RUN_TASK,
                args=[task.job_id],
                queue=model_queue(group, task.model),
                task_id=celery_task_id(task.job_id, task.attempts),
                # Past its limit the node's process is killed and replaced (Celery's hard
                # limit); the grace lets the job's own clock stop it first.
                time_limit=task.timeout_s + 2,
            )
        except (OSError, kombu.exceptions.OperationalError) as exc:
            log.warning("job %s not queued: %s", task.job_id, exc)
            raise _unreachable(group) from exc
        self._depths[group] = self._depths.get(group, 0) + 1

    def _group_of(self, model: str) -> str:
        spec = self._registry.models.get(model)
        if spec is None:
            raise KeyError(f"no workers host the model '{model}'")
        return spec.group

    async def cancel(self, job_id: str) -> bool:
        """Asked of whichever node runs it: its process stops at the job's next progress
        report; one still running after a grace period is killed (Celery's revoke)."""
        await self._redis.set(cancel_key(job_id), "1", ex=CANCEL_TTL_S)
        killer = asyncio.create_task(self._kill_if_still_running(job_id))
        self._killers.add(killer)
        killer.add_done_callback(self._killers.discard)
        return True

    async def _kill_if_still_running(self, job_id: str) -> None:
        await asyncio.sleep(_CANCEL_GRACE_S)
        await self._refresh()
        for beat in self._beats:
            if beat.job_id == job_id and beat.task_id:
                log.warning("job %s ignored its cancel; killing %s", job_id, beat.worker)
                await asyncio.to_thread(
                    self._app.control.revoke, beat.task_id, terminate=True, signal="SIGKILL"
                )

    async def cancel_requested(self, job_id: str) -> bool:
        return bool(await self._redis.exists(cancel_key(job_id)))

    def worker_alive(self, worker: str) -> bool | None:
        """None (not known) while Redis is away and for one heartbeat lifetime after it
        comes back, when the processes may not have announced themselves again yet."""
        since = self._reachable_since
        if since is None or time.monotonic() - since < self._beat_ttl_s:
            return None
        return any(b.worker == worker for b in self._beats)

    def model_states(self) -> dict[str, ModelState]:
        states: dict[str, ModelState] = {}
        live = len({b.node for b in self._serving()})
        for spec in self._registry.models.values():
            states[spec.name] = self._cluster_state(spec, live)
        return states

    def _cluster_state(self, spec: ModelSpec, live_nodes: int) -> ModelState:
        if not spec.enabled:
            return ModelState("disabled", "disabled in the model registry")
        if spec.name in self._unloaded:
            return ModelState("unloaded", "unloaded by an administrator")
        reported = [
            s
            for b in self._serving()
            if (s := b.states().get(spec.name)) and s.status in _STATE_RANK
        ]
        if reported:
            return min(reported, key=lambda s: _STATE_RANK[s.status])
        if not self._reachable:
            return ModelState(
                "unavailable",
                "the job queue cannot be reached right now (Redis is away)",
                retry_after_s=10,
            )
        since = self._reachable_since
        if since is not None and time.monotonic() - since < self._beat_ttl_s:
            # Redis is back (or this replica just started): the nodes may not have announced
            # themselves yet. Jobs are taken and wait in the queue meanwhile.
            return ModelState("loading", "waiting for the worker nodes to announce themselves")
        nodes = "no worker node is running" if live_nodes == 0 else "no live worker node hosts it"
        return ModelState(
            "unavailable",
            f"{nodes}: start one with `modelgallery worker --groups {spec.group}`",
            retry_after_s=30,
        )

    async def set_loaded(self, model: str, loaded: bool) -> None:
        if loaded:
            await self._redis.srem(UNLOADED, model)
        else:
            await self._redis.sadd(UNLOADED, model)
        await self._redis.incr(GENERATION)
        await self._refresh()

    async def reload(self, registry: Registry, models: list[str] | None = None) -> None:
        """Each node reads its own copy of the registry: every machine must be given the
        same one. Its processes restart one by one after their current job."""
        self._registry = registry
        await self._redis.incr(GENERATION)

    def queue_depths(self) -> dict[str, int]:
        return dict(self._depths)

    def workers(self) -> list[WorkerInfo]:
        return [
            WorkerInfo(
                name=beat.worker,
                group=beat.group,
                pid=beat.pid,
                alive=True,
                job_id=beat.job_id,
                jobs_done=beat.jobs_done,
                restarts=0,
                node=beat.node,
                ready=beat.ready,
                models={name: state.status for name, state in beat.states().items()},
                host=beat.host,
                states=beat.states(),
                version=beat.version,
                protocol=beat.protocol,
            )
            for beat in sorted(self._beats, key=lambda b: (b.node, b.group, b.pid))
        ]

    def ready(self) -> tuple[bool, str]:
        if not self._reachable:
            return False, "Redis is unreachable"
        if not any(b.ready for b in self._serving()):
            return False, "no worker node is ready"
        return True, ""

    # --- the heartbeats --------------------------------------------------------------

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(_POLL_S if self._reachable else _POLL_AWAY_S)
            try:
                await self._refresh()
            except Exception:  # the view of the cluster must never stop refreshing
                log.exception("reading the worker nodes' heartbeats failed")

    async def _refresh(self) -> None:
        try:
            beats = await self._read_beats()
            self._unloaded = {str(m) for m in await self._redis.smembers(UNLOADED)}
            specs = self._registry.models.values()
            queues = sorted({(s.group, model_queue(s.group, s.name)) for s in specs})
            async with self._redis.pipeline(transaction=False) as pipe:
                for _, queue in queues:
                    pipe.llen(queue)
                lengths = await pipe.execute()
        except (OSError, aioredis.RedisError) as exc:
            if self._reachable:
                log.warning("Redis unreachable: %s", exc)
            self._reachable = False
            self._reachable_since = None
            self._beats = []
            return
        for node in sorted({b.node for b in beats if b.protocol != PROTOCOL} - self._foreign):
            log.warning(
                "node %s speaks cluster protocol %s, this replica %s: it gets no jobs from here",
                node,
                next(b.protocol for b in beats if b.node == node),
                PROTOCOL,
            )
        self._foreign = {b.node for b in beats if b.protocol != PROTOCOL}
        if not self._reachable:
            log.info("Redis reachable again")
        if self._reachable_since is None:
            self._reachable_since = time.monotonic()
        self._reachable = True
        self._beats = beats
        depths = {group: 0 for group in self._registry.groups} | {b.group: 0 for b in beats}
        for (group, _), length in zip(queues, lengths, strict=True):
            depths[group] += int(length)
        self._depths = depths

    def _serving(self) -> list[Beat]:
        """The processes of nodes that speak this release's protocol: during a rolling
        upgrade across protocols the others are listed, but no job is meant for them."""
        return [b for b in self._beats if b.protocol == PROTOCOL]

    async def _read_beats(self) -> list[Beat]:
        keys = [key async for key in self._redis.scan_iter(match=PROC_PREFIX + "*", count=500)]
        if not keys:
            return []
        beats = []
        for value in await self._redis.mget(keys):
            if value is None:  # expired between the scan and the read
                continue
            with contextlib.suppress(ValueError, TypeError):
                beats.append(Beat.loads(value))
        return beats


def _unreachable(group: str) -> QueueFullError:
    return QueueFullError(
        group, 10, reason="The job queue cannot be reached right now (Redis is away)."
    )
