"""The base of every model that takes images: one image, several files, or a ZIP of images
in one job. A family supplies `infer` (one decoded image → items) and `draw`, optionally
`prepare` (the job's parameters, once per job, as the settings `S` that `infer` takes),
`summarise`, `csv_row` and `write_extras` (its own files); this base owns reading, batch
expansion, progress, per-file outputs, the CSV summary and the archive. Images are BGR
uint8 arrays (OpenCV's layout).

One image gives `annotated.jpg` and `result.json`. A batch gives, per file,
`NNN-<name>.jpg`, plus `results.json`, `summary.csv` and `results.zip` with all of them."""

from __future__ import annotations

import csv
import io
import re
import time
import zipfile
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

from ...media.annotate import can_annotate
from ...media.archive import ArchiveImage, archive_images
from ...media.images import decode_image, write_jpeg
from ..declarations import Output, ResultKind
from ..model import InputItem, JobInput, Model, Progress, Result
from ..params import check_params
from ..stages import Stages
from .artifacts import Artifacts

if TYPE_CHECKING:
    import numpy as np

Item = dict[str, Any]  # one thing found in an image (JSON-able): a detection, a face, ...
S = TypeVar("S")  # a job's settings: what `prepare` makes of its parameters for `infer`


@dataclass
class ImageResult:
    annotated: np.ndarray | None  # the same size as the input (None: drawn later)
    items: list[Item]
    summary: dict[str, Any] = field(default_factory=dict)  # e.g. counts per class


