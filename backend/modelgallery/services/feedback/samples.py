"""From a model's flags to the samples of a dataset: each flagged image (or volume) with where
its bytes are on this machine and the labels it gets, the corrected ones where a flag gives a
correction, else the model's own; and the flagged results that cannot be exported, with why.

A flag on a batch that names a file flags that file; one that names none flags every file.
Where several flags correct the same image, the newest correction wins."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from ...files.storage import JobFiles, ObjectStoreError, UnsafePathError
from ...media.archive import archive_images
from ...media.sniff import MediaError, kind_of
from ...store.feedback_records import Correction, Flag
from ...store.records import Job, JobStatus
from .results import BOXES, UNCERTAIN, Label, Picture, boxes_of, pictures


@dataclass(frozen=True)
class Source:
    """Where an image's bytes are: a file, or a member of a ZIP file."""

    path: Path
    member: str | None = None


@dataclass
class Sample:
    stem: str  # its name in the dataset, without the ending: <job id>, or <job id>-NNN in a batch
    job: Job
    source: Source
    picture: Picture | None  # None for a volume
    boxes: list[Label] = field(default_factory=list)  # detections and faces
    category: str | None = None  # a classification
    mask: Path | None = None  # a volume's mask
    corrected: bool = False  # labelled from a user's correction, else the model's result
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Skipped:
    job_id: str
    file: int | None
    reason: str


@dataclass
class Gathered:
    samples: list[Sample] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


Explain = Callable[[Job], str]  # why a job's files are gone (the retention's words)


async def gather(
    flags: list[Flag],
    get_job: Callable[[str], Awaitable[Job | None]],
    files: JobFiles,
    kinds: tuple[str, ...],
    expired: Explain,
) -> Gathered:
    """The samples of `flags` (newest first) whose item kind is one of `kinds`."""
    out = Gathered()
    by_job: dict[str, list[Flag]] = {}
    for flag in flags:
        by_job.setdefault(flag.job_id, []).append(flag)
    for job_id, job_flags in by_job.items():
        job = await get_job(job_id)
        kind = job_flags[0].item_kind
        if job is None:
            out.skipped.append(Skipped(job_id, None, "the prediction was deleted"))
        elif kind not in kinds:
            out.skipped.append(Skipped(job_id, None, f"its results are {kind}"))
        elif job.status is not JobStatus.succeeded:
            out.skipped.append(Skipped(job_id, None, "it has no result"))
        elif job.files_expired_at is not None:
            out.skipped.append(Skipped(job_id, None, expired(job)))
        else:
            try:
                await _add_job(out, job, kind, job_flags, files)
            except (FileNotFoundError, UnsafePathError, MediaError, OSError, ObjectStoreError):
                out.skipped.append(Skipped(job_id, None, "its files could not be read"))
    return out


async def _add_job(out: Gathered, job: Job, kind: str, flags: list[Flag], files: JobFiles) -> None:
    if kind == "volume-mask":
        mask = next((a.name for a in job.artifacts if a.role == "mask"), None)
        if mask is None or not job.inputs:
            reason = "the model wrote no mask (it found nothing to segment)"
            out.skipped.append(Skipped(job.id, None, reason))
        else:
            out.samples.append(await _volume(job, mask, flags, files))
        return
    batch = job.result_kind == "batch"
    wanted = {f.file for f in flags} if batch else {None}
    shown = pictures(job)
    chosen = shown if None in wanted else [p for p in shown if p.index in wanted]
    sources = await _sources(job, files)
    for picture in chosen:
        index = picture.index or 0
        if picture.error is not None or index >= len(sources):
            reason = f"the model could not read it ({picture.error or 'missing'})"
            out.skipped.append(Skipped(job.id, picture.index, reason))
            continue
        mine = [f for f in flags if f.file is None or f.file == picture.index]
        correction = next(
            (f.correction for f in mine if f.correction and not f.correction.empty), None
        )
        sample = Sample(
            stem=job.id if not batch else f"{job.id}-{index + 1:03d}",
            job=job,
            source=sources[index],
            picture=picture,
            corrected=correction is not None,
            notes=[f.note for f in mine if f.note],
        )
        if kind in BOXES:
            sample.boxes = boxes_of(kind, picture, correction)
        else:
            sample.category = _category(picture, correction)
            if sample.category is None:
                reason = "the model was not sure and no flag gave the right class"
                out.skipped.append(Skipped(job.id, picture.index, reason))
                continue
        out.samples.append(sample)


def _category(picture: Picture, correction: Correction | None) -> str | None:
    if correction is not None and correction.label is not None:
        return correction.label
    return picture.category if picture.category not in (None, UNCERTAIN) else None


async def _sources(job: Job, files: JobFiles) -> list[Source]:
    """Every image of the job's inputs in the order the model read them: image files, and
    the images inside ZIP files."""
    found: list[Source] = []
    for item in job.inputs:
        path = await files.local_file(job.id, "input", item.stored)
        kind = kind_of(item.media_type)
        if kind == "image":
            found.append(Source(path))
        elif kind == "zip":
            names = await asyncio.to_thread(_members, path)
            found += [Source(path, name) for name in names]
    return found


def _members(path: Path) -> list[str]:
    return [name for name, _ in archive_images(path)]


async def _volume(job: Job, mask: str, flags: list[Flag], files: JobFiles) -> Sample:
    return Sample(
        stem=job.id,
        job=job,
        source=Source(await files.local_file(job.id, "input", job.inputs[0].stored)),
        picture=None,
        mask=await files.local_file(job.id, "output", mask),
        notes=[f.note for f in flags if f.note],
    )
