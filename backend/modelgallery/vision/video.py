"""Videos through OpenCV's FFmpeg backend: the upload check (`probe_video`), a reader that
streams frames one at a time, and a writer of browser-playable WebM (VP9).

Nothing here holds more than one frame: a long video costs time, never memory."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from .media import MediaError

MAX_SIDE = 4096
MAX_DURATION_S = 30 * 60
_DEFAULT_FPS = 25.0  # when the container states no usable rate
_MAX_FPS = 240.0
_WEBM_FOURCC = "VP90"  # VP9 in WebM plays in every current browser; OpenCV has no H.264 here


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
        raise MediaError(f"The {label} lasts {duration / 60:.0f} minutes; {minutes} at most.")
    return info


def open_video(path: Path, label: str = "video") -> VideoReader:
    return VideoReader(path, label)


class VideoReader:
    """Opens the video and decodes its first frame at once (so a broken file fails here,
    not mid-job); iterating yields BGR uint8 frames, each decoded when asked for."""

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
        height, width = first.shape[:2]
        frames = self._capture.get(cv2.CAP_PROP_FRAME_COUNT)
        fourcc = int(self._capture.get(cv2.CAP_PROP_FOURCC))
        self.info = VideoInfo(
            width=width,
            height=height,
            fps=_usable_fps(self._capture.get(cv2.CAP_PROP_FPS)),
            frames=int(frames) if math.isfinite(frames) and frames > 0 else 0,
            codec=_fourcc_text(fourcc),
        )

    def __iter__(self) -> Iterator[Any]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        while True:
            ok, frame = self._capture.read()
            if not ok:
                return
            yield frame

    def close(self) -> None:
        self._first = None
        self._capture.release()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType
    ) -> None:
        self.close()


class WebmWriter:
    """Writes frames (BGR uint8, all of `size`) to a VP9 WebM at `fps`. `close()` checks
    that the file reopens and returns the number of frames written."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        import cv2

        self.path = path
        self.size = size
        self.fps = _usable_fps(fps)
        self.frames = 0
        self._cv2 = cv2
        self._writer = cv2.VideoWriter(
            str(path), cv2.CAP_FFMPEG, cv2.VideoWriter_fourcc(*_WEBM_FOURCC), self.fps, size
        )
        if not self._writer.isOpened():
            raise ValueError(f"cannot write a WebM video of {size[0]}x{size[1]} pixels")

    def write(self, frame: Any) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            raise ValueError("every frame of a video must have the same size")
        self._writer.write(frame)
        self.frames += 1

    def close(self) -> int:
        if self._writer is None:
            return self.frames
        self._writer.release()  # flushes the encoder's look-ahead frames
        self._writer = None
        check = self._cv2.VideoCapture(str(self.path), self._cv2.CAP_FFMPEG)
        try:
            if self.frames and not (check.isOpened() and check.read()[0]):
                raise ValueError("the annotated video was written but cannot be read back")
        finally:
            check.release()
        return self.frames

    def __enter__(self) -> WebmWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType
    ) -> None:
        if exc_type is None:
            self.close()
        elif self._writer is not None:  # failing anyway: release without the read-back check
            self._writer.release()
            self._writer = None


def _usable_fps(fps: float) -> float:
    return float(fps) if math.isfinite(fps) and 0 < fps <= _MAX_FPS else _DEFAULT_FPS


def _fourcc_text(code: int) -> str:
    if not 0 < code < 2**32:
        return "unknown"
    text = code.to_bytes(4, "little").decode("ascii", "replace")
    return text.strip("\x00 ") or "unknown"
