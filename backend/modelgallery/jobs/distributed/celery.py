"""The distributed executor: jobs go to Celery worker nodes through Redis, one queue per
model; the nodes (`node.py`, started with `modelgallery worker`) run them and record them
in the shared store, as the local executor's recorder does here. What this side sees of
the nodes (their heartbeats, the queues' lengths) is `view.py`."""

from __future__ import annotations

import asyncio
import logging
import math

import kombu.exceptions
from celery import Celery

from ...core.redis_conn import async_client, celery_broker
from ...core.settings import Settings
from ...vision.registry import Registry
from ..lifecycle.executor import JobListener, JobRun, QueueFullError
from .cluster import (
    CANCEL_TTL_S,
    GENERATION,
    RESTARTS,
    UNLOADED,
    cancel_key,
    celery_task_id,
    model_queue,
)
from .view import ClusterView, unreachable

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


class CeleryExecutor(ClusterView):
    def __init__(self, settings: Settings, registry: Registry) -> None:
        target = settings.redis_target()
        assert target is not None
        super().__init__(settings, registry, async_client(target, decode_responses=True))
        self._app = celery_app(settings)
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
        pending = [t for t in (self._monitor, *self._killers) if t is not None]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self._redis.aclose()
        self._app.close()

    # --- the Executor protocol -------------------------------------------------------

    def check_room(self, model: str) -> None:
        group = self._group_of(model)
        if not self._reachable:
            raise unreachable(group)
        depth = self._depths.get(group, 0)
        if depth >= self._settings.queue_size:
            processes = max(1, sum(1 for b in self._serving() if b.group == group))
            wait = math.ceil(depth * self._avg_job_s / processes)
            raise QueueFullError(group, max(1, min(wait, 300)))

    def submit(self, run: JobRun, *, force: bool = False) -> None:
        group = self._group_of(run.model)
        if not force:
            self.check_room(run.model)
        try:
            self._app.send_task(
                RUN_TASK,
                args=[run.job_id],
                queue=model_queue(group, run.model),
                task_id=celery_task_id(run.job_id, run.attempts),
                # Past its limit the node's process is killed and replaced (Celery's hard
                # limit); the grace lets the job's own clock stop it first.
                time_limit=run.timeout_s + 2,
            )
        except (OSError, kombu.exceptions.OperationalError) as exc:
            log.warning("job %s not queued: %s", run.job_id, exc)
            raise unreachable(group) from exc
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

    async def set_loaded(self, model: str, loaded: bool) -> None:
        if loaded:
            await self._redis.srem(UNLOADED, model)
        else:
            await self._redis.sadd(UNLOADED, model)
        await self._redis.incr(GENERATION)
        await self._refresh()

    async def reload(
        self, registry: Registry, models: list[str] | None = None, *, announce: bool = True
    ) -> None:
        """Each node process adopts the change in place between two jobs (`node_models.py`)
        when the generation changes: it reads the live versions from the store again and
        loads only what changed. `models` (an administrator's reload of them) restarts the
        processes of their groups instead, when idle."""
        self._registry = registry
        if announce:
            groups = {registry.models[m].group for m in models or [] if m in registry.models}
            for group in sorted(groups):
                await self._redis.hincrby(RESTARTS, group, 1)
            await self._redis.incr(GENERATION)
