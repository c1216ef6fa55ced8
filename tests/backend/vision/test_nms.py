"""The NumPy NMS that exported detectors are served with gives torchvision's answers: the same
boxes kept, in the same order, on crowded random scenes of many classes (both of
torchvision's ways: one pass with the classes offset apart, and one NMS per class), with tied
scores (whose order torchvision leaves open when it runs one NMS per class), and at
thresholds whose float32 rounding lies above or below them."""

from __future__ import annotations

import numpy as np
import pytest

from modelgallery.vision.families.nms import batched_nms
from modelgallery.vision.runtimes.torch_compat import ensure_torchvision_ops


def _scene(seed: int, count: int, classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 640, (count, 2))
    sizes = rng.uniform(4, 200, (count, 2))
    boxes = np.concatenate((centres - sizes / 2, centres + sizes / 2), 1).astype(np.float32)
    scores = rng.uniform(0.25, 1, count).astype(np.float32)
    scores[::7] = scores[0]  # ties, which a stable sort keeps in their order
    return boxes, scores, rng.integers(0, classes, count)


def _torchvision(
    boxes: np.ndarray, scores: np.ndarray, classes: np.ndarray, iou: float
) -> list[int]:
    ensure_torchvision_ops()
    import torch
    import torchvision

    kept = torchvision.ops.batched_nms(
        torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(classes), iou
    )
    return kept.tolist()


@pytest.mark.parametrize("count", [1, 60, 900, 1500])  # 1500 boxes: one NMS per class
@pytest.mark.parametrize("iou", [0.45, 0.7, 0.3])
def test_the_same_boxes_in_the_same_order_as_torchvision(count: int, iou: float) -> None:
    for seed in range(3):
        boxes, scores, classes = _scene(seed, count, classes=5)
        ours = batched_nms(boxes, scores, classes, iou).tolist()
        theirs = _torchvision(boxes, scores, classes, iou)
        if count * 4 <= 4000:
            assert ours == theirs
        else:  # torchvision orders the classes' kept boxes by an unstable sort: ties differ
            assert sorted(ours) == sorted(theirs)
            assert scores[ours].tolist() == scores[theirs].tolist()


def test_no_boxes_keep_none() -> None:
    empty = np.zeros((0, 4), np.float32)
    kept = batched_nms(empty, np.zeros(0, np.float32), np.zeros(0, np.int64), 0.45)
    assert kept.tolist() == [] and kept.dtype == np.int64


def test_a_box_of_another_class_is_never_suppressed() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    assert batched_nms(boxes, scores, np.array([0, 1, 0]), 0.5).tolist() == [0, 1]
