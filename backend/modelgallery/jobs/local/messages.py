"""What the API process and a local worker process say to each other over their pipe:
picklable dataclasses, matched by type, never tuples read by position."""

from __future__ import annotations

from dataclasses import dataclass

from ..lifecycle.executor import JobRun
from ..runner import JobEnd, ModelReport, Progressed

# --- to the worker -----------------------------------------------------------------------


@dataclass(frozen=True)
class RunJob:
    run: JobRun
    threads: int  # the job's share of the machine's cores


@dataclass(frozen=True)
class RunBatch:
    """One-image jobs of one model to run through its network together; each ends with
    its own message. Cancelling one does not stop the others: it ends cancelled."""

    runs: list[JobRun]
    threads: int


@dataclass(frozen=True)
class Stop:
    pass


ToWorker = RunJob | RunBatch | Stop

# --- from the worker ---------------------------------------------------------------------


@dataclass(frozen=True)
class WorkerReady:
    """Every model of the group has been tried; the worker takes jobs now."""


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