class ImagePipeline(Model, Generic[S]):
    kinds: ClassVar[tuple[str, ...]] = ("image", "zip")
    result_kinds: ClassVar[dict[str, ResultKind]] = {"image": "generic", "zip": "batch"}
    outputs: ClassVar[tuple[Output, ...]] = (
        Output(
            name="annotated.jpg",
            media_type="image/jpeg",
            role="annotated",
            description="Your image with the results drawn on it",
        ),
        Output(
            name="result.json",
            media_type="application/json",
            role="data",
            description="Everything found, as data (JSON)",
        ),
        Output(
            name="{NNN}-{file}.jpg",
            media_type="image/jpeg",
            role="annotated",
            when="zip",
            description="Each image with its results drawn on it, numbered in upload order",
        ),
        Output(
            name="results.json",
            media_type="application/json",
            role="data",
            when="zip",
            description="Everything found in every image, as data (JSON)",
        ),
        Output(
            name="summary.csv",
            media_type="text/csv",
            role="data",
            when="zip",
            description="A table with one row per image, for spreadsheets (CSV)",
        ),
        Output(
            name="results.zip",
            media_type="application/zip",
            role="archive",
            when="zip",
            description="All of these files in one ZIP archive",
        ),
    )
    csv_columns: ClassVar[tuple[str, ...]] = ("items",)
    # True when `draw` is `media.annotate` for this family's image result kind: then one
    # image's annotated.jpg is left for the API to draw when it is first downloaded, and
    # the job answers as soon as its items are known.
    draws_result_kind: ClassVar[bool] = False

    # --- what a family supplies ---------------------------------------------------------

    def prepare(self, params: dict[str, Any]) -> S:
        """The job's parameters in the form `infer` takes, worked out once per job; by
        default the parameters as they came (then `S` is that dict)."""
        return cast(S, params)

    @abstractmethod
    def infer(self, image: np.ndarray, settings: S) -> list[Item]:
        """Run on one image with what `prepare` returned."""

    def infer_many(self, images: list[np.ndarray], settings: list[S]) -> list[list[Item]]:
        """Several images, each with its own job's settings; families that declare
        `batches` run them through their network in one pass."""
        return [self.infer(image, s) for image, s in zip(images, settings, strict=True)]

    @abstractmethod
    def draw(self, image: np.ndarray, items: list[Item]) -> np.ndarray:
        """The image with the items drawn on it (a copy; `image` stays as it is)."""

    def summarise(self, items: list[Item]) -> dict[str, Any]:
        """Figures over one image's items, e.g. counts per class."""
        return {}

    def csv_row(self, result: ImageResult) -> dict[str, Any]:
        """This family's columns of summary.csv for one file."""
        return {"items": len(result.items)}

    def write_extras(
        self, image: np.ndarray, result: ImageResult, stem: str, artifacts: Artifacts
    ) -> dict[str, Any]:
        """This family's own files beside one image's annotated one (e.g. a mask), under
        names its `outputs` declare; `stem`: "" for one image, `NNN-<file>` in a batch. What
        it returns joins that file's summary and its summary.csv row; by default nothing."""
        return {}

    # --- one image ------------------------------------------------------------------------

    def predict_image(self, image: np.ndarray, params: dict[str, Any]) -> ImageResult:
        """One image with these parameters, in process (tests, notebooks): they are
        checked against the model's bounds here, as the API checks a job's."""
        checked = check_params(self.spec.params or self.params, params)
        return self._run(image, self.prepare(checked))

    def _run(self, image: np.ndarray, settings: S, stages: Stages | None = None) -> ImageResult:
        stages = stages or Stages()
        with stages.time("inference"):
            items = self.infer(image, settings)
        with stages.time("drawing"):
            annotated = self.draw(image, items)
        return ImageResult(annotated, items, self.summarise(items))

    # --- the job --------------------------------------------------------------------------

    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        artifacts = Artifacts(outdir, self.outputs)
        stages = Stages()
        settings = self.prepare(params)
        if len(inputs) == 1 and inputs[0].kind == "image":
            summary = self._single(inputs[0], settings, artifacts, progress, stages)
        else:
            summary = self._batch(inputs, settings, artifacts, progress, stages)
        return Result(summary=summary, artifacts=artifacts.written(), stages=stages.as_dict())

    def _single(
        self,
        item: InputItem,
        settings: S,
        artifacts: Artifacts,
        progress: Progress,
        stages: Stages,
    ) -> dict[str, Any]:
        progress(0.0, "reading the image")
        with stages.time("decode"):
            image = decode_image(item.path.read_bytes())
        progress(0.1, "running the model")
        with stages.time("inference"):
            items = self.infer(image, settings)
        progress(0.9, "writing the results")
        return self._write_single(item, image, items, artifacts, stages)

    def _write_single(
        self,
        item: InputItem,
        image: np.ndarray,
        items: list[Item],
        artifacts: Artifacts,
        stages: Stages,
    ) -> dict[str, Any]:
        if self.draws_result_kind and can_annotate(self.result_kinds.get("image", "generic")):
            result = ImageResult(None, items, self.summarise(items))
            extras = self.write_extras(image, result, "", artifacts)
            artifacts.defer("annotated.jpg")
        else:
            with stages.time("drawing"):
                result = ImageResult(self.draw(image, items), items, self.summarise(items))
            with stages.time("encoding"):
                extras = self.write_extras(image, result, "", artifacts)
                write_jpeg(artifacts.path("annotated.jpg"), result.annotated)
        summary = {**_summary(item.name, image, result), **extras, **self.result_facts()}
        with stages.time("writing"):
            artifacts.write_json("result.json", summary)
        return summary

    # --- several one-image jobs at once (dynamic batching) --------------------------------

    def predict_many(self, jobs: list[JobInput]) -> list[Result | Exception]:
        if not all(len(j.inputs) == 1 and j.inputs[0].kind == "image" for j in jobs):
            return super().predict_many(jobs)
        results: dict[int, Result | Exception] = {}  # by the job's index
        ready: list[tuple[int, np.ndarray, S, Stages]] = []  # index, image, settings, stages
        for index, job in enumerate(jobs):
            stages = Stages()
            try:
                job.progress(0.0, "reading the image")
                settings = self.prepare(job.params)
                with stages.time("decode"):
                    image = decode_image(job.inputs[0].path.read_bytes())
                job.progress(0.1, f"running the model on a batch of {len(jobs)}")
            except Exception as exc:  # this job's input or parameters only
                results[index] = exc
                continue
            ready.append((index, image, settings, stages))
        started = time.perf_counter()
        found = self.infer_many([r[1] for r in ready], [r[2] for r in ready]) if ready else []
        share_ms = (time.perf_counter() - started) * 1000 / max(1, len(ready))
        for (index, image, _, stages), items in zip(ready, found, strict=True):
            job = jobs[index]
            stages.add("inference", share_ms)
            try:
                job.progress(0.9, "writing the results")
                artifacts = Artifacts(job.outdir, self.outputs)
                summary = self._write_single(job.inputs[0], image, items, artifacts, stages)
                results[index] = Result(summary, artifacts.written(), stages.as_dict(), len(ready))
            except Exception as exc:
                results[index] = exc
        return [results[index] for index in range(len(jobs))]

    def _batch(
        self,
        inputs: list[InputItem],
        settings: S,
        artifacts: Artifacts,
        progress: Progress,
        stages: Stages,
    ) -> dict[str, Any]:
        sources = list(_expand(inputs))
        if not sources:
            raise ValueError("the upload holds no images (a ZIP must contain JPEG or PNG files)")
        rows: list[dict[str, Any]] = []
        per_file: list[dict[str, Any]] = []
        used: set[str] = set()
        for index, (name, load) in enumerate(sources):
            progress(index / len(sources), f"image {index + 1} of {len(sources)}: {name}")
            row: dict[str, Any] = {"file": name, "status": "ok", "error": ""}
            try:
                with stages.time("decode"):
                    image = decode_image(load())
                result = self._run(image, settings, stages)
            except (ValueError, OSError) as exc:
                row.update(status="failed", error=str(exc))
                rows.append(row)
                per_file.append({"file": name, "error": str(exc)})
                continue
            out_name = _unique(f"{index + 1:03d}-{_stem(name)}.jpg", used)
            with stages.time("encoding"):
                write_jpeg(artifacts.path(out_name), result.annotated)
                stem = out_name.removesuffix(".jpg")
                extras = self.write_extras(image, result, stem, artifacts)
            row.update(annotated=out_name, **extras, **self.csv_row(result))
            rows.append(row)
            per_file.append({**_summary(name, image, result), "annotated": out_name, **extras})

        progress(0.97, "writing the summary")
        images = [a.name for a in artifacts.written()]
        with stages.time("writing"):
            artifacts.write_json("results.json", per_file)
            _write_csv(artifacts.path("summary.csv"), rows, self.csv_columns)
            with zipfile.ZipFile(
                artifacts.path("results.zip"), "w", zipfile.ZIP_DEFLATED
            ) as archive:
                for name in (*images, "results.json", "summary.csv"):
                    archive.write(artifacts.outdir / name, name)
        failed = sum(1 for r in rows if r["status"] != "ok")
        return {
            "files": len(rows),
            "succeeded": len(rows) - failed,
            "failed": failed,
            "per_file": per_file,
            **self.result_facts(),
        }


