"""The dataset layouts a flagged set is exported in, each written into a ZIP file:

- `yolo` (detections): `images/`, `labels/` (one `class cx cy w h` line per box, normalised
  to the image's size) and `data.yaml` whose paths are relative to itself, so ultralytics'
  trainer takes `data.yaml` of the unpacked archive as it is;
- `coco` (detections, faces): `images/` and `annotations/instances.json` (1-based ids, `bbox`
  as x, y, width, height in pixels); a face's gender is its category, and also
  `attributes.gender`;
- `folders` (classifications): `train/<class>/<image>`, the ImageFolder layout;
- `volumes` (NIfTI masks): `images/<name>.nii.gz` and `masks/<name>.nii.gz`, in pairs.

Images are copied byte for byte, named after their job (and file of a batch)."""

from __future__ import annotations

import gzip
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ...media.sniff import sniff
from ...store.feedback_records import FlagState
from .results import GENDERS, UNCERTAIN, Label
from .samples import Sample, Source

ExportFormat = Literal["yolo", "coco", "folders", "volumes"]


@dataclass(frozen=True)
class ExportRequest:
    model: str
    fmt: ExportFormat
    version: str | None = None  # a version's id
    state: FlagState | None = FlagState.open


@dataclass(frozen=True)
class Layout:
    kinds: tuple[str, ...]  # the item kinds it holds
    advice: str  # which format to use for the others


LAYOUTS: dict[ExportFormat, Layout] = {
    "yolo": Layout(("detections",), "faces export as coco"),
    "coco": Layout(("detections", "faces"), "classifications export as folders"),
    "folders": Layout(("classification",), "detections export as yolo or coco"),
    "volumes": Layout(("volume-mask",), "images export as yolo, coco or folders"),
}
FACE_CATEGORIES = (*GENDERS, UNCERTAIN)  # a face the model was not sure of keeps its box


def read_source(source: Source) -> bytes:
    if source.member is None:
        return source.path.read_bytes()
    with zipfile.ZipFile(source.path) as archive:
        return archive.read(source.member)


class Writer:
    """Writes samples into `archive` in one layout; `paths` gives each sample's main file."""

    def __init__(self, archive: zipfile.ZipFile, fmt: ExportFormat, classes: list[str]) -> None:
        self.archive = archive
        self.fmt = fmt
        self.classes = list(classes)  # grows by any label it lacks (`_class_index`)
        self.faces = self.classes == list(FACE_CATEGORIES)
        self.paths: dict[str, str] = {}  # by stem
        self._coco_images: list[dict[str, Any]] = []
        self._coco_boxes: list[dict[str, Any]] = []

    def add(self, sample: Sample) -> None:
        if self.fmt == "volumes":
            self._volume(sample)
            return
        data = read_source(sample.source)
        name = sample.stem + sniff(data[:4096]).extension
        if self.fmt == "folders":
            path = f"train/{folder_name(sample.category or '')}/{name}"
        else:
            path = f"images/{name}"
        self.archive.writestr(path, data, zipfile.ZIP_STORED)  # images are compressed already
        self.paths[sample.stem] = path
        if self.fmt == "yolo":
            self._text(f"labels/{sample.stem}.txt", "".join(self._yolo_lines(sample)))
        elif self.fmt == "coco":
            self._coco(sample, name)

    def finish(self, model: str, at: datetime) -> None:
        if self.fmt == "yolo":
            names = "".join(
                f"  {i}: {json.dumps(c, ensure_ascii=False)}\n" for i, c in enumerate(self.classes)
            )
            self._text(
                "data.yaml",
                f"# The flagged results of {model}, exported {at:%Y-%m-%d %H:%M} UTC.\n"
                "# Paths are relative to this file: train on it where it was unpacked.\n"
                f"train: images\nval: images\nnc: {len(self.classes)}\nnames:\n{names}",
            )
        elif self.fmt == "coco":
            document = {
                "info": {
                    "description": f"The flagged results of {model}",
                    "date_created": at.isoformat(),
                },
                "licenses": [],
                "images": self._coco_images,
                "annotations": self._coco_boxes,
                "categories": [
                    {"id": i, "name": c, "supercategory": "face" if self.faces else ""}
                    for i, c in enumerate(self.classes, start=1)
                ],
            }
            self._text("annotations/instances.json", json.dumps(document, ensure_ascii=False))

    # --- layouts ----------------------------------------------------------------------------

    def _yolo_lines(self, sample: Sample) -> list[str]:
        width, height = _size(sample)
        lines = []
        for label in sample.boxes:
            clipped = _clip(label, width, height)
            if clipped is None:
                continue
            x1, y1, x2, y2 = clipped
            cx, cy = (x1 + x2) / 2 / width, (y1 + y2) / 2 / height
            w, h = (x2 - x1) / width, (y2 - y1) / height
            lines.append(f"{self._class_index(label.name)} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}\n")
        return lines

    def _coco(self, sample: Sample, name: str) -> None:
        width, height = _size(sample)
        image_id = len(self._coco_images) + 1
        self._coco_images.append(
            {"id": image_id, "file_name": name, "width": width, "height": height}
        )
        for label in sample.boxes:
            clipped = _clip(label, width, height)
            if clipped is None:
                continue
            x1, y1, x2, y2 = clipped
            w, h = round(x2 - x1, 2), round(y2 - y1, 2)
            annotation: dict[str, Any] = {
                "id": len(self._coco_boxes) + 1,
                "image_id": image_id,
                "category_id": self._class_index(label.name) + 1,
                "bbox": [round(x1, 2), round(y1, 2), w, h],
                "area": round(w * h, 2),
                "iscrowd": 0,
            }
            if self.faces:
                annotation["attributes"] = {"gender": label.name}
            self._coco_boxes.append(annotation)

    def _volume(self, sample: Sample) -> None:
        image = sample.source.path.read_bytes()
        path = f"images/{sample.stem}.nii.gz"
        self.archive.writestr(path, _gzipped(image), zipfile.ZIP_STORED)
        if sample.mask is not None:
            mask = _gzipped(sample.mask.read_bytes())
            self.archive.writestr(f"masks/{sample.stem}.nii.gz", mask, zipfile.ZIP_STORED)
        self.paths[sample.stem] = path

    # --- helpers ----------------------------------------------------------------------------

    def _class_index(self, name: str) -> int:
        if name not in self.classes:
            self.classes.append(name)  # a class the recorded list lacked: numbered after it
        return self.classes.index(name)

    def _text(self, path: str, text: str) -> None:
        self.archive.writestr(path, text, zipfile.ZIP_DEFLATED)


def _size(sample: Sample) -> tuple[int, int]:
    picture = sample.picture
    if picture is None or not picture.width or not picture.height:
        raise ValueError("the result does not say the image's size")
    return picture.width, picture.height


def _clip(label: Label, width: int, height: int) -> tuple[float, float, float, float] | None:
    """The box inside the image (a model's box may pass its edge by a fraction of a pixel);
    None when nothing of it is left."""
    x1, y1, x2, y2 = label.box
    x1, x2 = max(0.0, min(x1, width)), max(0.0, min(x2, width))
    y1, y2 = max(0.0, min(y1, height)), max(0.0, min(y2, height))
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def _gzipped(data: bytes) -> bytes:
    return data if data[:2] == b"\x1f\x8b" else gzip.compress(data, mtime=0)


def folder_name(label: str) -> str:
    """A class as a folder name: its own name, without what a path cannot hold."""
    cleaned = re.sub(r"[\\/\x00-\x1f:*?\"<>|]+", "_", label).strip(" .")
    return cleaned or "_"
