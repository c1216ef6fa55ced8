"""The protocol every model implements, and the values it exchanges with the workers.

A family builds on one of the task bases in `tasks/`, which own the pipeline (inputs,
progress, artifacts); it imports its ML framework inside `load()`, not at module level: the
API process imports families to read their declarations and must stay free of torch/TF."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import BaseModel
from typing_extensions import TypeAliasType

if TYPE_CHECKING:
    from .registry import ModelSpec

ParamType = Literal["float", "int", "bool", "str", "list"]
# What a job's result holds, so that a client picks the viewer without guessing from shapes.
# A named alias: the OpenAPI schema shows it as one `ResultKind` the clients can refer to.
ResultKind = TypeAliasType(
    "ResultKind",
    Literal["detections", "faces", "video-detections", "volume-mask", "batch", "generic"],
)


class Param(BaseModel):
    """A request parameter with its bounds; the registry may narrow bounds and defaults."""

    type: ParamType
    default: Any = None
    min: float | None = None
    max: float | None = None
    choices: list[str] | None = None  # for str, or the allowed items of a list
    description: str = ""


class Output(BaseModel):
    """A file the model writes for every job (or, with `when`, for some inputs)."""

    name: str  # e.g. "annotated.jpg"; a `{placeholder}` stands for a part named per file
    media_type: str
    role: Literal["annotated", "mask", "preview", "data", "archive"]
    when: str | None = None  # e.g. "image" or "video": only for inputs of that kind

    def matches(self, name: str) -> bool:
        pattern = "".join(
            ".+" if part.startswith("{") else re.escape(part)
            for part in re.split(r"(\{[^}]*\})", self.name)
            if part
        )
        return re.fullmatch(pattern, name) is not None


RuntimeName = Literal["torch", "onnxruntime", "openvino", "litert", "tensorflow", "opencv"]
RuntimeRequest = Literal[  # auto: the fastest measured at load
    "torch", "onnxruntime", "openvino", "litert", "tensorflow", "opencv", "auto"
]


class RuntimeCandidate(BaseModel):
    """One runtime a model was tried on at load: its time per image, or why it cannot run."""

    name: RuntimeName
    ms: float | None = None  # the median of a few runs on the warm-up input
    error: str | None = None


class RuntimeChoice(BaseModel):
    """The runtime a loaded model serves on, and what it was chosen from."""

    requested: RuntimeRequest
    chosen: RuntimeName
    candidates: list[RuntimeCandidate]


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
    for every job. `spec` is the registry's entry (`vision.registry.ModelSpec`)."""

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
        """What every result of this model says of the model itself: a detector names the
        classes it looked for, since what is not among them it cannot see, which a user
        cannot tell from the boxes alone."""
        return {"model_classes": self.classes} if self.classes else {}

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
