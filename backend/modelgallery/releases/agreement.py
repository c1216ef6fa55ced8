"""How two versions' results of the same inputs agree: `compare_jobs` takes the job of the
live version (the baseline) and the candidate's, and answers one record per kind
(`figures.py`, `summary.py`) with a `disagreement` in [0, 1].

What a result kind is compared by:
    detections        boxes matched per class at IoU >= 0.5, the candidate's precision,
                      recall and F1 against the baseline (`matching.py`);
    faces             boxes matched at IoU >= 0.5, and the genders of the matched faces;
    classification    the top-1 labels;
    segmentation      the class masks (PNG): Dice of the foreground and per class;
    volume-mask       the masks (NIfTI): Dice and the volume difference, in voxels and ml;
    video-detections  the boxes of each frame (detections.jsonl), matched frame by frame;
    batch             file by file, matched by file name, as the kind of each file.

Mask and frame files are opened through the caller's `open_artifact`; `files_needed`
names them, so that a caller whose files may be in object storage fetches them first."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import zip_longest
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from ..store.records import Job
from .figures import (
    BoxCounts,
    ClassificationAgreement,
    DetectionAgreement,
    FaceAgreement,
    MaskAgreement,
    NotComparable,
)
from .masks import compare_class_masks, compare_volume_masks
from .matching import (
    compare_classification,
    compare_detections,
    compare_faces,
    detection_counts,
    total,
)
from .summary import BatchAgreement, FileAgreement

Agreement = Annotated[
    DetectionAgreement | FaceAgreement | ClassificationAgreement | MaskAgreement | BatchAgreement,
    Field(discriminator="kind"),
]
# The file named `name` among the job's outputs, on this machine; FileNotFoundError when
# it is gone.
OpenArtifact = Callable[[Job, str], Path]

IMAGE_KINDS = ("detections", "faces", "classification", "segmentation")
COMPARABLE = (*IMAGE_KINDS, "volume-mask", "video-detections", "batch")
FRAMES_FILE = "detections.jsonl"

Result = dict[str, Any]


def compare_jobs(
    result_kind: str,
    baseline: Job,
    candidate: Job,
    open_artifact: OpenArtifact,
    *,
    image_kind: str | None = None,
) -> Agreement:
    """How the candidate's result agrees with the baseline's, on the same inputs.
    `image_kind`: for a batch, the kind of each file's result (the model's
    `result_kinds["image"]`). Blocking (it may read masks): run it in a thread. Raises
    NotComparable, with a sentence for people, for results that cannot be compared."""
    base = _result(baseline, "baseline", result_kind)
    cand = _result(candidate, "candidate", result_kind)
    if result_kind == "batch":
        return _compare_batch(_image_kind(image_kind), baseline, candidate, open_artifact)
    if result_kind == "video-detections":
        return _compare_video(baseline, candidate, open_artifact)
    if result_kind == "volume-mask":
        return compare_volume_masks(
            _volume_mask(open_artifact, baseline, "baseline"),
            _volume_mask(open_artifact, candidate, "candidate"),
            voxel_ml=_voxel_ml(base) or _voxel_ml(cand),
        )
    masks = None
    if result_kind == "segmentation":
        masks = (
            _open(open_artifact, baseline, _needed_mask(baseline, "baseline"), "baseline"),
            _open(open_artifact, candidate, _needed_mask(candidate, "candidate"), "candidate"),
        )
    return _compare_image(result_kind, base, cand, masks)


def files_needed(result_kind: str, job: Job, *, image_kind: str | None = None) -> list[str]:
    """The names of the job's output files `compare_jobs` opens for its result."""
    result = job.result or {}
    if result_kind == "video-detections":
        return [FRAMES_FILE]
    if result_kind in ("volume-mask", "segmentation"):
        name = _mask_artifact(job)
        return [] if name is None else [name]
    if result_kind == "batch" and image_kind == "segmentation":
        return [e["mask"] for e in _entries(result) if isinstance(e.get("mask"), str)]
    return []


def _compare_image(
    kind: str, baseline: Result, candidate: Result, masks: tuple[Path, Path] | None
) -> DetectionAgreement | FaceAgreement | ClassificationAgreement | MaskAgreement:
    """One image's results (a single image's summary, or a batch's entry for a file)."""
    if kind == "detections":
        return compare_detections(_items(baseline), _items(candidate))
    if kind == "faces":
        return compare_faces(_items(baseline), _items(candidate))
    if kind == "classification":
        return compare_classification(baseline, candidate)
    if kind == "segmentation" and masks is not None:
        labels = {
            item["class_id"]: item["label"]
            for item in (*_items(baseline), *_items(candidate))
            if isinstance(item.get("class_id"), int) and isinstance(item.get("label"), str)
        }
        return compare_class_masks(*masks, labels=labels)
    raise NotComparable(f"results of kind {kind} have no agreement measure")


def _compare_batch(
    image_kind: str, baseline: Job, candidate: Job, open_artifact: OpenArtifact
) -> BatchAgreement:
    base_files = _by_name(_entries(baseline.result or {}))
    cand_files = _by_name(_entries(candidate.result or {}))
    files = []
    for key in [*base_files, *(k for k in cand_files if k not in base_files)]:
        base, cand = base_files.get(key), cand_files.get(key)
        missing = _missing(base, cand)
        if base is None or cand is None or missing:
            files.append(FileAgreement(file=key[0], missing=missing))
            continue
        try:
            masks = None
            if image_kind == "segmentation":
                masks = (
                    _open(open_artifact, baseline, _entry_mask(base, "baseline"), "baseline"),
                    _open(open_artifact, candidate, _entry_mask(cand, "candidate"), "candidate"),
                )
            found = _compare_image(image_kind, base, cand, masks)
        except NotComparable as exc:  # this file only: the others are still compared
            files.append(FileAgreement(file=key[0], missing=str(exc)))
            continue
        files.append(FileAgreement(file=key[0], agreement=found))
    return BatchAgreement.of(image_kind, files)


