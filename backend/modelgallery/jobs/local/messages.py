"""What the API process and a local worker process say to each other over their pipe:
picklable dataclasses, matched by type, never tuples read by position."""

from __future__ import annotations

from dataclasses import dataclass

from ...vision.registry import ModelSpec
from ..lifecycle.executor import JobRun
from ..runner import JobEnd, ModelReport, Progressed

# --- to the worker -----------------------------------------------------------------------


@dataclass(frozen=True)
class RunJob:
    run: JobRun
    threads: int  # the job's share of the machine's cores
    # The version the job was submitted to, when it is no longer the live one (a job keeps
    # its version through a switch); None: the live spec the worker holds.
    spec: ModelSpec | None = None


@dataclass(frozen=True)
class RunBatch:
    """One-image jobs of one model to run through its network together; each ends with
    its own message. Cancelling one does not stop the others: it ends cancelled."""

    runs: list[JobRun]
    threads: int
    spec: ModelSpec | None = None


@dataclass(frozen=True)
class Adopt:
    """The group's models now: load those that are new or changed (a new version), drop
    those gone, keep the others as they are, between two jobs, without a restart."""

    specs: list[ModelSpec]


@dataclass(frozen=True)
class Preload:
    """Versions about to take jobs (releases' candidates): load each beside the live one,
    between two jobs, so that the first job sent to it does not wait for the load."""

    specs: list[ModelSpec]


@dataclass(frozen=True)
class Stop:
    pass


ToWorker = RunJob | RunBatch | Adopt | Preload | Stop

# --- from the worker ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerReady:
    """Every model of the group has been tried; the worker takes jobs now."""


@dataclass(frozen=True)
class Adopted:
    """An `Adopt` is done: each model it loaded has reported. With the versions besides the
    live ones the worker now holds."""

    versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preloaded:
    """A `Preload` is done: the versions besides the live ones the worker now holds."""

    versions: tuple[str, ...]


FromWorker = ModelReport | WorkerReady | Adopted | Preloaded | Progressed | JobEnd

# --- inside the API process (the pipe's reader and the cancel path) -----------------------


@dataclass(frozen=True)
class WorkerDied:
    """The pipe closed (the process ended) or the worker gave no sign in time."""

    reason: str | None = None


@dataclass(frozen=True)
class Wake:
    """Look again at the running job's deadlines (sent when it is cancelled)."""


Inbox = FromWorker | WorkerDied | Wake
