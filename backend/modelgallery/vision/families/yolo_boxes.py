"""What every YOLO detector needs around its network, whatever runs it: the job's settings,
the letterboxed input the network was trained on, and its raw rows turned into NMS-filtered
items in the image's own pixels. Shared by classic YOLOv5 checkpoints and by ultralytics
checkpoints served on an export."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..tasks.image import Item

MAX_DETECTIONS = 300
_MAX_NMS_CANDIDATES = 30_000  # far past any real image; bounds NMS time


@dataclass(frozen=True)
class Settings:
    """A job's parameters as a detector takes them."""

    conf: float
    iou: float
    class_ids: list[int] | None  # None: every class


def detections(
    boxes: list[list[float]], scores: list[float], classes: list[float], names: dict[int, str]
) -> list[Item]:
    """The items of one image: class, label, confidence and box (x1, y1, x2, y2 in the
    input image's pixels)."""
    found = []
    for box, score, cls in zip(boxes, scores, classes, strict=True):
        cid = int(cls)
        found.append(
            {
                "class_id": cid,
                "label": names.get(cid, str(cid)),
                "confidence": round(float(score), 4),
                "box": [round(v, 1) for v in box],
            }
        )
    return found


@dataclass(frozen=True)
class Letterboxed:
    batch: Any  # NCHW float32 in 0..1, RGB
    ratio: float  # input pixels per image pixel
    pad: tuple[float, float]  # left, top


def letterbox(image: Any, size: int, stride: int, square: bool = False) -> Letterboxed:
    """Scale the longer side to `size`, pad the rest to a multiple of `stride` (grey, as
    YOLO was trained), or to a `square` of `size` for a graph of fixed input size."""
    import cv2
    import numpy as np

    height, width = image.shape[:2]
    ratio = min(size / height, size / width)
    new_w, new_h = round(width * ratio), round(height * ratio)
    if square:
        pad_w, pad_h = (size - new_w) / 2, (size - new_h) / 2
    else:
        pad_w, pad_h = (-new_w) % stride / 2, (-new_h) % stride / 2
    if (new_w, new_h) != (width, height):
        image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
    left, right = round(pad_w - 0.1), round(pad_w + 0.1)
    image = cv2.copyMakeBorder(
        image, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114)
    )
    # Assigned into a float array, then scaled in place: converting the strided BGR->RGB
    # view in one step (`np.ascontiguousarray(..., np.float32)`) took ten times as long.
    batch = np.empty((1, 3, *image.shape[:2]), np.float32)
    batch[0] = image.transpose(2, 0, 1)[::-1]
    batch /= 255
    return Letterboxed(batch, ratio, (left, top))


def boxes_of(
    rows: Any,
    settings: Settings,
    objectness: bool,
    letterboxed: Letterboxed,
    image_shape: tuple[int, ...],
    names: dict[int, str],
) -> list[Item]:
    """Rows of (cx, cy, w, h, [objectness,] class scores...) of the letterboxed input (a
    torch tensor) → the image's items, best first."""
    import torch
    import torchvision

    first_class = 5 if objectness else 4
    if objectness:  # a score is objectness x class score (both <= 1): drop the rest first
        rows = rows[rows[:, 4] > settings.conf]
    scores, classes = rows[:, first_class:].max(1)
    if objectness:
        scores = scores * rows[:, 4]
    keep = scores > settings.conf
    if settings.class_ids is not None:
        keep &= torch.isin(classes, torch.tensor(settings.class_ids))
    rows, scores, classes = rows[keep], scores[keep], classes[keep]
    if scores.numel() > _MAX_NMS_CANDIDATES:
        top = scores.topk(_MAX_NMS_CANDIDATES).indices
        rows, scores, classes = rows[top], scores[top], classes[top]
    half = rows[:, 2:4] / 2
    boxes = torch.cat((rows[:, :2] - half, rows[:, :2] + half), 1)
    kept = torchvision.ops.batched_nms(boxes, scores, classes, settings.iou)[:MAX_DETECTIONS]
    boxes, scores, classes = boxes[kept], scores[kept], classes[kept]
    # back from the letterboxed input to the image's own pixels
    (left, top), ratio = letterboxed.pad, letterboxed.ratio
    boxes[:, [0, 2]] = ((boxes[:, [0, 2]] - left) / ratio).clamp(0, image_shape[1])
    boxes[:, [1, 3]] = ((boxes[:, [1, 3]] - top) / ratio).clamp(0, image_shape[0])
    return detections(boxes.tolist(), scores.tolist(), classes.tolist(), names)
