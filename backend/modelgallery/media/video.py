"""Videos: the upload check (`probe_video`) and a reader that streams frames one at a time,
both through OpenCV's FFmpeg backend. Nothing here holds more than one frame: a long video
costs time, never memory."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .sniff import MediaError

MAX_SIDE = 4096
# A job must finish within its model's timeout_s (1800 s for object detection): 10 minutes
# of 30 fps video is 18,000 frames, 100 ms each at most.
MAX_DURATION_S = 10 * 60
_DEFAULT_FPS = 25.0  # when the container states no usable rate
_MAX_FPS = 240.0


@dataclass(frozen=True)
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int  # as the container states it; 0 when it does not say
    codec: str

    @property
    def duration_s(self) -> float | None:
        return self.frames / self.fps if self.frames > 0 else None


def probe_video(path: Path, label: str = "video") -> VideoInfo:
    """Prove that the video decodes (its first frame) and is within the limits. Raises
    MediaError with a message for people; `label` names the file, e.g. "MP4 video"."""
    with open_video(path, label) as video:
        info = video.info
    if info.width > MAX_SIDE or info.height > MAX_SIDE:
        raise MediaError(
            f"The {label} is {info.width}x{info.height} pixels; {MAX_SIDE} pixels a side at most."
        )
    duration = info.duration_s
    if duration is not None and duration > MAX_DURATION_S:
        minutes = MAX_DURATION_S // 60
        raise MediaError(
            f"The {label} lasts {duration / 60:.1f} minutes; videos of up to {minutes} minutes "
            "can be processed."
        )
    return info


def open_video(path: Path, label: str = "video") -> VideoReader:
    return VideoReader(path, label)


class VideoReader:
    """Opens the video and decodes its first frame at once (so a broken file fails here,
    not mid-job); iterating yields BGR uint8 frames, each decoded when asked for; `timed()`
    yields each with the time it shows at."""

    def __init__(self, path: Path, label: str = "video") -> None:
        import cv2

        self._cv2 = cv2
        self._capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self._capture.isOpened():
            self._capture.release()
            raise MediaError(f"The {label} is damaged or uses a format that cannot be decoded.")
        ok, first = self._capture.read()
        if not ok or first is None or first.size == 0:
            self._capture.release()
            raise MediaError(f"The {label} has no frame that can be decoded.")
        self._first: Any = first
        self._first_s = self._position_s()
        height, width = first.shape[:2]
        frames = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        fourcc = int(self._capture.get(cv2.CAP_PROP_FOURCC))
        self.info = VideoInfo(
            width=width,
            height=height,
            fps=usable_fps(self._capture.get(cv2.CAP_PROP_FPS)),
            frames=int(frames) if math.isfinite(frames) and frames > 0 else 0,
            codec=_fourcc_text(fourcc),
        )

    def __iter__(self) -> Iterator[Any]:
        for frame, _ in self.timed():
            yield frame

    def timed(self) -> Iterator[tuple[Any, float]]:
        """Each frame with its presentation time in seconds (the container's timestamp, from
        the stream's start): a player shows it then, whether the frame rate is constant or
        not."""
        if self._first is not None:
            first, self._first = self._first, None
            yield first, self._first_s
        while True:
            ok, frame = self._capture.read()
            if not ok:
                return
            yield frame, self._position_s()

    def _position_s(self) -> float:
        """The time of the frame last read."""
        ms = float(self._capture.get(self._cv2.CAP_PROP_POS_MSEC))
        return ms / 1000 if math.isfinite(ms) and ms >= 0 else 0.0

    def close(self) -> None:
        self._first = None
        self._capture.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType
    ) -> None:
        self.close()


def usable_fps(fps: float) -> float:
    return float(fps) if math.isfinite(fps) and 0 < fps <= _MAX_FPS else _DEFAULT_FPS


def _fourcc_text(code: int) -> str:
    if not 0 < code < 2**32:
        return "unknown"
    text = code.to_bytes(4, "little").decode("ascii", "replace")
    return text.strip("\x00 ") or "unknown"
