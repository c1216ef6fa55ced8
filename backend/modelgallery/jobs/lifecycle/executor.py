"""The executor seam: where jobs run, and where a new model version is tried before it can
go live. `local/` runs them in worker processes on this machine; `distributed/` on Celery
worker nodes, which implement the same protocol and report through the same `JobListener`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ...core.metrics import RuntimeInUse
from ...vision.model import ArtifactOut, InputItem, RuntimeChoice
from ...vision.registry import ModelSpec, Registry

if TYPE_CHECKING:
    from ...store.records import Job

MIN_BATCH_SPEEDUP = 1.1
ModelStatus = Literal["loaded", "loading", "unavailable", "unloaded", "disabled"]


@dataclass
class ModelState:
    status: ModelStatus
    reason: str | None = None
    load_ms: float | None = None
    runtime: RuntimeChoice | None = None  # what it serves on, for families with runtimes
    batch_speedup: float | None = None  # measured at load, for families that batch
    classes: list[str] | None = None  # what the loaded model can find, where it says
    retry_after_s: int | None = None  # when unavailable for now: when trying again may help

    @property
    def batches(self) -> bool:
        """Whether its one-image jobs that wait together run as one batch: only where
        that pays on this machine (below the threshold it only delays the first)."""
        return (self.batch_speedup or 0.0) >= MIN_BATCH_SPEEDUP


@dataclass
class JobRun:
    """Everything a worker needs to run one job; picklable."""

    job_id: str
    model: str
    inputs: list[InputItem]
    params: dict[str, Any]
    outdir: Path
    timeout_s: float
    attempts: int = 0  # the job's runs begun before this one (a distributed executor's id)
    version: str | None = None  # the model's version it was submitted to (None: the live one)
    # A shadow or replay job: it runs only when no live job of its group waits.
    background: bool = False


@dataclass
class WorkerInfo:
    name: str
    group: str
    pid: int | None
    alive: bool
    job_id: str | None
    jobs_done: int
    restarts: int
    node: str = ""  # the machine (worker node) it runs on
    ready: bool = False  # its models are loaded and it takes jobs
    models: dict[str, ModelStatus] = field(default_factory=dict)  # as this process has them
    host: str = ""  # the node's host name
    states: dict[str, ModelState] = field(default_factory=dict)  # `models` with the details
    version: str = ""  # the node's release
    protocol: int = 0  # its cluster protocol (jobs/cluster.py); 0: this process's own workers
    versions: list[str] = field(default_factory=list)  # held besides the live ones (preloaded)


@dataclass
class Outcome:
    summary: dict[str, Any]
    artifacts: list[ArtifactOut] = field(default_factory=list)
    model_ms: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # ms per stage of the model's run
    batch_size: int = 1


class QueueFullError(Exception):
    """A job cannot be queued now; `reason`, when given, says why for people (else: the
    group's queue is full)."""

    def __init__(self, group: str, retry_after_s: int, reason: str | None = None) -> None:
        super().__init__(reason or f"the queue of worker group '{group}' is full")
        self.group = group
        self.retry_after_s = retry_after_s
        self.reason = reason


class ValidationFailed(Exception):
    """A version cannot go live; the message says why, for people."""


@dataclass(frozen=True)
class Validated:
    """What trying a new version measured (`jobs/validation.validate_version`)."""

    runtime: RuntimeChoice | None
    load_ms: float
    warmup_ms: float
    latency_ms: float | None  # the example's prediction
    example: dict[str, Any] | None  # what the example's prediction found (items cut short)
    classes: list[str] | None
    # Where it ran: node, host, pid and the worker's name (a node's pool process, or the
    # process the local executor spawned for it).
    ran_on: dict[str, Any] | None = None

    def as_record(self) -> dict[str, Any]:
        return {
            "runtime": self.runtime.model_dump(mode="json") if self.runtime else None,
            "load_ms": round(self.load_ms, 1),
            "warmup_ms": round(self.warmup_ms, 1),
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "example": self.example,
            "classes": self.classes[:1000] if self.classes else None,
            "ran_on": self.ran_on,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Validated:
        """The other way round, for a record that travelled (from a worker node)."""
        runtime = record.get("runtime")
        return cls(
            runtime=RuntimeChoice.model_validate(runtime) if runtime else None,
            load_ms=float(record["load_ms"]),
            warmup_ms=float(record["warmup_ms"]),
            latency_ms=record.get("latency_ms"),
            example=record.get("example"),
            classes=record.get("classes"),
            ran_on=record.get("ran_on"),
        )


class JobListener(Protocol):
    """How an executor reports back; implemented by the job service."""

    async def on_start(
        self, job_id: str, worker: str, known: Job | None = None, sent: float | None = None
    ) -> Job | None:
        """Called before a job runs (`known`: its record, when the caller has just read
        it; `sent`: when it was sent to its worker, `time.perf_counter()`, where its queue
        stage ends); the started record, or None when it was cancelled, deleted or taken:
        skip it."""

    def expects(self, job_id: str) -> bool:
        """Whether the job was queued in this process and is still waiting, as far as this
        process knows without a read: the executor may then send it to a worker while its
        start is written (a start refused by the store cancels it there)."""

    async def on_progress(self, job_id: str, fraction: float, message: str) -> None: ...

    async def on_success(self, job_id: str, outcome: Outcome) -> None: ...

    async def on_failure(self, job_id: str, error: str) -> None: ...

    async def on_cancelled(self, job_id: str) -> None: ...


class Executor(Protocol):
    async def start(self, listener: JobListener) -> None: ...

    async def stop(self) -> None: ...

    def check_room(self, model: str) -> None:
        """Raise QueueFullError when a job for `model` would be refused now."""

    def submit(self, run: JobRun, *, force: bool = False) -> None:
        """Queue a run; raises QueueFullError when its group's queue is full, unless
        `force` (jobs accepted before a restart are never refused). A background run
        (`JobRun.background`) waits behind every live one of its group, and does not count
        toward the room live jobs have; QueueFullError when the background lane is full."""

    def add_version(self, spec: ModelSpec) -> None:
        """A version other than the live one that jobs may be submitted to (a release's
        candidate, a replay's version), with its version id."""

    def preload(self, model: str, spec: ModelSpec | None) -> None:
        """`spec`, a version about to take jobs (a release's candidate), loaded by its
        group's workers now, between their jobs, so that its first job does not wait for
        the load; None: `model` has no such version any more."""

    async def cancel(self, job_id: str) -> bool:
        """Stop a queued or running job; True when the executor knew it."""

    async def cancel_requested(self, job_id: str) -> bool:
        """Whether a cancel was asked for this job (its process may have died since)."""

    def worker_alive(self, worker: str) -> bool | None:
        """Whether the worker process named in a running job's record still runs; None
        where workers live and die with this process (their jobs are re-queued at start)."""

    def model_states(self) -> dict[str, ModelState]: ...

    async def set_loaded(self, model: str, loaded: bool) -> None:
        """Admin load/unload at run time."""

    async def reload(
        self, registry: Registry, models: list[str] | None = None, *, announce: bool = True
    ) -> None:
        """Adopt a new registry: the workers take the models that changed (`models`: restart
        those models' workers). `announce=False`: another API replica already told the
        worker nodes, and this one only follows."""

    def queue_depths(self) -> dict[str, int]: ...

    def workers(self) -> list[WorkerInfo]: ...

    def ready(self) -> tuple[bool, str]:
        """(True, "") when every worker group has a live worker."""

    async def validate(
        self, spec: ModelSpec, example: InputItem | None, timeout_s: float
    ) -> Validated:
        """Try a new version (`spec`, with its version id) where its group's models run:
        check its weights, load, warm up and run the example; what was measured, or
        ValidationFailed with the reason in a sentence. `timeout_s`: for loading and trying
        it, not counting a wait for a busy worker."""


def runtimes_in_use(workers: list[WorkerInfo]) -> list[RuntimeInUse]:
    """The runtime each node serves each of its loaded models on."""
    return [
        RuntimeInUse(w.node, model, state.runtime.chosen)
        for w in workers
        if w.alive
        for model, state in w.states.items()
        if state.status == "loaded" and state.runtime is not None
    ]
