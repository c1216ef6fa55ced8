"""The base of every model that takes images: one image, several files, or a ZIP of images
in one job. A family implements `predict_image` for one decoded image; this base handles
reading, batch expansion, per-file outputs, the CSV summary and the results archive.

One image gives `annotated.jpg` and `result.json`. A batch gives, per file,
`NNN-<name>.jpg`, plus `results.json`, `summary.csv` and `results.zip` with all of them."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from abc import abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from .media import sniff
from .model import ArtifactOut, InputItem, Model, Output, Progress, Result

MAX_ZIP_MEMBERS = 500
MAX_ZIP_MEMBER_BYTES = 50 * 1024 * 1024
MAX_ZIP_TOTAL_BYTES = 1024 * 1024 * 1024
_JPEG_QUALITY = 90


@dataclass
class ImageResult:
    annotated: Any  # BGR uint8 array, the same size as the input
    items: list[dict[str, Any]]  # detections, faces, ...
    summary: dict[str, Any] = field(default_factory=dict)  # e.g. counts per class


class ImageModel(Model):
    kinds: ClassVar[tuple[str, ...]] = ("image", "zip")
    outputs: ClassVar[tuple[Output, ...]] = (
        Output(name="annotated.jpg", media_type="image/jpeg", role="annotated"),
        Output(name="result.json", media_type="application/json", role="data"),
        Output(name="NNN-<file>.jpg", media_type="image/jpeg", role="annotated", when="zip"),
        Output(name="results.json", media_type="application/json", role="data", when="zip"),
        Output(name="summary.csv", media_type="text/csv", role="data", when="zip"),
        Output(name="results.zip", media_type="application/zip", role="archive", when="zip"),
    )
    csv_columns: ClassVar[tuple[str, ...]] = ("items",)

    @abstractmethod
    def predict_image(self, image: Any, params: dict[str, Any]) -> ImageResult:
        """Run on one BGR uint8 image."""

    def csv_row(self, result: ImageResult) -> dict[str, Any]:
        """This family's columns of summary.csv for one file."""
        return {"items": len(result.items)}

    # --- the job ----------------------------------------------------------------------

    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        if len(inputs) == 1 and inputs[0].kind == "image":
            return self._single(inputs[0], params, outdir, progress)
        return self._batch(inputs, params, outdir, progress)

    def _single(
        self, item: InputItem, params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        progress(0.0, "reading the image")
        image = decode_image(item.path.read_bytes())
        progress(0.1, "running the model")
        result = self.predict_image(image, params)
        progress(0.9, "writing the results")
        write_jpeg(outdir / "annotated.jpg", result.annotated)
        summary = _summary(item.name, image, result)
        (outdir / "result.json").write_text(json.dumps(summary, indent=1))
        return Result(
            summary=summary,
            artifacts=[
                ArtifactOut("annotated.jpg", "image/jpeg", "annotated"),
                ArtifactOut("result.json", "application/json", "data"),
            ],
        )

    def _batch(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        sources = list(_expand(inputs))
        if not sources:
            raise ValueError("the upload holds no images (a ZIP must contain JPEG or PNG files)")
        rows: list[dict[str, Any]] = []
        per_file: list[dict[str, Any]] = []
        artifacts: list[ArtifactOut] = []
        used: set[str] = set()
        for index, (name, load) in enumerate(sources):
            progress(index / len(sources), f"image {index + 1} of {len(sources)}: {name}")
            row: dict[str, Any] = {"file": name, "status": "ok", "error": ""}
            try:
                image = decode_image(load())
                result = self.predict_image(image, params)
            except (ValueError, OSError) as exc:
                row.update(status="failed", error=str(exc))
                rows.append(row)
                per_file.append({"file": name, "error": str(exc)})
                continue
            out_name = _unique(f"{index + 1:03d}-{_stem(name)}.jpg", used)
            write_jpeg(outdir / out_name, result.annotated)
            artifacts.append(ArtifactOut(out_name, "image/jpeg", "annotated"))
            row.update(annotated=out_name, **self.csv_row(result))
            rows.append(row)
            per_file.append({**_summary(name, image, result), "annotated": out_name})

        progress(0.97, "writing the summary")
        (outdir / "results.json").write_text(json.dumps(per_file, indent=1))
        _write_csv(outdir / "summary.csv", rows, self.csv_columns)
        with zipfile.ZipFile(outdir / "results.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            for art in artifacts:
                archive.write(outdir / art.name, art.name)
            archive.write(outdir / "results.json", "results.json")
            archive.write(outdir / "summary.csv", "summary.csv")
        artifacts += [
            ArtifactOut("results.json", "application/json", "data"),
            ArtifactOut("summary.csv", "text/csv", "data"),
            ArtifactOut("results.zip", "application/zip", "archive"),
        ]
        failed = sum(1 for r in rows if r["status"] != "ok")
        summary = {
            "files": len(rows),
            "succeeded": len(rows) - failed,
            "failed": failed,
            "per_file": per_file,
        }
        return Result(summary=summary, artifacts=artifacts)


# --- helpers shared by image families ---------------------------------------------------


def decode_image(data: bytes) -> Any:
    """BGR uint8, EXIF orientation applied; ValueError when it is not a readable image."""
    import cv2
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("not a readable image")
    return image


def write_jpeg(path: Path, image: Any) -> None:
    import cv2

    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode the annotated image")
    path.write_bytes(encoded.tobytes())


def _summary(name: str, image: Any, result: ImageResult) -> dict[str, Any]:
    height, width = image.shape[:2]
    return {
        "file": name,
        "width": width,
        "height": height,
        "count": len(result.items),
        **result.summary,
        "items": result.items,
    }


def _expand(inputs: list[InputItem]) -> Iterator[tuple[str, Any]]:
    """(display name, a function that returns the bytes) for every image of the upload."""
    for item in inputs:
        if item.kind == "image":
            yield item.name, item.path.read_bytes
        elif item.kind == "zip":
            yield from _zip_members(item.path)


def _zip_members(path: Path) -> Iterator[tuple[str, Any]]:
    with zipfile.ZipFile(path) as archive:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and not m.filename.startswith("__MACOSX/")
            and not Path(m.filename).name.startswith(".")
        ]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ValueError(f"the ZIP holds {len(members)} files; {MAX_ZIP_MEMBERS} at most")
        if sum(m.file_size for m in members) > MAX_ZIP_TOTAL_BYTES:
            raise ValueError("the ZIP unpacks to more than 1 GB")
        for member in members:
            if member.file_size > MAX_ZIP_MEMBER_BYTES:
                continue
            with archive.open(member) as fh:
                head = fh.read(64)
            if sniff(head).kind != "image":
                continue

            def load(member: zipfile.ZipInfo = member) -> bytes:
                with zipfile.ZipFile(path) as again, again.open(member) as fh:
                    return fh.read(MAX_ZIP_MEMBER_BYTES + 1)

            yield member.filename, load


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
