"""What API replicas and worker nodes share in Redis, besides Celery's own queues: each
worker process's heartbeat (a key that expires), cancel requests, and the models an
administrator unloaded, the generation that tells nodes to look at their models again, and
the groups whose processes an administrator's reload restarts.

A heartbeat is per worker process (`<node>/<group>-<n> (pid <pid>)`, the name a running
job's record carries): the admin page groups them by node, and a running job whose
process has no heartbeat any more was lost with it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ...vision.model import RuntimeChoice
from ..lifecycle.executor import ModelState

PROC_PREFIX = "mg:proc:"
UNLOADED = "mg:unloaded"  # a set of model names
GENERATION = "mg:generation"  # a counter: a change, which every node's processes adopt
RESTARTS = "mg:restarts"  # a hash, group: count; a change restarts the group's processes
CANCEL_PREFIX = "mg:cancel:"
CANCEL_TTL_S = 24 * 3600
VALIDATION_PREFIX = "mg:validation:"  # a list: a validation's answers, for the API replica
VALIDATION_TTL_S = 3600
MISSED_BEATS = 3  # a process is gone after this many heartbeats without one
# What API replicas and nodes must agree on to work together: the queues' names, the
# message (`run_job(job id)`), the keys above. Versions of one protocol serve side by side
# during a rolling upgrade; a node of another is listed but given no jobs (docs/scaling.md).
# 1: one queue per group; 2: one queue per model.
PROTOCOL = 2


def model_queue(group: str, model: str) -> str:
    """A model's Celery queue: a node consumes only the queues of the models it can run, so
    a node missing a model's weights never takes that model's jobs."""
    return f"{group}.{model}"


def validation_queue(group: str) -> str:
    """Where a group's new model versions are tried: every process of every node of the
    group consumes it (":" is in no model name, so it is no model's queue)."""
    return f"{group}:validate"


def validation_key(reply: str) -> str:
    """The list a node pushes a validation's answers to: `{"started": worker}` when a
    process takes it, then `{"validated": record}` or `{"refused": sentence}`."""
    return VALIDATION_PREFIX + reply


def proc_key(worker: str) -> str:
    return PROC_PREFIX + worker


def cancel_key(job_id: str) -> str:
    return CANCEL_PREFIX + job_id


def celery_task_id(job_id: str, attempts: int) -> str:
    """One id per attempt: a job queued again after its node was lost is a new message,
    and a revoked id (a cancel) never blocks a later one."""
    return f"{job_id}.{attempts}"


@dataclass
class Beat:
    """One worker process, as it announces itself."""

    node: str
    host: str
    group: str
    worker: str  # the name jobs record
    pid: int
    started_at: float  # epoch seconds
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # name: ModelState fields
    ready: bool = False
    job_id: str | None = None
    task_id: str | None = None  # the Celery id of the job it runs (to kill it)
    jobs_done: int = 0
    generation: int = 0  # the last one it adopted
    versions: dict[str, int | None] = field(default_factory=dict)  # the live ones it serves
    # Version ids held besides the live ones: a release's candidate loaded ahead, and those of
    # jobs submitted before a switch (a beat of an earlier release: none).
    held: list[str] = field(default_factory=list)
    version: str = "unknown"  # the node's release
    protocol: int = 1  # a beat without one is from a node of protocol 1
    validates: bool = False  # takes its group's validations (a beat of an earlier release: no)

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str | bytes) -> Beat:
        """A beat of any release: fields a newer one adds are left out, not refused."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in json.loads(text).items() if k in known})

    def states(self) -> dict[str, ModelState]:
        return {name: state_from(fields) for name, fields in self.models.items()}


def state_fields(state: ModelState) -> dict[str, Any]:
    fields = asdict(state)
    fields["runtime"] = state.runtime.model_dump(mode="json") if state.runtime else None
    return fields


def state_from(fields: dict[str, Any]) -> ModelState:
    runtime = fields.get("runtime")
    return ModelState(
        **{**fields, "runtime": RuntimeChoice.model_validate(runtime) if runtime else None}
    )
