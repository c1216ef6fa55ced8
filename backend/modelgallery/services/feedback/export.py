"""A model's flagged results as one ZIP dataset (`formats.py` says the layouts): written to a
file in the data folder, in a thread, then streamed to the administrator and removed. Beside
the layout's own files every archive holds README.txt (what it is, where each label came
from, what was left out and why), manifest.csv (one row per exported image) and skipped.csv."""

from __future__ import annotations

import asyncio
import csv
import io
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ...files.storage import JobFiles
from ...store.base import FlagRepo, JobRepo
from ...store.feedback_records import Flag, FlagQuery
from ...store.records import Job, new_id
from ..errors import Invalid, NotFound
from .formats import FACE_CATEGORIES, LAYOUTS, ExportRequest, Writer
from .readme import readme
from .results import model_classes
from .samples import Explain, Gathered, Sample, Skipped, gather

MAX_FLAGS = 5000  # the newest ones, at most, go into one archive
_PAGE = 500
_KEEP_S = 3600  # an archive left behind (a dropped connection, a restart) goes after this


@dataclass(frozen=True)
class ExportFile:
    path: Path
    name: str  # to save it as
    exported: int  # images or volumes
    skipped: int


class Exporter:
    def __init__(
        self, flags: FlagRepo, jobs: JobRepo, files: JobFiles, folder: Path, expired: Explain
    ) -> None:
        self.flags = flags
        self.jobs = jobs
        self.files = files
        self.folder = folder
        self.expired = expired

    async def export(self, request: ExportRequest) -> ExportFile:
        flags = await self._flags(request)
        layout = LAYOUTS[request.fmt]
        if not flags:
            raise NotFound(f"No {_which(request)} results of model '{request.model}' to export.")
        kinds = sorted({f.item_kind for f in flags})
        if not set(kinds) & set(layout.kinds):
            raise Invalid(
                f"The {request.fmt} format holds {' and '.join(layout.kinds)}; the flagged "
                f"results of '{request.model}' are {', '.join(kinds)} ({layout.advice})."
            )
        cache: dict[str, Job | None] = {}

        async def job(job_id: str) -> Job | None:
            if job_id not in cache:
                cache[job_id] = await self.jobs.get(job_id)
            return cache[job_id]

        gathered = await gather(flags, job, self.files, layout.kinds, self.expired)
        classes = _classes(gathered.samples, "faces" in kinds and request.fmt == "coco")
        await asyncio.to_thread(self._sweep)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{new_id()}.zip"
        at = datetime.now(UTC)
        try:
            count = await asyncio.to_thread(
                _write, path, request, gathered, classes, len(flags), at
            )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        name = f"feedback-{request.model}-{request.fmt}-{at:%Y%m%d-%H%M%S}.zip"
        return ExportFile(path, name, count, len(gathered.skipped))

    async def _flags(self, request: ExportRequest) -> list[Flag]:
        flags: list[Flag] = []
        query = FlagQuery(
            model=request.model, version=request.version, state=request.state, limit=_PAGE
        )
        while len(flags) < MAX_FLAGS:
            page = await self.flags.query(query.model_copy(update={"offset": len(flags)}))
            flags += page.data
            if len(page.data) < _PAGE:
                break
        return flags[:MAX_FLAGS]

    def _sweep(self) -> None:
        if not self.folder.is_dir():
            return
        old = time.time() - _KEEP_S
        for leftover in self.folder.glob("*.zip"):
            try:
                if leftover.stat().st_mtime < old:
                    leftover.unlink()
            except OSError:
                pass  # another replica's, removed meanwhile


def _which(request: ExportRequest) -> str:
    return "flagged" if request.state is None else f"{request.state.value} flagged"


def _classes(samples: list[Sample], faces: bool) -> list[str]:
    """The class list, in the order the model numbers its classes (the first recorded list
    of the samples' results, then classes other versions add)."""
    if faces:
        return list(FACE_CATEGORIES)
    classes: list[str] = []
    for sample in samples:
        for name in model_classes(sample.job) or []:
            if name not in classes:
                classes.append(name)
    return classes


def _write(
    path: Path,
    request: ExportRequest,
    gathered: Gathered,
    classes: list[str],
    flags: int,
    at: datetime,
) -> int:
    skipped = list(gathered.skipped)
    written: list[tuple[Sample, str]] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        writer = Writer(archive, request.fmt, classes)
        for sample in gathered.samples:
            try:
                writer.add(sample)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
                file = sample.picture.index if sample.picture else None
                skipped.append(Skipped(sample.job.id, file, f"it could not be read ({exc})"))
                continue
            written.append((sample, writer.paths[sample.stem]))
        writer.finish(request.model, at)
        corrected = sum(1 for sample, _ in written if sample.corrected)
        text = readme(request, len(written), corrected, flags, skipped, writer.classes, at)
        archive.writestr("README.txt", text)
        archive.writestr("manifest.csv", _manifest(written))
        archive.writestr("skipped.csv", _table(["job", "file", "reason"], _skipped_rows(skipped)))
    return len(written)


def _manifest(written: list[tuple[Sample, str]]) -> str:
    rows = []
    for sample, path in written:
        picture = sample.picture
        rows.append(
            [
                path,
                sample.job.id,
                "" if picture is None or picture.index is None else str(picture.index),
                picture.name if picture else _first_name(sample.job),
                str(sample.job.model_version_number or ""),
                "correction" if sample.corrected else "model",
                sample.category or "",
                str(len(sample.boxes)),
                " | ".join(sample.notes),
            ]
        )
    header = ["path", "job", "file", "name", "version", "labels_from", "class", "boxes", "notes"]
    return _table(header, rows)


def _first_name(job: Job) -> str:
    return job.inputs[0].name if job.inputs else ""


def _skipped_rows(skipped: list[Skipped]) -> list[list[str]]:
    return [[s.job_id, "" if s.file is None else str(s.file), s.reason] for s in skipped]


def _table(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
