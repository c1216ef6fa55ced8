"""What an API replica sees of the worker nodes: their processes' heartbeats and the queues'
lengths in Redis, read once a second. The models' states are the cluster's (a model is
available while one live process of this protocol serves it), and a running job whose
process stopped beating was lost with it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import redis.asyncio as aioredis

from ...core.settings import Settings
from ...vision.registry import ModelSpec, Registry
from ..lifecycle.executor import ModelState, QueueFullError, WorkerInfo
from .cluster import MISSED_BEATS, PROC_PREFIX, PROTOCOL, UNLOADED, Beat, model_queue

log = logging.getLogger("modelgallery.jobs.distributed.celery")

_POLL_S = 1.0
_POLL_AWAY_S = 0.2  # while Redis is away: uploads go through again as soon as it is back
_STATE_RANK = {"loaded": 0, "loading": 1, "unavailable": 2}


class ClusterView:
    def __init__(self, settings: Settings, registry: Registry, redis: aioredis.Redis) -> None:
        self._settings = settings
        self._registry = registry
        self._redis = redis
        self._beats: list[Beat] = []
        self._foreign: set[str] = set()  # nodes of another protocol, warned about
        self._unloaded: set[str] = set()
        self._depths: dict[str, int] = {}
        self._reachable = True
        self._reachable_since: float | None = None  # monotonic; None while unreachable
        self._beat_ttl_s = settings.node_heartbeat_s * MISSED_BEATS

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
                versions=list(beat.held),
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


def unreachable(group: str) -> QueueFullError:
    return QueueFullError(
        group, 10, reason="The job queue cannot be reached right now (Redis is away)."
    )
