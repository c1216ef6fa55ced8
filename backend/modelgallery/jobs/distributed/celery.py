"""The distributed executor: jobs go to Celery worker nodes through Redis, one queue per
model; the nodes (`node.py`, started with `modelgallery worker`) run them and record them
in the shared store, as the local executor's recorder does here. What this side sees of
the nodes (their heartbeats, the queues' lengths) is `view.py`; a new version's trial on a
node, `node_validation.py`."""

from __future__ import annotations

import asyncio
import logging
import math

import kombu.exceptions
import redis.asyncio as aioredis

from ...core.redis_conn import async_client
from ...core.settings import Settings
from ...vision.registry import ModelSpec, Registry
from ..lifecycle.executor import JobListener, JobRun, QueueFullError
from .broker import RUN_TASK, celery_app
from .cluster import (
    CANCEL_TTL_S,
    GENERATION,
    RESTARTS,
    UNLOADED,
    cancel_key,
    celery_task_id,
    model_queue,
)
from .node_validation import NodeValidations
from .view import unreachable

log = logging.getLogger(__name__)

_CANCEL_GRACE_S = 5.0
BACKGROUND_PRIORITY = 9


class CeleryExecutor(NodeValidations):
    def __init__(self, settings: Settings, registry: Registry) -> None:
        target = settings.redis_target()
        assert target is not None
        super().__init__(settings, registry, async_client(target, decode_responses=True))
        self._app = celery_app(settings)
        self._avg_job_s = 5.0
        self._monitor: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()
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
        pending = [t for t in (self._monitor, *self._background) if t is not None]
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
        if not force and not run.background:
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
                # kombu's Redis transport keeps one list per priority step and a node polls
                # them in order, 0 first: background work is taken when no live job waits.
                priority=BACKGROUND_PRIORITY if run.background else 0,
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

    def add_version(self, spec: ModelSpec) -> None:
        """Nothing to do here: a node reads a version it does not hold from the store."""

    def preload(self, model: str, spec: ModelSpec | None) -> None:
        """A release began or ended: every node process looks at the active releases again
        between two jobs and loads the candidates of the models it serves ahead
        (`node_models.py`), as it adopts any change announced by the generation."""
        task = asyncio.create_task(self._announce_change())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _announce_change(self) -> None:
        try:
            await self._redis.incr(GENERATION)
        except (OSError, aioredis.RedisError) as exc:  # its first job loads it instead
            log.warning("the release's change not announced to the nodes: %s", exc)

    async def cancel(self, job_id: str) -> bool:
        """Asked of whichever node runs it: its process stops at the job's next progress
        report; one still running after a grace period is killed (Celery's revoke)."""
        await self._redis.set(cancel_key(job_id), "1", ex=CANCEL_TTL_S)
        killer = asyncio.create_task(self._kill_if_still_running(job_id))
        self._background.add(killer)
        killer.add_done_callback(self._background.discard)
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
