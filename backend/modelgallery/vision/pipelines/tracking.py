"""Following the items of a video across its frames with ultralytics' ByteTrack, fed with
the family's own detections (whatever runtime found them), and counting each object once.

ByteTrack matches boxes only (IoU and a Kalman motion model), never pixels, and whatever
their class: each class has a tracker of its own here, so that a person walking in front of
a chair does not take over the chair's track (and the chair a new one). The detector's
`conf` already dropped the weak boxes, so every box it keeps is one of ByteTrack's
high-score detections: each either continues a track or starts one, and so has a track id
(ByteTrack's second, low-score stage has nothing to work on). A track that lasts less
than `MIN_TRACK_S` is a blip (a false detection, or an object that only grazed the edge)
and is not counted.

ultralytics is imported when a `Tracker` is made, in the worker that runs the model."""

from __future__ import annotations

import importlib.util
import math
import os
from collections import Counter
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, TypedDict

from .image import Item

if TYPE_CHECKING:
    import numpy as np
    from ultralytics.trackers.byte_tracker import BYTETracker

ClassKey = int | str | None  # an item's class id, or its label where it has no id

MIN_TRACK_S = 0.25  # shorter tracks are not counted (8 frames at 30 fps, at least 2)
MAX_TRACKS_LISTED = 500  # the summary's list of tracks stops there; the counts do not
_LOST_S = 1.0  # how long a track that lost its object waits to be found again
# ultralytics' bytetrack.yaml, but for the thresholds: the detector's `conf` is the one
# threshold (see above). Its `track_buffer` of 30 frames is one second at 30 fps; here
# it is one second at the video's own rate.
_MATCH_THRESH = 0.8  # the most a pairing may cost (1 - IoU, fused with the score)
_FUSE_SCORE = True


class TrackRow(TypedDict):
    id: int
    label: str
    first_s: float
    last_s: float
    frames: int


class TrackCounts(TypedDict):
    tracker: str
    min_frames: int
    tracks: int  # started
    counted: int
    listed: int


class TrackingSummary(TypedDict):
    unique: dict[str, int]  # counted tracks per class
    unique_are: str
    tracks: list[TrackRow]
    tracking: TrackCounts


@dataclass
class _Track:
    label: str
    first: int
    last: int
    frames: int = 0