def _compare_video(
    baseline: Job, candidate: Job, open_artifact: OpenArtifact
) -> DetectionAgreement:
    """Frame by frame, in the order of detections.jsonl (one line per frame); frames that
    only one side has count as frames where the other found nothing."""
    base_path = _open(open_artifact, baseline, FRAMES_FILE, "baseline")
    cand_path = _open(open_artifact, candidate, FRAMES_FILE, "candidate")
    per_class: dict[str, BoxCounts] = {}
    frames = 0
    with base_path.open() as base_lines, cand_path.open() as cand_lines:
        for base, cand in zip_longest(_frames(base_lines), _frames(cand_lines)):
            if base is not None and cand is not None and base[0] != cand[0]:
                raise NotComparable(
                    f"frame {base[0]} of the baseline's video meets frame {cand[0]} of the "
                    "candidate's: the two results are not of the same video"
                )
            found = detection_counts(base[1] if base else [], cand[1] if cand else [])
            for name, counts in found.items():
                per_class[name] = per_class[name].plus(counts) if name in per_class else counts
            frames += 1
    return DetectionAgreement(
        kind="video-detections",
        boxes=total(per_class.values()),
        per_class=dict(sorted(per_class.items())),
        frames=frames,
    )


# --- reading the results --------------------------------------------------------------


def _result(job: Job, side: str, result_kind: str) -> Result:
    if result_kind not in COMPARABLE:
        raise NotComparable(
            f"results of kind {result_kind} have no agreement measure "
            f"(these have: {', '.join(COMPARABLE)})"
        )
    if job.result is None:
        raise NotComparable(f"the {side} job has no result (it is {job.status.value})")
    if job.result_kind is not None and job.result_kind != result_kind:
        raise NotComparable(
            f"the {side} job's result is of kind {job.result_kind}, not {result_kind}"
        )
    return job.result


def _image_kind(image_kind: str | None) -> str:
    if image_kind not in IMAGE_KINDS:
        raise NotComparable(
            f"a batch is compared file by file as one of {', '.join(IMAGE_KINDS)}, "
            f"and {image_kind!r} is none of them"
        )
    return image_kind


def _open(open_artifact: OpenArtifact, job: Job, name: str, side: str) -> Path:
    try:
        return open_artifact(job, name)
    except FileNotFoundError:
        raise NotComparable(
            f"the {side}'s file {name} is gone (its job's files expired or were deleted)"
        ) from None


def _items(result: Result) -> list[dict[str, Any]]:
    items = result.get("items")
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def _entries(result: Result) -> list[dict[str, Any]]:
    entries = result.get("per_file")
    return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []


def _by_name(entries: list[dict[str, Any]]) -> dict[tuple[str, int], dict[str, Any]]:
    """A batch's entries by (file name, its occurrence): a ZIP may hold a name twice."""
    seen: dict[str, int] = {}
    out = {}
    for entry in entries:
        name = str(entry.get("file", ""))
        seen[name] = seen.get(name, 0) + 1
        out[name, seen[name]] = entry
    return out


def _missing(base: Result | None, cand: Result | None) -> str:
    """Why a batch's file is not compared; "" when both versions have its result."""
    if base is None:
        return "only in the candidate's results"
    if cand is None:
        return "only in the baseline's results"
    failed = [
        f"in the {side}: {entry['error']}"
        for side, entry in (("baseline", base), ("candidate", cand))
        if entry.get("error")
    ]
    return f"failed {' and '.join(failed)}" if failed else ""


def _mask_artifact(job: Job) -> str | None:
    return next((a.name for a in job.artifacts if a.role == "mask"), None)


def _volume_mask(open_artifact: OpenArtifact, job: Job, side: str) -> Path | None:
    """None when the job wrote no mask: it found nothing to segment (an empty mask)."""
    name = _mask_artifact(job)
    return None if name is None else _open(open_artifact, job, name, side)


def _needed_mask(job: Job, side: str) -> str:
    name = _mask_artifact(job)
    if name is None:
        raise NotComparable(f"the {side} job has no mask file")
    return name


def _entry_mask(entry: Result, side: str) -> str:
    name = entry.get("mask")
    if not isinstance(name, str):
        raise NotComparable(f"the {side}'s result names no mask for this file")
    return name


def _voxel_ml(result: Result) -> float | None:
    size = result.get("voxel_size_mm")
    if isinstance(size, list) and len(size) == 3 and all(isinstance(v, int | float) for v in size):
        return float(size[0] * size[1] * size[2]) / 1000.0
    return None


def _frames(lines: Iterable[str]) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """(frame index, its detections) for every line of a detections.jsonl."""
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            frame = int(record.get("frame", number)), _items({"items": record["detections"]})
        except (ValueError, KeyError, TypeError, AttributeError):
            raise NotComparable(
                f"line {number + 1} of {FRAMES_FILE} is no frame's record"
            ) from None
        yield frame
