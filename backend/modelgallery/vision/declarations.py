"""What a family declares and the registry, the parameters and the API read without loading
it: request parameters, output files, result kinds and runtimes."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel
from typing_extensions import TypeAliasType

ParamType = Literal["float", "int", "bool", "str", "list"]
# What a job's result holds, so that a client picks the viewer without guessing from shapes.
# A named alias: the OpenAPI schema shows it as one `ResultKind` the clients can refer to.
ResultKind = TypeAliasType(
    "ResultKind",
    Literal[
        "detections",
        "faces",
        "video-detections",
        "volume-mask",
        "classification",
        "segmentation",
        "batch",
        "generic",
    ],
)


class Param(BaseModel):
    """A request parameter with its bounds; the registry may narrow bounds and defaults."""

    type: ParamType
    default: Any = None  # any JSON value: the OpenAPI schema leaves it open
    min: float | None = None
    max: float | None = None
    choices: list[str] | None = None  # for str, or the allowed items of a list
    label: str = ""  # as a person reads it ("Minimum confidence"); empty: from the key
    description: str = ""  # one sentence of help under the field


class Output(BaseModel):
    """A file the model writes for every job (or, with `when`, for some inputs)."""

    name: str  # e.g. "annotated.jpg"; a `{placeholder}` stands for a part named per file
    media_type: str
    role: Literal["annotated", "mask", "preview", "data", "archive"]
    when: str | None = None  # e.g. "image" or "video": only for inputs of that kind
    description: str = ""  # what the file holds, in words ("the image with the boxes drawn")

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
    # When `auto` measured them (UTC, ISO 8601): once per model and machine, kept beside
    # the weights (`runtimes/remembered.py`); `reused`: this load read that record rather
    # than measuring again, so every worker serves on the same runtime.
    measured_at: str | None = None
    reused: bool = False
