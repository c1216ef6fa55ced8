"""Comparing boxes (x1, y1, x2, y2) in tests: the reference the detectors are checked by."""

from __future__ import annotations


def iou(a: list[float], b: list[float]) -> float:
    """Intersection over union of two boxes; 0 when they do not touch."""
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