class Tracker:
    """One video's tracks: `update` gives each frame's items their `track_id`; `summary`
    counts the tracks per class once the video is over."""

    def __init__(self, fps: float) -> None:
        if importlib.util.find_spec("lap") is None:  # ultralytics would pip-install it
            raise RuntimeError(
                "video tracking needs the 'lap' package (pip install lap); "
                "send track=false to count without tracking"
            )
        # Offline, as every ultralytics import in a worker (`runtimes.ultralytics`).
        os.environ.setdefault("YOLO_OFFLINE", "1")
        os.environ.setdefault("YOLO_AUTOINSTALL", "false")
        self.fps = fps
        self.min_frames = max(2, math.ceil(MIN_TRACK_S * fps))
        self._config = SimpleNamespace(
            track_high_thresh=0.0,
            track_low_thresh=0.0,
            new_track_thresh=0.0,
            track_buffer=max(1, round(_LOST_S * fps)),
            match_thresh=_MATCH_THRESH,
            fuse_score=_FUSE_SCORE,
        )
        self._trackers: dict[ClassKey, BYTETracker] = {}
        # (class, its tracker's id): the video's id
        self._ids: dict[tuple[ClassKey, int], int] = {}
        self._tracks: dict[int, _Track] = {}
        self._frame = -1

    def update(self, items: list[Item]) -> list[Item]:
        """The items of the next frame, each with `track_id` (None only for a box of no
        width or height, which ByteTrack skips)."""
        from ultralytics.trackers.byte_tracker import BYTETracker

        self._frame += 1
        by_class: dict[ClassKey, list[int]] = {}
        for index, item in enumerate(items):
            by_class.setdefault(item.get("class_id", item.get("label")), []).append(index)
        for cls in by_class:
            if cls not in self._trackers:
                self._trackers[cls] = BYTETracker(self._config)
        ids: dict[int, int] = {}
        # Every class's tracker sees every frame (an empty one too: lost tracks age).
        for cls, tracker in self._trackers.items():
            indices = by_class.get(cls, [])
            tracker.update(_Boxes([items[i] for i in indices]))
            # Every track this frame updated, confirmed or not: ByteTrack reports a new
            # track only from its second frame on, but its id is set on the first.
            for track in tracker.tracked_stracks:
                if track.frame_id == tracker.frame_id:
                    key = (cls, int(track.track_id))
                    ids[indices[int(track.idx)]] = self._ids.setdefault(key, len(self._ids) + 1)
        tracked = []
        for index, item in enumerate(items):
            track_id = ids.get(index)
            tracked.append({**item, "track_id": track_id})
            if track_id is not None:
                self._seen(track_id, str(item.get("label")))
        return tracked

    def _seen(self, track_id: int, label: str) -> None:
        track = self._tracks.get(track_id)
        if track is None:
            track = self._tracks[track_id] = _Track(label, self._frame, self._frame)
        track.last = self._frame
        track.frames += 1

    def summary(self, order: list[str]) -> TrackingSummary:
        """`unique`: the tracks per class, in `order` then by name; `tracks`: when each
        was on screen."""
        counted = [
            (track_id, track)
            for track_id, track in sorted(self._tracks.items(), key=lambda kv: (kv[1].first, kv[0]))
            if track.frames >= self.min_frames
        ]
        unique = Counter(track.label for _, track in counted)
        rank = {label: i for i, label in enumerate(order)}
        labels = sorted(unique, key=lambda k: (rank.get(k, len(rank)), k))
        tracks: list[TrackRow] = [
            {
                "id": track_id,
                "label": track.label,
                "first_s": round(track.first / self.fps, 2),
                "last_s": round(track.last / self.fps, 2),
                "frames": track.frames,
            }
            for track_id, track in counted[:MAX_TRACKS_LISTED]
        ]
        return {
            "unique": {label: unique[label] for label in labels},
            "unique_are": (
                f"distinct objects followed across frames (ByteTrack); tracks seen in fewer "
                f"than {self.min_frames} frames ({MIN_TRACK_S:g} s) are not counted"
            ),
            "tracks": tracks,
            "tracking": {
                "tracker": "bytetrack",
                "min_frames": self.min_frames,
                "tracks": len(self._tracks),
                "counted": len(counted),
                "listed": len(tracks),
            },
        }


class _Boxes:
    """A frame's items as the detections ByteTrack reads: `conf`, `cls`, `xywh` (centre,
    size) and `xyxy` arrays, sliced by a boolean mask."""

    def __init__(
        self,
        items: list[Item] | None = None,
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ) -> None:
        import numpy as np

        if arrays is None:
            items = items or []
            xyxy: np.ndarray = np.array([i["box"] for i in items], np.float32).reshape(-1, 4)
            conf: np.ndarray = np.array([i["confidence"] for i in items], np.float32)
            cls: np.ndarray = np.array([i.get("class_id", 0) for i in items], np.float32)
            arrays = (xyxy, conf, cls)
        self.xyxy, self.conf, self.cls = arrays
        self.xywh = np.concatenate(
            ((self.xyxy[:, :2] + self.xyxy[:, 2:]) / 2, self.xyxy[:, 2:] - self.xyxy[:, :2]), 1
        )

    def __len__(self) -> int:
        return len(self.conf)

    def __getitem__(self, mask: np.ndarray) -> _Boxes:
        return _Boxes(arrays=(self.xyxy[mask], self.conf[mask], self.cls[mask]))
