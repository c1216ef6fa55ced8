"""What one job says about its inputs and outputs, as plain numbers a drift check compares
across many jobs. Read from the job record alone (its inputs' sizes and its result), never
from its files: they may have expired. A fact a job does not have (a duration for an image)
is absent, not zero. The result shapes are those of `vision/pipelines/` (image, batch,
video, volume) and the families' summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ..store.records import Job

Side = Literal["input", "output"]


@dataclass(frozen=True)
class Statistic:
    name: str
    label: str  # as a person reads it, e.g. "Brightness"
    unit: str  # "" when it has none
    side: Side


# Every numeric statistic, in the order a report lists them; `CLASS_MIX` is categorical.
STATISTICS: tuple[Statistic, ...] = (
    Statistic("size", "Input size", "bytes", "input"),
    Statistic("brightness", "Brightness", "mean luma, 0-255", "input"),
    Statistic("duration", "Video duration", "s", "input"),
    Statistic("voxels", "Volume size", "voxels", "input"),
    Statistic("objects", "Objects per image", "", "output"),
    Statistic("confidence", "Mean confidence", "0-1", "output"),
    Statistic("mask_volume", "Mask volume", "mL", "output"),
    Statistic("mask_fraction", "Mask share of the image", "0-1", "output"),
)
CLASS_MIX = Statistic("class_mix", "Class mix", "share per class", "output")


@dataclass(frozen=True)
class JobFacts:
    job: str
    at: datetime  # when the job was created
    values: dict[str, float] = field(default_factory=dict)  # by statistic name
    # What the job found, as each class's share of it (summing to 1); empty: nothing found
    classes: dict[str, float] = field(default_factory=dict)


def facts_of(job: Job) -> JobFacts:
    values: dict[str, float] = {}
    if job.inputs:
        values["size"] = float(sum(item.size for item in job.inputs))
    classes: dict[str, float] = {}
    result = job.result or {}
    if job.result_kind == "video-detections":
        _video(result, values, classes)
    elif job.result_kind == "volume-mask":
        _volume(result, values)
    elif job.result_kind == "batch":
        _batch(result, values, classes)
    elif job.result_kind is not None:
        _image(result, values, classes)
    return JobFacts(job.id, job.timings.created, values, _shares(classes))


# --- one image (a single-image job, or a file of a batch) ------------------------------


def _image(summary: Mapping[str, Any], values: dict[str, float], classes: dict[str, float]) -> None:
    if (brightness := _number(summary.get("brightness"))) is not None:
        values["brightness"] = brightness
    items = [i for i in summary.get("items") or [] if isinstance(i, Mapping)]
    if isinstance(summary.get("category"), str):  # a classification
        if (probability := _number(summary.get("probability"))) is not None:
            values["confidence"] = probability
        classes[summary["category"]] = classes.get(summary["category"], 0.0) + 1.0
        return
    if "background_fraction" in summary:  # a segmentation: items are classes with pixels
        if (background := _number(summary.get("background_fraction"))) is not None:
            values["mask_fraction"] = 1.0 - background
        for item in items:
            if isinstance(item.get("label"), str) and (share := _number(item.get("fraction"))):
                classes[item["label"]] = classes.get(item["label"], 0.0) + share
        return
    # Boxes: detections (a label each) or faces (a gender each).
    values["objects"] = float(len(items))
    confidences = [c for i in items if (c := _number(i.get("confidence"))) is not None]
    if confidences:
        values["confidence"] = sum(confidences) / len(confidences)
    for item in items:
        label = item.get("label", item.get("gender"))
        if isinstance(label, str):
            classes[label] = classes.get(label, 0.0) + 1.0


def _batch(result: Mapping[str, Any], values: dict[str, float], classes: dict[str, float]) -> None:
    """A batch counts as its files' mean: one job is one sample, whatever its size."""
    files = [f for f in result.get("per_file") or [] if isinstance(f, Mapping) and "error" not in f]
    per_file: list[dict[str, float]] = []
    for summary in files:
        own: dict[str, float] = {}
        _image(summary, own, classes)
        per_file.append(own)
    for name in {name for own in per_file for name in own}:
        present = [own[name] for own in per_file if name in own]
        values[name] = sum(present) / len(present)


# --- videos and volumes -----------------------------------------------------------------


def _video(result: Mapping[str, Any], values: dict[str, float], classes: dict[str, float]) -> None:
    if (duration := _number(result.get("duration_s"))) is not None:
        values["duration"] = duration
    detections = result.get("detections")
    frames = _number(result.get("frames"))
    if isinstance(detections, Mapping) and frames:
        counts = {k: n for k, v in detections.items() if (n := _number(v)) is not None}
        values["objects"] = sum(counts.values()) / frames  # per frame, as per image
        for label, n in counts.items():
            classes[str(label)] = classes.get(str(label), 0.0) + n


def _volume(result: Mapping[str, Any], values: dict[str, float]) -> None:
    shape = result.get("shape")
    if isinstance(shape, list) and shape and all(isinstance(n, int) for n in shape):
        values["voxels"] = float(math.prod(shape))
    if (volume := _number(result.get("volume_ml"))) is not None:
        values["mask_volume"] = volume


# --- helpers ----------------------------------------------------------------------------


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _shares(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(w for w in weights.values() if w > 0)
    return {k: w / total for k, w in weights.items() if w > 0} if total else {}
