"""The base of image models that also take videos: every frame goes through the family's
`infer` as an image would, while the next frames are decoded on a thread of their own
(`handoff.Handoff`), with the items of each frame in `detections.jsonl` and the whole in
`summary.json`. A few frames at most are in flight: a long video costs time, never memory.
Families with a `track` parameter follow their items across frames (`tracking.Tracker`) and
count each object once.

Nothing is encoded while the job runs when a browser plays the upload as it is
(`playback.browser_playable`): the result page plays it and draws each frame's boxes over
it, and the job ends when the detections are written. Other uploads are re-encoded to VP9
(`preview.webm`, without boxes: the page draws them over it as over any other) on an
encoder thread beside the model. The annotated WebM that people download is drawn after the
job, at the lowest priority (`media.deferred_video`), for families that draw with
`media.annotate`; a family that draws its own way still encodes it during the job, and the
page plays that one as it is."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from ...media import deferred_video
from ...media.video import MAX_DURATION_S, VideoInfo, open_video
from ..declarations import Output, ResultKind
from ..model import InputItem, Progress, Result
from ..params import with_defaults
from ..stages import Stages
from .artifacts import Artifacts
from .handoff import Handoff
from .image import ImagePipeline, Item, S
from .playback import browser_playable
from .timeline import VideoStats
from .tracking import Tracker
from .webm import WebmWriter, fit

if TYPE_CHECKING:
    import numpy as np

# The annotated WebM's longer side: 1080p sources keep their size (realtime VP9 encodes a
# 1080p frame in a fraction of the model's time); larger ones are scaled down to it.
_VIDEO_MAX_SIDE = 1920
_T = TypeVar("_T")
# What the result page plays: the upload itself, its re-encoding without boxes, or the
# annotated video of a family that draws its own way (then no boxes are drawn over it).
Plays = Literal["input", "preview.webm", "annotated.webm"]


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
            name="preview.webm",
            media_type="video/webm",
            role="preview",
            when="video",
            description="Your video re-encoded for web browsers, which cannot play the "
            "upload itself (WebM, without boxes: the page draws them over it)",
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

    def plays(self, item: InputItem, info: VideoInfo) -> Plays:
        """What the result page will play (see the module's docstring)."""
        if not self.defers_video():
            return "annotated.webm"
        playable = browser_playable(item.path, item.media_type, info.codec)
        return "input" if playable else "preview.webm"

    def defers_video(self) -> bool:
        """Whether the annotated video is drawn after the job: the family draws its boxes
        with `media.annotate` (as `draws_result_kind` says), as the drawing process does."""
        return (
            self.draws_result_kind
            and self.result_kinds.get("image") == "detections"
            and deferred_video.can_draw(self.result_kinds.get("video", "generic"))
        )

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
            plays = self.plays(item, info)
            stats = VideoStats()
            tracker = Tracker(info.fps) if track else None
            frames_done = 0
            started = time.perf_counter()
            with (
                _Encoder(artifacts, plays, info.fps, size, stages) as encoder,
                artifacts.path("detections.jsonl").open("w") as lines,
                Handoff() as handoff,
            ):
                # Decoding and encoding run on threads of their own (both release the GIL
                # for most of their work); the model stays on this thread.
                frames = handoff.source("video-decode", _timed(video.timed(), stages, "decode"))
                write = handoff.sink("video-encode", encoder.write) if encoder.on else None
                for index, (frame, shown_s) in enumerate(frames):
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
                    if write is not None and plays == "annotated.webm":
                        with stages.time("drawing"):
                            frame = self.draw(frame, items)
                    if write is not None:
                        write(frame)
                    with stages.time("writing"):
                        # When the frame shows in the video the page plays: the upload's
                        # own timestamps, or the encoded file's steady rate.
                        at = shown_s if plays == "input" else index / info.fps
                        record = {"frame": index, "time_s": round(at, 3), "detections": items}
                        lines.write(json.dumps(record, separators=(",", ":")) + "\n")
                    frames_done = index + 1
                handoff.finish()
                progress(0.99, "finishing the video" if encoder.on else "writing the results")
            elapsed = time.perf_counter() - started

        if frames_done == 0:
            raise ValueError("the video has no frame that can be decoded")
        summary = {
            "file": item.name,
            "width": info.width,
            "height": info.height,
            "fps": round(info.fps, 3),
            "codec": info.codec,
            "frames": frames_done,
            "duration_s": round(frames_done / info.fps, 3),
            "output_size": list(size),
            "plays": plays,
            **stats.summary(),
            **(tracker.summary(stats.order()) if tracker else {}),
            "timeline": stats.timeline.summary(info.fps, stats.order()),
            "ms_per_frame": round(elapsed * 1000 / frames_done, 1),
            **self.result_facts(),
        }
        if total and frames_done < total - 1:
            summary["warning"] = (
                f"the video ended after {frames_done} of the {total} frames its header "
                "announces; the file may be truncated"
            )
        with stages.time("writing"):
            artifacts.write_json("summary.json", summary)
        if plays != "annotated.webm":
            artifacts.defer("annotated.webm")
            kind = self.result_kinds["video"]
            deferred_video.start_in_background(item.path, artifacts.outdir, kind)
        return summary


class _Encoder:
    """The WebM the job writes while it runs, if any (`plays`): frames go to `write` on the
    encoder thread; leaving the block flushes it (or drops it when the job failed)."""

    def __init__(
        self, artifacts: Artifacts, plays: Plays, fps: float, size: tuple[int, int], stages: Stages
    ) -> None:
        self.on = plays != "input"
        self._size = size
        self._stages = stages
        self._writer = WebmWriter(artifacts.path(plays), fps, size) if self.on else None

    def write(self, frame: np.ndarray) -> None:
        assert self._writer is not None
        with self._stages.time("encoding"):
            self._writer.write(fit(frame, self._size))

    def __enter__(self) -> _Encoder:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._writer is not None:
            with self._stages.time("encoding"):
                self._writer.__exit__(*exc_info)


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


def _output_size(width: int, height: int, options: dict[str, Any]) -> tuple[int, int]:
    """The annotated video's size: the source's, its longer side capped at
    `options.video_max_side`, and even (the encoder works on 2x2 chroma blocks)."""
    limit = int(options.get("video_max_side", _VIDEO_MAX_SIDE))
    scale = min(1.0, limit / max(width, height))
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
