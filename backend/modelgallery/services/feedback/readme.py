"""The README.txt of an exported dataset: what it holds, in which layout, where each label came
from and what was left out, for the person (or notebook) that trains on it."""

from __future__ import annotations

from datetime import datetime

from .formats import ExportRequest
from .samples import Skipped

_LAYOUT = {
    "yolo": """\
Layout (YOLO detection):
  images/<name>.<ext>   the images as they were uploaded
  labels/<name>.txt     one line per box: class cx cy w h, normalised to the image's size
  data.yaml             the class names; train and val point at images/, relative to
                        data.yaml itself. With ultralytics, after unpacking:
                            YOLO("yolov8n.pt").train(data="data.yaml")
                        (train and val are the same images: split them for a fair
                        validation).""",
    "coco": """\
Layout (COCO instances):
  images/<name>.<ext>           the images as they were uploaded
  annotations/instances.json    images, annotations and categories (ids from 1); bbox is
                                [x, y, width, height] in pixels from the top left corner.""",
    "folders": """\
Layout (one folder per class, the ImageFolder layout):
  train/<class>/<name>.<ext>    each image in the folder of its class; for example
                                torchvision.datasets.ImageFolder("train"), or ultralytics'
                                classification trainer on this folder.""",
    "volumes": """\
Layout (NIfTI pairs):
  images/<name>.nii.gz   the volume as it was uploaded (gzipped if it was not)
  masks/<name>.nii.gz    the mask, with the volume's header, voxel for voxel""",
}

_FACES = """\
Faces: the category of a box is the gender (woman, man); a face the model was not sure of
keeps its box with the category "uncertain". Each annotation also says
"attributes": {"gender": ...}."""

_VOLUMES = """\
The masks are the model's own masks (a flag's note may say what is wrong with one): a
corrected mask cannot be given in the web UI or the API yet. Review them before training."""


def readme(
    request: ExportRequest,
    exported: int,
    corrected: int,
    flags: int,
    skipped: list[Skipped],
    classes: list[str],
    at: datetime,
) -> str:
    which = "every state" if request.state is None else f"state {request.state.value}"
    version = f", version id {request.version}" if request.version else ""
    lines = [
        f"Flagged results of the model '{request.model}'{version}: {flags} flag(s) in {which},",
        f"exported {at:%Y-%m-%d %H:%M} UTC by Model Gallery as '{request.fmt}'.",
        "",
        _LAYOUT[request.fmt],
        "",
        "Labels:",
        f"  {exported} item(s) exported: {corrected} labelled from a user's correction (the",
        f"  newest flag that gave one), {exported - corrected} from the model's own result.",
        "  manifest.csv says which, per file (labels_from: correction or model), with the",
        "  flags' notes. A flag on a batch that names one file exports that file; one that",
        "  names none exports every file of the batch. Boxes a correction marked wrong are",
        "  left out; a box with the wrong class is replaced by the corrected one.",
    ]
    if classes and request.fmt in ("yolo", "coco"):
        first = 1 if request.fmt == "coco" else 0  # COCO's ids start at 1, YOLO's at 0
        numbered = ", ".join(f"{i}={c}" for i, c in enumerate(classes, start=first))
        lines += ["", f"Classes: {numbered}"]
    if request.fmt == "coco" and classes[:2] == ["woman", "man"]:
        lines += ["", _FACES]
    if request.fmt == "volumes":
        lines += ["", _VOLUMES]
    lines += ["", f"Left out: {len(skipped)} (also in skipped.csv)"]
    lines += [
        f"  {s.job_id}{'' if s.file is None else f' file {s.file}'}: {s.reason}" for s in skipped
    ]
    if not skipped:
        lines.append("  nothing")
    return "\n".join(lines) + "\n"
