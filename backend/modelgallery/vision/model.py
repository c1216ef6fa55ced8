"""The protocol every model implements, and the values it exchanges with the workers.

A family builds on one of the pipeline bases in `pipelines/`, which own the work of a job
(inputs, progress, artifacts); it imports its ML framework inside `load()`, not at module
level: the API process imports families to read their declarations and must stay free of
torch/TF. The declarations a family makes (`Param`, `Output`, ...) live in
`declarations.py` and are named here too, for the workers and the API."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..core.release import app_version
from .declarations import (
    Output,
    Param,
    ParamType,
    ResultKind,
    RuntimeCandidate,
    RuntimeChoice,
    RuntimeName,
    RuntimeRequest,
)
from .spec import ModelSpec

__all__ = [
    "ArtifactOut",
    "InputItem",
    "JobCancelled",
    "JobInput",
    "Model",
    "Output",
    "Param",
    "ParamType",
    "Progress",
    "Result",
    "ResultKind",
    "RuntimeCandidate",
    "RuntimeChoice",
    "RuntimeName",
    "RuntimeRequest",
]


@dataclass
class InputItem:
    path: Path  # the stored upload, inside the job's folder
    name: str  # the user's original file name (display only)
    media_type: str
    kind: str  # image | video | nifti | zip


@dataclass
class ArtifactOut:
    name: str
    media_type: str
    role: str
    deferred: bool = False  # not written by the model: drawn when first downloaded


@dataclass
class Result:
    summary: dict[str, Any]
    artifacts: list[ArtifactOut] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # ms per stage (`stages.py`)
    batch_size: int = 1  # jobs whose images went through the network together


class JobCancelled(Exception):  # noqa: N818 - a signal, not an error
    """Raised from `progress()` when the job was cancelled; models let it propagate."""


# progress(fraction 0..1, message) -> None; raises JobCancelled when the user cancelled.
Progress = Callable[[float, str], None]


@dataclass
class JobInput:
    """One job of a batch (`Model.predict_many`)."""

    inputs: list[InputItem]
    params: dict[str, Any]
    outdir: Path
    progress: Progress


class Model(ABC):
    """One loaded model. Workers create it once, call `load` and `warmup`, then `predict`
    for every job. `spec` is the registry's entry (`vision.spec.ModelSpec`)."""

    kinds: ClassVar[tuple[str, ...]]  # media kinds accepted: image, video, nifti, zip
    params: ClassVar[dict[str, Param]] = {}
    outputs: ClassVar[tuple[Output, ...]] = ()
    # The result a job gets, by the kind of its input; kinds not named give "generic".
    result_kinds: ClassVar[dict[str, ResultKind]] = {}
    # The runtimes this family can serve on (the registry's `runtime`); none: its own.
    runtimes: ClassVar[tuple[RuntimeName, ...]] = ()
    runtime: RuntimeChoice | None = None  # set by load() when the family has runtimes
    # What a loaded model can find (a detector's class names), so that users see what it
    # cannot; set by load() where the weights name their classes.
    classes: list[str] | None = None
    # Whether `predict_many` runs several one-image jobs faster than one by one.
    batches: ClassVar[bool] = False

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    @abstractmethod
    def load(self) -> None:
        """Read weights (paths in `self.spec.weight_paths`) and build the network."""

    def result_facts(self) -> dict[str, Any]:
        """What every result of this model says of the model itself: where it came from
        (`provenance`), and for a detector the classes it looked for, since what is not
        among them it cannot see, which a user cannot tell from the boxes alone."""
        facts: dict[str, Any] = {"provenance": self.provenance()}
        return facts | ({"model_classes": self.classes} if self.classes else {})

    def provenance(self) -> dict[str, Any]:
        """The model, its version, its weights' sha256, the runtime and the product's
        release that made a result."""
        spec = self.spec
        weights = getattr(spec, "weights", [])  # in-process callers may pass a bare spec
        return {
            "model": spec.name,
            "version": getattr(spec, "version_number", None),
            "weights": [{"file": w.file, "sha256": w.sha256} for w in weights],
            "runtime": self.runtime.chosen if self.runtime else None,
            "release": app_version(),
        }

    def warmup(self) -> None:  # noqa: B027 - optional hook
        """Run once on a dummy input so that the first real request is not slower."""

    def use_threads(self, threads: int) -> None:  # noqa: B027 - optional hook
        """Run the next job on `threads` threads (at most the count the worker loaded it
        for). PyTorch's pool is resized by the worker; families whose runtime fixes its
        pool per session (`runtimes.selection.PerThreadCount`) switch sessions here."""

    @abstractmethod
    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        """Write artifacts into `outdir` and return the JSON-able summary."""

    def predict_many(self, jobs: list[JobInput]) -> list[Result | Exception]:
        """Several jobs at once (dynamic batching), each with its own inputs, parameters,
        folder and progress; one job's error is its own result, not the others'. Families
        that declare `batches` run them in one pass of their network."""
        results: list[Result | Exception] = []
        for job in jobs:
            try:
                results.append(self.predict(job.inputs, job.params, job.outdir, job.progress))
            except Exception as exc:  # JobCancelled too: it cancels that job only
                results.append(exc)
        return results

    def batch_speedup(self, size: int) -> float:
        """Images per second when `size` one-image jobs run as a batch, over one by one,
        measured on this machine at one thread (batches form only when jobs wait, so when
        every core is busy). 1.0: batching gains nothing."""
        return 1.0
