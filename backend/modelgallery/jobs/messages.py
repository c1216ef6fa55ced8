"""What the API process and a worker process say to each other over their pipe: picklable
dataclasses, matched by type, never tuples read by position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..vision.model import RuntimeChoice
from .executor import Outcome, Task

# --- to the worker -----------------------------------------------------------------------


@dataclass(frozen=True)
class RunJob:
    task: Task
    threads: int  # the job's share of the machine's cores


@dataclass(frozen=True)
class RunBatch:
    """One-image jobs of one model to run through its network together; each ends with
    its own message. Cancelling one does not stop the others: it ends cancelled."""

    tasks: list[Task]
    threads: int


@dataclass(frozen=True)
class Stop:
    pass


ToWorker = RunJob | RunBatch | Stop

# --- from the worker ---------------------------------------------------------------------


@dataclass(frozen=True)
class ModelReport:
    """One model's outcome at start-up: loaded (with its load time) or unavailable."""

    name: str
    status: Literal["loaded", "unavailable"]
    reason: str | None = None
    load_ms: float | None = None
    runtime: RuntimeChoice | None = None
    batch_speedup: float | None = None  # images/s batched over one by one, at one thread
    classes: list[str] | None = None  # what the loaded model can find (Model.classes)


@dataclass(frozen=True)
class WorkerReady:
    """Every model of the group has been tried; the worker takes jobs now."""


@dataclass(frozen=True)
class Progressed:
    job_id: str
    fraction: float
    message: str


@dataclass(frozen=True)
class Succeeded:
    job_id: str
    outcome: Outcome


@dataclass(frozen=True)
class Failed:
    job_id: str
    error: str


@dataclass(frozen=True)
class Cancelled:
    job_id: str


JobEnd = Succeeded | Failed | Cancelled
FromWorker = ModelReport | WorkerReady | Progressed | JobEnd

# --- inside the API process (the pipe's reader and the cancel path) -----------------------


@dataclass(frozen=True)
class WorkerDied:
    """The pipe closed (the process ended) or the worker gave no sign in time."""

    reason: str | None = None


@dataclass(frozen=True)
class Wake:
    """Look again at the running job's deadlines (sent when it is cancelled)."""


Inbox = FromWorker | WorkerDied | Wake
