"""A new version tried on a worker node before it can go live: the distributed executor's
`validate`, asked of a process of the model's group between two of its jobs; what it
answers, or why no node could try it."""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from typing import Any

import kombu.exceptions
import redis.asyncio as aioredis
from celery import Celery

from ...vision.model import InputItem
from ...vision.registry import ModelSpec
from ..lifecycle.executor import Validated, ValidationFailed
from .broker import VALIDATE_TASK
from .cluster import Beat, validation_key, validation_queue
from .view import ClusterView

_VALIDATION_GRACE_S = 5.0  # past the time limit, for the node's answer to arrive


class NodeValidations(ClusterView):
    _app: Celery

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
