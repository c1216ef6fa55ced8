"""What administrators read: usage statistics, the models with their worker processes, the
machines that run jobs, and the short answers of their actions."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ...core.disk import Space
from ...jobs.lifecycle.executor import ModelStatus, WorkerInfo
from ...services.admin import AuditTarget, AuditTargetKind, NodeView
from ...store.records import AuditEntry, ModelStorage
from .models import ModelPublic

# --- statistics (GET /api/admin/stats) -------------------------------------------------


class Percentiles(BaseModel):
    """Nearest-rank percentiles in milliseconds; null without a succeeded prediction."""

    p50: float | None
    p90: float | None
    p99: float | None


class StatsDay(BaseModel):
    """The predictions of one model created on one day, by their status now."""

    # the counts default to 0 but are always in the answer
    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    day: str = Field(description="The day it was created on (UTC), as YYYY-MM-DD")
    model: str
    count: int = Field(description="Predictions of every status")
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0


class StatsModel(BaseModel):
    """One model's predictions in the period."""

    model: str
    count: int = Field(description="Predictions of every status")
    succeeded: int
    failed: int
    cancelled: int
    failure_rate: float = Field(description="Failed over all, from 0 to 1")
    latency_ms: Percentiles = Field(
        description="Succeeded predictions' time from the upload's arrival to the result"
    )
    model_ms: Percentiles = Field(description="Succeeded predictions' time in the model")


class StorageSpace(BaseModel):
    """The data folder's free space now; below the reserve, uploads and contact messages
    are refused (507)."""

    free_bytes: int
    total_bytes: int
    reserve_bytes: int
    low: bool = Field(description="Whether the free space is below the reserve")

    @classmethod
    def of(cls, space: Space) -> StorageSpace:
        return cls(
            free_bytes=space.free_bytes,
            total_bytes=space.total_bytes,
            reserve_bytes=space.reserve_bytes,
            low=space.low,
        )


class ModelStorageOut(ModelStorage):
    """What one model's kept files take (all time; expired predictions left out)."""

    retention_days: float = Field(
        description="How long its predictions' files are kept, in days (0: for ever)"
    )


class StatsOut(BaseModel):
    per_day: list[StatsDay] = Field(description="Per day and model, days in order")
    models: list[StatsModel] = Field(description="Per model, by name")
    total: int = Field(description="Predictions created in the period")
    storage: StorageSpace
    storage_per_model: list[ModelStorageOut] = Field(
        description="The bytes each model's kept files take (all time, not only the period)"
    )


# --- models and workers (GET /api/admin/models) -----------------------------------------


class WorkerOut(BaseModel):
    """A worker process: this server's own, or one of a worker node's."""

    name: str
    group: str
    pid: int | None
    alive: bool
    job_id: str | None = Field(description="The prediction it runs now")
    jobs_done: int
    restarts: int
    node: str = Field(description="The machine it runs on: this server, or a worker node")
    ready: bool = Field(description="Its models are loaded and it takes jobs")
    models: dict[str, ModelStatus] = Field(
        description="Each model of its group as this process has it (the details per node: "
        "GET /api/admin/nodes)"
    )
    host: str = Field(description="The node's host name")
    version: str = Field(description="The node's release")
    protocol: int = Field(description="Its cluster protocol (0: this server's own workers)")
    versions: list[str] = Field(
        default_factory=list,
        description="Version ids it holds besides the live ones: a release's candidate, "
        "loaded when the release began (this server's own workers)",
    )

    @classmethod
    def of(cls, worker: WorkerInfo) -> WorkerOut:
        return cls(
            name=worker.name,
            group=worker.group,
            pid=worker.pid,
            alive=worker.alive,
            job_id=worker.job_id,
            jobs_done=worker.jobs_done,
            restarts=worker.restarts,
            node=worker.node,
            ready=worker.ready,
            models=worker.models,
            host=worker.host,
            version=worker.version,
            protocol=worker.protocol,
            versions=worker.versions,
        )


class AdminModelsOut(BaseModel):
    models: list[ModelPublic] = Field(description="Every model of the registry, disabled too")
    workers: list[WorkerOut]
    queues: dict[str, int] = Field(description="The jobs waiting, per worker group")


class RegistryReloadOut(BaseModel):
    models: list[str] = Field(description="The models the registry names now, by name")


class ModelActionOut(BaseModel):
    model: str
    state: ModelStatus = Field(description="Its state right after the action")


class SweepOut(BaseModel):
    expired: int = Field(description="How many predictions' files were deleted")


class MessageRetryOut(BaseModel):
    id: str
    status: Literal["retry scheduled"]


# --- nodes (GET /api/admin/nodes) -------------------------------------------------------


class NodeModelOut(BaseModel):
    name: str
    state: str
    reason: str | None = Field(None, description="Why it is not loaded here, when it is not")
    load_ms: float | None = None
    runtime: str | None = Field(None, description="The runtime it serves on here")


class NodeOut(BaseModel):
    """A machine that runs jobs: this server's own worker processes, or a worker node."""

    name: str
    host: str
    groups: list[str]
    processes: int
    ready: int = Field(description="Processes with their models loaded, taking jobs")
    running: list[str] = Field(description="The predictions its processes run now")
    jobs_done: int
    models: list[NodeModelOut]
    version: str = Field(description="The release the node runs")
    protocol: int = Field(
        description="Its cluster protocol: a node of another protocol than the API's gets no "
        "jobs (0: the API's own worker processes)"
    )

    @classmethod
    def of(cls, node: NodeView) -> NodeOut:
        return cls(
            name=node.name,
            host=node.host,
            groups=node.groups,
            processes=node.processes,
            ready=node.ready,
            running=node.running,
            jobs_done=node.jobs_done,
            version=node.version,
            protocol=node.protocol,
            models=[
                NodeModelOut(
                    name=name,
                    state=state.status,
                    reason=state.reason,
                    load_ms=state.load_ms,
                    runtime=state.runtime.chosen if state.runtime else None,
                )
                for name, state in node.models.items()
            ],
        )


# --- the audit log (GET /api/admin/audit) ------------------------------------------------


class AuditEntryPublic(AuditEntry):
    """An audit entry with its target named as a person knows it."""

    target_kind: AuditTargetKind | None = Field(
        description="What the target is: a prediction (a job's id), a model (its name), a "
        "user (an account's id) or a contact message; null for actions without one"
    )
    target_name: str | None = Field(
        description="The target's name: a prediction's file, a model's title, a user's "
        "e-mail, a message's subject; null when unknown (e.g. a deleted account)"
    )
    target_exists: bool = Field(description="Whether the target is still there to open")

    @classmethod
    def of(cls, entry: AuditEntry, target: AuditTarget) -> AuditEntryPublic:
        return cls(
            **entry.model_dump(),
            target_kind=target.kind,
            target_name=target.name,
            target_exists=target.exists,
        )
