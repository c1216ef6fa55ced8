"""The distributed executor: jobs go to Celery worker nodes through Redis, one queue per
model; the nodes (`node.py`, started with `modelgallery worker`) run them and record them
in the shared store, as the local executor's recorder does here. What this side sees of
the nodes (their heartbeats, the queues' lengths) is `view.py`."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import time
import uuid
from typing import Any

import kombu.exceptions
import redis.asyncio as aioredis
from celery import Celery

from ...core.redis_conn import async_client, celery_broker
from ...core.settings import Settings
from ...vision.model import InputItem
from ...vision.registry import ModelSpec, Registry
from ..lifecycle.executor import JobListener, JobRun, QueueFullError, Validated, ValidationFailed
from .cluster import (
    CANCEL_TTL_S,
    GENERATION,
    RESTARTS,
    UNLOADED,
    Beat,
    cancel_key,
    celery_task_id,
    model_queue,
    validation_key,
    validation_queue,
)
from .view import ClusterView, unreachable

log = logging.getLogger(__name__)

RUN_TASK = "modelgallery.run_job"
VALIDATE_TASK = "modelgallery.validate"
_VALIDATION_GRACE_S = 5.0  # past the time limit, for the node's answer to arrive
_POLL_S = 1.0
_POLL_AWAY_S = 0.2  # while Redis is away: uploads go through again as soon as it is back
_CANCEL_GRACE_S = 5.0
_STATE_RANK = {"loaded": 0, "loading": 1, "unavailable": 2}
BACKGROUND_PRIORITY = 9


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

    async def validate(
        self, spec: ModelSpec, example: InputItem | None, timeout_s: float
    ) -> Validated:
        """On a node process of the model's group, between two jobs (`node_process.py`):
        a message on the group's validation queue naming the version, which the node reads
        from the store and whose weights it fetches from the bucket and checks, as for a
        job; the example travels in the message. The answers come back on a Redis list."""
        group = spec.group
        if spec.version is None:
            raise ValueError(f"{spec.name}: a validation names the version it tries")
        if not await self._validators(group):
            raise ValidationFailed(self._no_validator(group))
        payload = None if example is None else await asyncio.to_thread(_example_payload, example)
        reply = uuid.uuid4().hex
        waiting_s = self._longest_job_s(group) + timeout_s  # every process busy, at worst
        try:
            self._app.send_task(
                VALIDATE_TASK,
                args=[spec.name, spec.version, payload, reply],
                queue=validation_queue(group),
                task_id=f"validate.{reply}",
                time_limit=timeout_s + 2,  # a process stuck loading is killed and replaced
                expires=waiting_s,  # nobody waits for it any more: dropped, never run
            )
        except (OSError, kombu.exceptions.OperationalError) as exc:
            raise ValidationFailed(
                "The job queue cannot be reached right now (Redis is away), so no worker node "
                "could try the version."
            ) from exc
        return await self._answer(group, validation_key(reply), waiting_s, timeout_s)

    async def _answer(self, group: str, key: str, waiting_s: float, timeout_s: float) -> Validated:
        deadline = time.monotonic() + waiting_s
        worker: str | None = None
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ValidationFailed(self._late(group, worker, waiting_s, timeout_s))
                try:
                    popped = await self._redis.blpop([key], timeout=min(1.0, left))
                except (OSError, aioredis.RedisError):
                    await asyncio.sleep(min(1.0, max(0.0, left)))  # Redis away: try again
                    continue
                if popped is None:
                    # Every node of the group left before one took it: said at once.
                    if worker is None and self._settled() and not self._alive_validators(group):
                        raise ValidationFailed(self._no_validator(group))
                    continue
                answer: dict[str, Any] = json.loads(popped[1])
                if "started" in answer:
                    worker = str(answer["started"])
                    deadline = time.monotonic() + timeout_s + _VALIDATION_GRACE_S
                elif "refused" in answer:
                    raise ValidationFailed(str(answer["refused"]))
                else:
                    return Validated.from_record(answer["validated"])
        finally:
            try:
                await self._redis.delete(key)
            except (OSError, aioredis.RedisError):
                pass  # it expires

    async def _validators(self, group: str) -> list[Beat]:
        """The live processes that take the group's validations; right after this replica
        started (or Redis came back) the nodes are given one heartbeat lifetime to announce
        themselves."""
        waited = time.monotonic() + self._beat_ttl_s + 1
        while True:
            found = self._alive_validators(group)
            if found or self._settled() or time.monotonic() > waited:
                return found
            await asyncio.sleep(0.2)

    def _settled(self) -> bool:
        """Redis reachable for a heartbeat lifetime: every live process has announced itself."""
        since = self._reachable_since
        return since is not None and time.monotonic() - since >= self._beat_ttl_s

    def _alive_validators(self, group: str) -> list[Beat]:
        return [b for b in self._serving() if b.group == group and b.validates]

    def _no_validator(self, group: str) -> str:
        if not self._reachable:
            return (
                "The job queue cannot be reached right now (Redis is away), so no worker node "
                "could try the version."
            )
        older = any(b.group == group for b in self._beats)
        return (
            f"no worker node serves the group '{group}'"
            + (" (those running are of an earlier release, which does not validate)" * older)
            + f"; start one with `modelgallery worker --groups {group}`"
        )

    def _late(self, group: str, worker: str | None, waiting_s: float, timeout_s: float) -> str:
        if worker is None:
            return (
                f"no worker process of the group '{group}' took the validation within "
                f"{waiting_s:g} s (all of them were busy): add the version again later, or "
                f"start another node with `modelgallery worker --groups {group}`"
            )
        return (
            f"Loading and trying the model took longer than {timeout_s:g} s (on {worker}), "
            "or its process died (out of memory, or the runtime crashed on these weights)."
        )

    def _longest_job_s(self, group: str) -> float:
        limits = [
            s.timeout_s or self._settings.job_timeout_s
            for s in self._registry.models.values()
            if s.group == group
        ]
        return max(limits, default=self._settings.job_timeout_s)

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


def _example_payload(example: InputItem) -> dict[str, str]:
    """The example input, inline in the validation's message: at most an upload's size
    (a few MB), read by one node once, so the message is the simplest way for it to
    travel, with or without a bucket (`docs/scaling.md`)."""
    return {
        "name": example.name,
        "media_type": example.media_type,
        "kind": example.kind,
        "suffix": "".join(example.path.suffixes),
        "data": base64.b64encode(example.path.read_bytes()).decode("ascii"),
    }