# --- helpers -----------------------------------------------------------------------------


def _summary(name: str, image: np.ndarray, result: ImageResult) -> dict[str, Any]:
    height, width = image.shape[:2]
    return {
        "file": name,
        "width": width,
        "height": height,
        "brightness": brightness(image),
        "count": len(result.items),
        **result.summary,
        "items": result.items,
    }


def brightness(image: np.ndarray) -> float:
    """The image's mean luma, 0-255 (ITU-R BT.601 weights, as OpenCV's grey): a fact for
    drift checks (`releases/drift_facts.py`). Read from about 64 x 64 evenly spaced pixels,
    which costs a tenth of a millisecond and is typically within one level of the full mean."""
    step = max(1, -(-max(image.shape[:2]) // 64))
    sample = image[::step, ::step]
    if sample.ndim == 2:
        return round(float(sample.mean()), 1)
    blue, green, red = sample.reshape(-1, sample.shape[2])[:, :3].mean(axis=0)
    return round(float(0.114 * blue + 0.587 * green + 0.299 * red), 1)


def _expand(inputs: list[InputItem]) -> Iterator[ArchiveImage]:
    """(display name, a function that returns the bytes) for every image of the upload."""
    for item in inputs:
        if item.kind == "image":
            yield item.name, item.path.read_bytes
        elif item.kind == "zip":
            yield from archive_images(item.path)


def _stem(name: str) -> str:
    stem = Path(name.replace("\\", "/")).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._")[:60] or "image"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = name.replace(".jpg", f"-{n}.jpg")
    used.add(candidate)
    return candidate


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer,
        fieldnames=["file", "status", "error", "annotated", *columns],
        extrasaction="ignore",
    )
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())
