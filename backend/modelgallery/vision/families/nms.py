"""Non-maximum suppression per class in NumPy, with torchvision's `batched_nms` contract and
arithmetic (float32, the same steps), so that a worker serving an exported detector needs
neither torch nor torchvision: importing them took 2.2 s of its start and 270 MB of its
memory here. `tests/backend/vision/test_nms.py` holds it to torchvision's answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# torchvision offsets each class's boxes apart and runs one NMS up to this many box
# coordinates (on the CPU), and runs one NMS per class beyond it.
_ONE_PASS_UP_TO = 4000


def batched_nms(
    boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """Indices of the boxes (x1, y1, x2, y2) kept, by decreasing score: a box is dropped
    when its IoU with a kept, higher-scoring box of its class is above `iou_threshold`."""
    import numpy as np

    if boxes.size == 0:
        return np.empty(0, np.int64)
    if boxes.size <= _ONE_PASS_UP_TO:
        top = boxes.max() + np.float32(1)
        offsets = classes.astype(boxes.dtype) * top
        return nms(boxes + offsets[:, None], scores, iou_threshold)
    kept = np.zeros(len(boxes), bool)
    for cls in np.unique(classes):
        mine = np.flatnonzero(classes == cls)
        kept[mine[nms(boxes[mine], scores[mine], iou_threshold)]] = True
    indices = np.flatnonzero(kept)
    return indices[np.argsort(-scores[indices], kind="stable")]


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """One class's NMS, as torchvision's CPU kernel: a stable sort by decreasing score,
    then each kept box suppresses the later boxes it overlaps by more than the threshold."""
    import numpy as np

    threshold = np.float64(iou_threshold)  # the kernel compares its float IoU to a double
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = (boxes[order, i] for i in range(4))
    areas = (x2 - x1) * (y2 - y1)
    suppressed = np.zeros(len(order), bool)
    kept: list[int] = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        kept.append(i)
        rest = slice(i + 1, None)
        width = np.maximum(np.float32(0), np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]))
        height = np.maximum(
            np.float32(0), np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest])
        )
        inter = width * height
        overlap = inter / (areas[i] + areas[rest] - inter)
        suppressed[rest] |= overlap > threshold
    return order[kept].astype(np.int64)
