"""How many of each class a video shows, over the whole (`VideoStats`) and over time,
compact enough for its summary (`Timeline`): the video cut into at most `MAX_BUCKETS` equal
spans of a round length, and for each span the most of each class seen in one of its
frames."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TypedDict

MAX_BUCKETS = 120
MAX_CLASSES = 10  # the classes seen in the most frames; a chart shows no more
# Span lengths in seconds, shortest first: the first that keeps the video within
# MAX_BUCKETS spans (and holds at least one frame) is used.
_SPANS_S = (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0)


class TimelineSummary(TypedDict):
    bucket_s: float
    counts_are: str
    counts: dict[str, list[int]]  # per class, one count per span


class Timeline:
    def __init__(self) -> None:
        self._frames: list[dict[str, int]] = []  # per frame, the classes it shows

    def add(self, counts: dict[str, int]) -> None:
        self._frames.append(counts)

    def summary(self, fps: float, order: list[str]) -> TimelineSummary:
        """`bucket_s` and, per class of `order` (the first MAX_CLASSES), one count per span."""
        duration = len(self._frames) / fps
        span = next(
            (s for s in _SPANS_S if s >= 1 / fps and math.ceil(duration / s) <= MAX_BUCKETS),
            math.ceil(duration / MAX_BUCKETS),
        )
        buckets = max(1, math.ceil(duration / span - 1e-9))
        labels = order[:MAX_CLASSES]
        counts = {label: [0] * buckets for label in labels}
        for index, frame in enumerate(self._frames):
            bucket = min(buckets - 1, int(index / fps / span + 1e-9))
            for label in labels:
                n = frame.get(label, 0)
                if n > counts[label][bucket]:
                    counts[label][bucket] = n
        return {
            "bucket_s": span,
            "counts_are": "the most of each class seen in one frame of each bucket",
            "counts": counts,
        }


class VideoCounts(TypedDict):
    counts: dict[str, int]
    counts_are: str
    detections: dict[str, int]
    frames_with: dict[str, int]


class VideoStats:
    """Per label: the most seen in one frame (`counts`: how many there are, as far as a
    detector without tracking can tell), every item summed over the frames (`detections`:
    one object counts once per frame it is in), and `frames_with` it; the `timeline` of
    each over the video."""

    def __init__(self) -> None:
        self.max_in_frame: dict[str, int] = {}
        self.total: dict[str, int] = {}
        self.frames_with: dict[str, int] = {}
        self.timeline = Timeline()

    def add(self, labels: Iterable[str | None]) -> None:
        counts: dict[str, int] = {}
        for label in labels:
            if label is not None:
                counts[label] = counts.get(label, 0) + 1
        self.timeline.add(counts)
        for label, n in counts.items():
            self.max_in_frame[label] = max(self.max_in_frame.get(label, 0), n)
            self.total[label] = self.total.get(label, 0) + n
            self.frames_with[label] = self.frames_with.get(label, 0) + 1

    def order(self) -> list[str]:
        """The labels, those seen in the most frames first."""
        return sorted(self.max_in_frame, key=lambda k: (-self.frames_with[k], k))

    def summary(self) -> VideoCounts:
        order = self.order()
        return {
            "counts": {k: self.max_in_frame[k] for k in order},
            "counts_are": "the most objects of each class seen in one frame",
            "detections": {k: self.total[k] for k in order},
            "frames_with": {k: self.frames_with[k] for k in order},
        }
