"""The base of image models that also take videos: every frame goes through the family's
`infer` and `draw` as an image would, while the next frames are decoded and the previous
ones encoded to VP9 on threads of their own (`handoff.Handoff`), with the items of each
frame in `detections.jsonl` and the whole in `summary.json`. A few frames at most are in
flight: a long video costs time, never memory. Families with a `track` parameter follow their items
across frames (`tracking.Tracker`) and count each object once."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict, TypeVar

from ...media.video import MAX_DURATION_S, open_video
from ..declarations import Output, ResultKind
from ..model import InputItem, Progress, Result
from ..params import with_defaults
from ..stages import Stages
from .artifacts import Artifacts
from .handoff import Handoff
from .image import ImagePipeline, Item, S
from .timeline import Timeline
from .tracking import Tracker
from .webm import WebmWriter

if TYPE_CHECKING:
    import numpy as np

# The annotated WebM's longer side: 1080p sources keep their size (realtime VP9 encodes a
# 1080p frame in a fraction of the model's time); larger ones are scaled down to it.
_VIDEO_MAX_SIDE = 1920
_T = TypeVar("_T")


class VideoPipeline(ImagePipeline[S]):
    kinds: ClassVar[tuple[str, ...]] = ("image", "zip", "video")
    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **ImagePipeline.result_kinds,
        "video": "video-detections",
    }
    outputs: ClassVar[tuple[Output, ...]] = (
        *ImagePipeline.outputs,
        Output(
            name="annotated.webm",
            media_type="video/webm",
            role="annotated",
            when="video",
            description="Your video with the boxes drawn on every frame (WebM)",
        ),
        Output(
            name="detections.jsonl",
            media_type="application/x-ndjson",
            role="data",
            when="video",
            description="The boxes of every frame, one line of JSON per frame",
        ),
        Output(
            name="summary.json",
            media_type="application/json",
            role="data",
            when="video",
            description="Counts per class and the objects over time, as data (JSON)",
        ),
    )

    def label_of(self, item: Item) -> str | None:
        """What an item counts as in the video's statistics."""
        label = item.get("label")
        return label if isinstance(label, str) else None

    def tracks(self, params: dict[str, Any]) -> bool:
        """Whether a video job follows its items across frames: the family's `track`
        parameter, where it declares one."""
        declared = self.spec.params or self.params
        return "track" in declared and bool(with_defaults(declared, params)["track"])

    def predict(
        self, inputs: list[InputItem], params: dict[str, Any], outdir: Path, progress: Progress
    ) -> Result:
        if not any(item.kind == "video" for item in inputs):
            return super().predict(inputs, params, outdir, progress)
        if len(inputs) > 1:
            raise ValueError("send a video on its own: one video per job, without other files")
        artifacts = Artifacts(outdir, self.outputs)
        stages = Stages()
        settings, track = self.prepare(params), self.tracks(params)
        summary = self._video(inputs[0], settings, track, artifacts, progress, stages)
        return Result(summary=summary, artifacts=artifacts.written(), stages=stages.as_dict())

    def _video(
        self,
        item: InputItem,
        settings: S,
        track: bool,
        artifacts: Artifacts,
        progress: Progress,
        stages: Stages,
    ) -> dict[str, Any]:
        progress(0.0, "opening the video")
        with stages.time("decode"):
            video = open_video(item.path)
        with video:
            info = video.info
            total = info.frames
            max_frames = int(MAX_DURATION_S * info.fps) + 1
            size = _output_size(info.width, info.height, self.spec.options)
            stats = _VideoStats()
            tracker = Tracker(info.fps) if track else None
            started = time.perf_counter()
            with (
                WebmWriter(artifacts.path("annotated.webm"), info.fps, size) as writer,
                artifacts.path("detections.jsonl").open("w") as lines,
                Handoff() as handoff,
            ):

                def output(frame: tuple[int, np.ndarray, list[Item]]) -> None:
                    index, annotated, items = frame
                    with stages.time("encoding"):
                        if (annotated.shape[1], annotated.shape[0]) != size:
                            annotated = _resize(annotated, size)
                        writer.write(annotated)
                    with stages.time("writing"):
                        record = {
                            "frame": index,
                            "time_s": round(index / info.fps, 3),
                            "detections": items,
                        }
                        lines.write(json.dumps(record, separators=(",", ":")) + "\n")

                # Decoding and encoding run on threads of their own (both release the GIL
                # for most of their work); the model stays on this thread.
                frames = handoff.source("video-decode", _timed(video, stages, "decode"))
                write = handoff.sink("video-encode", output)
                for index, frame in enumerate(frames):
                    of = f" of {max(total, index + 1)}" if total else ""
                    # up to 0.98: the encoder's flush and the read-back check come after
                    progress(0.98 * index / max(total, index + 1), f"frame {index + 1}{of}")
                    if index >= max_frames:
                        raise ValueError(
                            f"the video lasts more than {MAX_DURATION_S // 60} minutes"
                        )
                    with stages.time("inference"):  # tracking, a fraction of it, included
                        items = self.infer(frame, settings)
                        if tracker is not None:
                            items = tracker.update(items)
                    stats.add(self.label_of(i) for i in items)
                    with stages.time("drawing"):
                        annotated = self.draw(frame, items)
                    write((index, annotated, items))
                handoff.finish()
                progress(0.99, "finishing the annotated video")
                with stages.time("encoding"):
                    writer.close()
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
            **(tracker.summary(stats.order()) if tracker else {}),
            "timeline": stats.timeline.summary(info.fps, stats.order()),
            "ms_per_frame": round(elapsed * 1000 / writer.frames, 1),
            **self.result_facts(),
        }
        if total and writer.frames < total - 1:
            summary["warning"] = (
                f"the video ended after {writer.frames} of the {total} frames its header "
                "announces; the file may be truncated"
            )
        with stages.time("writing"):
            artifacts.write_json("summary.json", summary)
        return summary


def _timed(items: Iterable[_T], stages: Stages, name: str) -> Iterator[_T]:
    """`items`, the time taken to produce each added to stage `name`."""
    iterator = iter(items)
    while True:
        with stages.time(name):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


def _resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


class VideoCounts(TypedDict):
    counts: dict[str, int]
    counts_are: str
    detections: dict[str, int]
    frames_with: dict[str, int]


class _VideoStats:
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


def _output_size(width: int, height: int, options: dict[str, Any]) -> tuple[int, int]:
    """The annotated video's size: the source's, its longer side capped at
    `options.video_max_side`, and even (the encoder works on 2x2 chroma blocks)."""
    limit = int(options.get("video_max_side", _VIDEO_MAX_SIDE))
    scale = min(1.0, limit / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
