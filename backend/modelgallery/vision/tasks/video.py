"""The base of image models that also take videos: every frame goes through the family's
`infer` and `draw` as an image would, streamed from the decoder to the VP9 encoder one frame
at a time, with the items of each frame in `detections.jsonl` and the whole in
`summary.json`. A long video costs time, never memory."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, ClassVar

from ...media.video import MAX_DURATION_S, open_video
from ..model import InputItem, Output, Progress, Result, ResultKind
from .artifacts import Artifacts
from .image import ImageTask, Item
from .webm import WebmWriter

# The annotated WebM's longer side: 1080p sources keep their size (realtime VP9 encodes a
# 1080p frame in a fraction of the model's time); larger ones are scaled down to it.
_VIDEO_MAX_SIDE = 1920


class VideoTask(ImageTask):
    kinds: ClassVar[tuple[str, ...]] = ("image", "zip", "video")
    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **ImageTask.result_kinds,
        "video": "video-detections",
    }
    outputs: ClassVar[tuple[Output, ...]] = (
        *ImageTask.outputs,
        Output(name="annotated.webm", media_type="video/webm", role="annotated", when="video"),
        Output(
            name="detections.jsonl", media_type="application/x-ndjson", role="data", when="video"
        ),
        Output(name="summary.json", media_type="application/json", role="data", when="video"),
    )

    def label_of(self, item: Item) -> str | None:
        """What an item counts as in the video's statistics."""
        label = item.get("label")
        return label if isinstance(label, str) else None

    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        if not any(item.kind == "video" for item in inputs):
            return super().predict(inputs, params, outdir, progress)
        if len(inputs) > 1:
            raise ValueError("send a video on its own: one video per job, without other files")
        artifacts = Artifacts(outdir, self.outputs)
        summary = self._video(inputs[0], self.prepare(params), artifacts, progress)
        return Result(summary=summary, artifacts=artifacts.written())

    def _video(
        self, item: InputItem, settings: Any, artifacts: Artifacts, progress: Progress
    ) -> dict[str, Any]:
        import cv2

        progress(0.0, "opening the video")
        with open_video(item.path) as video:
            info = video.info
            total = info.frames
            max_frames = int(MAX_DURATION_S * info.fps) + 1
            size = _output_size(info.width, info.height, self.spec.options)
            stats = _VideoStats()
            started = time.perf_counter()
            with (
                WebmWriter(artifacts.path("annotated.webm"), info.fps, size) as writer,
                artifacts.path("detections.jsonl").open("w") as lines,
            ):
                for index, frame in enumerate(video):
                    of = f" of {max(total, index + 1)}" if total else ""
                    # up to 0.98: the encoder's flush and the read-back check come after
                    progress(0.98 * index / max(total, index + 1), f"frame {index + 1}{of}")
                    if index >= max_frames:
                        raise ValueError(
                            f"the video lasts more than {MAX_DURATION_S // 60} minutes"
                        )
                    items = self.infer(frame, settings)
                    stats.add(self.label_of(i) for i in items)
                    annotated = self.draw(frame, items)
                    if (annotated.shape[1], annotated.shape[0]) != size:
                        annotated = cv2.resize(annotated, size, interpolation=cv2.INTER_AREA)
                    writer.write(annotated)
                    record = {
                        "frame": index,
                        "time_s": round(index / info.fps, 3),
                        "detections": items,
                    }
                    lines.write(json.dumps(record, separators=(",", ":")) + "\n")
                progress(0.99, "finishing the annotated video")
            elapsed = time.perf_counter() - started

        if writer.frames == 0:
            raise ValueError("the video has no frame that can be decoded")
        summary = {
            "file": item.name,
            "width": info.width,
            "height": info.height,
            "fps": round(info.fps, 3),
            "codec": info.codec,
            "frames": writer.frames,
            "duration_s": round(writer.frames / info.fps, 3),
            "output_size": list(size),
            **stats.summary(),
            "ms_per_frame": round(elapsed * 1000 / writer.frames, 1),
        }
        if total and writer.frames < total - 1:
            summary["warning"] = (
                f"the video ended after {writer.frames} of the {total} frames its header "
                "announces; the file may be truncated"
            )
        artifacts.write_json("summary.json", summary)
        return summary


class _VideoStats:
    """Per label: the most seen in one frame (`counts`: how many there are, as far as a
    detector without tracking can tell), every item summed over the frames (`detections`:
    one object counts once per frame it is in), and `frames_with` it."""

    def __init__(self) -> None:
        self.max_in_frame: dict[str, int] = {}
        self.total: dict[str, int] = {}
        self.frames_with: dict[str, int] = {}

    def add(self, labels: Any) -> None:
        counts: dict[str, int] = {}
        for label in labels:
            if label is not None:
                counts[label] = counts.get(label, 0) + 1
        for label, n in counts.items():
            self.max_in_frame[label] = max(self.max_in_frame.get(label, 0), n)
            self.total[label] = self.total.get(label, 0) + n
            self.frames_with[label] = self.frames_with.get(label, 0) + 1

    def summary(self) -> dict[str, Any]:
        order = sorted(self.max_in_frame, key=lambda k: (-self.frames_with[k], k))
        return {
            "counts": {k: self.max_in_frame[k] for k in order},
            "counts_are": "the most objects of each class seen in one frame",
            "detections": {k: self.total[k] for k in order},
            "frames_with": {k: self.frames_with[k] for k in order},
        }


def _output_size(width: int, height: int, options: dict[str, Any]) -> tuple[int, int]:
    """The annotated video's size: the source's, its longer side capped at
    `options.video_max_side`, and even (the encoder works on 2x2 chroma blocks)."""
    limit = int(options.get("video_max_side", _VIDEO_MAX_SIDE))
    scale = min(1.0, limit / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
