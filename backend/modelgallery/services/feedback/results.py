"""What a finished job's result says, image by image: the size, the items and the answer that
a correction is checked against and that an export writes as labels. One image's result and a
batch's `per_file` entries hold the same fields (`vision/pipelines/image.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...store.feedback_records import Correction
from ...store.records import Job

BOXES = ("detections", "faces")  # item kinds whose items are labelled boxes
GENDERS = ("woman", "man")  # what a face's correction may say
UNCERTAIN = "uncertain"  # a classifier's or a face's answer when it was not sure


@dataclass(frozen=True)
class Picture:
    """One image of a job's result."""

    index: int | None  # in a batch's `per_file`; None for a one-image job
    name: str  # the user's file name
    width: int | None
    height: int | None
    items: list[dict[str, Any]] = field(default_factory=list)
    category: str | None = None  # a classification's answer
    error: str | None = None  # the model could not read this file of a batch


@dataclass(frozen=True)
class Label:
    """One box of a dataset: its class (a gender for faces) and (x1, y1, x2, y2) in pixels."""

    name: str
    box: tuple[float, float, float, float]


def item_kind(job: Job, declared: str | None) -> str:
    """What one image's result holds: the job's result kind, or for a batch what the model
    declares for one image (`declared`), else what its items look like."""
    kind = job.result_kind or "generic"
    if kind != "batch":
        return kind
    if declared is not None:
        return declared
    for entry in (job.result or {}).get("per_file", []):
        if "category" in entry:
            return "classification"
        for item in entry.get("items", []):
            return "faces" if "gender" in item else "detections" if "box" in item else "generic"
    return "generic"


def pictures(job: Job) -> list[Picture]:
    """The images of an image job's result: one, or a batch's files in upload order."""
    result = job.result or {}
    if job.result_kind == "batch":
        return [_picture(i, entry) for i, entry in enumerate(result.get("per_file", []))]
    return [_picture(None, result)]


def _picture(index: int | None, entry: dict[str, Any]) -> Picture:
    items = entry.get("items")
    return Picture(
        index=index,
        name=str(entry.get("file", "")),
        width=_int(entry.get("width")),
        height=_int(entry.get("height")),
        items=[i for i in items if isinstance(i, dict)] if isinstance(items, list) else [],
        category=entry.get("category") if isinstance(entry.get("category"), str) else None,
        error=str(entry["error"]) if entry.get("error") else None,
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def model_classes(job: Job) -> list[str] | None:
    """The classes the job's model could answer with, as its result recorded them."""
    classes = (job.result or {}).get("model_classes")
    if isinstance(classes, list) and all(isinstance(c, str) for c in classes):
        return list(classes)
    return None


def item_label(kind: str, item: dict[str, Any]) -> str:
    """A predicted item's class: its label, or a face's gender."""
    return str(item.get("gender" if kind == "faces" else "label", ""))


def item_box(item: dict[str, Any]) -> tuple[float, float, float, float] | None:
    box = item.get("box")
    if isinstance(box, list | tuple) and len(box) == 4:
        x1, y1, x2, y2 = (float(v) for v in box)
        return x1, y1, x2, y2
    return None


def boxes_of(kind: str, picture: Picture, correction: Correction | None) -> list[Label]:
    """The boxes a dataset holds for one image: the model's own, less those the correction
    marks wrong, plus the correction's."""
    wrong = set(correction.wrong) if correction else set()
    labels = [
        Label(item_label(kind, item), box)
        for index, item in enumerate(picture.items)
        if index not in wrong and (box := item_box(item)) is not None
    ]
    if correction:
        labels += [
            Label(b.label, (b.box[0], b.box[1], b.box[2], b.box[3])) for b in correction.boxes
        ]
    return labels
