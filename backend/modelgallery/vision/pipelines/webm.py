"""Browser-playable WebM (VP9) from BGR frames: through PyAV at realtime settings, or
OpenCV's own writer when PyAV is not installed."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from ...media.video import usable_fps

if TYPE_CHECKING:
    import numpy as np

_WEBM_FOURCC = "VP90"  # VP9 in WebM plays in every current browser; OpenCV has no H.264 here
# The encoder's settings (PyAV, libvpx-vp9): cpu-used 8 is among libvpx's fastest realtime
# speeds (about 30 ms a 720p frame on 2 cores); crf 32 (of 0-63) keeps labels legible.
_VP9_CPU_USED = 8
_VP9_CRF = 32
_KEYFRAME_INTERVAL_S = 2.0  # a keyframe every 2 s: browsers seek to one
_MAX_RATE_DENOMINATOR = 1_000_000  # the float fps as the encoder's fraction


def fit(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """`frame` at `size` (width, height): as it is when it has that size already."""
    if (frame.shape[1], frame.shape[0]) == size:
        return frame
    import cv2

    resized: np.ndarray = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return resized


class WebmWriter:
    """Writes frames (BGR uint8, all of `size`, even sides) to a VP9 WebM (yuv420p) at the
    source's `fps`, one output frame per source frame. `close()` checks that the file
    reopens and returns the number of frames written.

    PyAV (libvpx-vp9 at realtime settings) encodes a 720p frame in tens of milliseconds;
    OpenCV's writer runs libvpx at its slowest setting (hundreds), with no way to pass it
    options, so it only serves when PyAV is not installed."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        if size[0] < 2 or size[1] < 2 or size[0] % 2 or size[1] % 2:
            raise ValueError(f"a WebM video needs even sides, not {size[0]}x{size[1]} pixels")
        self.path = path
        self.size = size
        self.fps = usable_fps(fps)
        self.frames = 0
        try:
            import av  # noqa: F401
        except ImportError:
            self._encoder: _PyAvEncoder | _OpenCvEncoder | None = _OpenCvEncoder(
                path, self.fps, size
            )
        else:
            self._encoder = _PyAvEncoder(path, self.fps, size)

    def write(self, frame: np.ndarray) -> None:
        if (frame.shape[1], frame.shape[0]) != self.size:
            raise ValueError("every frame of a video must have the same size")
        if self._encoder is None:
            raise ValueError("the video is closed")
        self._encoder.write(frame, self.frames)
        self.frames += 1

    def close(self) -> int:
        if self._encoder is None:
            return self.frames
        encoder, self._encoder = self._encoder, None
        encoder.close()  # flushes the encoder's buffered frames
        import cv2

        check = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
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
        elif self._encoder is not None:  # failing anyway: release without the read-back check
            encoder, self._encoder = self._encoder, None
            encoder.abort()


class _PyAvEncoder:
    """libvpx-vp9 through PyAV. Realtime deadline and a high cpu-used trade a little
    compression for speed; constant quality (crf, no bitrate target) keeps busy scenes
    legible; no look-ahead, so the encoder holds no queue of frames."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        import av

        self._av = av
        rate = Fraction(fps).limit_denominator(_MAX_RATE_DENOMINATOR)
        self._container = av.open(str(path), mode="w", format="webm")
        try:
            stream = self._container.add_stream(
                "libvpx-vp9",
                rate=rate,
                options={
                    "deadline": "realtime",
                    "cpu-used": str(_VP9_CPU_USED),
                    "row-mt": "1",
                    "tile-columns": "2",  # log2: up to 4 tile columns, for the threads
                    "lag-in-frames": "0",
                    "crf": str(_VP9_CRF),
                    "b": "0",  # with crf: constant quality, no bitrate target
                },
            )
            stream.width, stream.height = size
            stream.pix_fmt = "yuv420p"
            stream.codec_context.time_base = 1 / rate
            stream.codec_context.gop_size = max(1, round(fps * _KEYFRAME_INTERVAL_S))
            stream.codec_context.thread_count = _encoder_threads()
        except Exception:
            self._container.close()
            raise
        self._stream = stream

    def write(self, frame: np.ndarray, index: int) -> None:
        picture = self._av.VideoFrame.from_ndarray(frame, format="bgr24")
        picture = picture.reformat(format="yuv420p")
        picture.pts = index
        self._container.mux(self._stream.encode(picture))

    def close(self) -> None:
        try:
            self._container.mux(self._stream.encode(None))
        finally:
            self._container.close()

    def abort(self) -> None:
        self._container.close()


class _OpenCvEncoder:
    """OpenCV's own VP9 writer: slow (libvpx at its best-quality deadline), the fallback
    when PyAV is missing."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int]) -> None:
        import cv2

        self._writer = cv2.VideoWriter(
            str(path), cv2.CAP_FFMPEG, cv2.VideoWriter.fourcc(*_WEBM_FOURCC), fps, size
        )
        if not self._writer.isOpened():
            raise ValueError(f"cannot write a WebM video of {size[0]}x{size[1]} pixels")

    def write(self, frame: np.ndarray, index: int) -> None:
        self._writer.write(frame)

    def close(self) -> None:
        self._writer.release()

    def abort(self) -> None:
        self._writer.release()


def _encoder_threads() -> int:
    """The worker's thread budget (as the models use it), at most what VP9 row-mt uses."""
    budget = os.environ.get("OMP_NUM_THREADS", "")
    threads = int(budget) if budget.isdigit() else (os.cpu_count() or 1)
    return max(1, min(threads, 8))
