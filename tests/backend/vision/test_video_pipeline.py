"""The video path runs decoding, the model and encoding at once (threads joined by small
queues): the output is what one frame after the other gives, a few frames at most are held,
and a failure anywhere (the model, the encoder, the decoder, cancellation) comes out as
itself with no thread left behind. The family here finds a moving white square and draws
its own way, so its annotated video is encoded while the job runs (the families that draw
with `media.annotate` leave it for later: test_video_playback.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelgallery.media import video as media_video
from modelgallery.media.video import open_video
from modelgallery.vision.model import InputItem, JobCancelled, Result
from modelgallery.vision.pipelines import handoff
from modelgallery.vision.pipelines import video as pipeline_video
from modelgallery.vision.pipelines.image import Item
from modelgallery.vision.pipelines.video import VideoPipeline
from modelgallery.vision.pipelines.webm import WebmWriter
from modelgallery.vision.registry import load_registry
from modelgallery.vision.stages import STAGE_ORDER

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

FRAMES, FPS, WIDTH, HEIGHT, STEP = 24, 12.0, 128, 64, 4


class Square(VideoPipeline):
    """Finds the white square's centre; draws a cross on it. `fail_at`: infer raises on
    that frame; `seen`: called with each frame's index as infer takes it."""

    fail_at: int | None = None
    seen: Any = None

    def load(self) -> None:
        self.calls = 0

    def infer(self, image: Any, settings: Any) -> list[Item]:
        index, self.calls = self.calls, self.calls + 1
        if self.seen is not None:
            self.seen(index)
        if index == self.fail_at:
            raise RuntimeError(f"the model failed on frame {index}")
        ys, xs = np.nonzero(image.max(axis=2) > 128)
        return [{"label": "square", "x": round(float(xs.mean()), 1), "y": float(ys.mean())}]

    def draw(self, image: Any, items: list[Item]) -> Any:
        out = image.copy()
        for item in items:
            cv2.drawMarker(out, (int(item["x"]), int(item["y"])), (0, 0, 255))
        return out


REGISTRY = """
[models.square]
title = "White square"
task = "test"
family = "tests.backend.vision.test_video_pipeline:Square"
group = "cpu"
"""


def make_model(folder: Path, options: dict[str, Any] | None = None) -> Square:
    path = folder / "models.toml"
    path.write_text(REGISTRY)
    spec = load_registry(path, folder).models["square"]
    model = Square(spec.model_copy(update={"options": options or {}}))
    model.load()
    return model


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A white square moving right STEP pixels a frame."""
    path = tmp_path_factory.mktemp("clip") / "square.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT))
    for n in range(FRAMES):
        frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        frame[24:40, 8 + STEP * n : 24 + STEP * n] = 255
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def no_threads_left() -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    left = [t.name for t in threading.enumerate() if t not in before and t.is_alive()]
    assert left == []


def run(model: Square, clip: Path, outdir: Path, progress: Any = None) -> Result:
    outdir.mkdir(exist_ok=True)
    item = InputItem(path=clip, name=clip.name, media_type="video/mp4", kind="video")
    return model.predict([item], {}, outdir, progress or (lambda fraction, message: None))


@pytest.mark.parametrize("max_side", [None, 64], ids=["source-size", "scaled-down"])
def test_frames_come_out_in_order_as_one_after_the_other_would_give(
    clip: Path, tmp_path: Path, max_side: int | None, no_threads_left: None
) -> None:
    model = make_model(tmp_path, {"video_max_side": max_side} if max_side else {})
    fractions: list[float] = []
    result = run(model, clip, tmp_path / "out", lambda f, message: fractions.append(f))

    # The same records as running the model on each decoded frame in turn.
    reference = make_model(tmp_path)
    with open_video(clip) as frames:
        expected = [
            {"frame": n, "time_s": round(n / FPS, 3), "detections": reference.infer(frame, {})}
            for n, frame in enumerate(frames)
        ]
    lines = (tmp_path / "out" / "detections.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == expected
    assert [r["detections"][0]["x"] for r in expected] == pytest.approx(
        [16 + STEP * n - 0.5 for n in range(FRAMES)], abs=1.5
    )
    assert result.summary["frames"] == FRAMES
    assert fractions == sorted(fractions)

    webm = cv2.VideoCapture(str(tmp_path / "out" / "annotated.webm"))
    size = (WIDTH, HEIGHT) if max_side is None else (64, 32)
    assert (webm.get(cv2.CAP_PROP_FRAME_WIDTH), webm.get(cv2.CAP_PROP_FRAME_HEIGHT)) == size
    decoded = 0
    while webm.read()[0]:
        decoded += 1
    webm.release()
    assert decoded == FRAMES
    assert set(result.stages) == set(STAGE_ORDER)


def test_the_decoder_stays_a_few_frames_ahead(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_threads_left: None
) -> None:
    """Frames in memory stay bounded however long the video: the decoder waits for the
    model, the model for the encoder."""
    decoded, written, lags = [0], [0], []
    reader_timed = media_video.VideoReader.timed
    writer_write = WebmWriter.write

    def counting_timed(self: Any) -> Iterator[Any]:
        for frame in reader_timed(self):
            decoded[0] += 1
            yield frame

    def counting_write(self: WebmWriter, frame: Any) -> None:
        writer_write(self, frame)
        written[0] += 1

    monkeypatch.setattr(media_video.VideoReader, "timed", counting_timed)
    monkeypatch.setattr(WebmWriter, "write", counting_write)
    model = make_model(tmp_path)
    model.seen = lambda index: lags.append((decoded[0] - index, index - written[0]))
    run(model, clip, tmp_path / "out")
    bound = handoff.QUEUE_SIZE + 2  # a full queue, one frame held on either side
    assert max(ahead for ahead, _ in lags) <= bound
    assert max(behind for _, behind in lags) <= bound


def test_a_model_error_stops_the_pipeline(
    clip: Path, tmp_path: Path, no_threads_left: None
) -> None:
    model = make_model(tmp_path)
    model.fail_at = 5
    with pytest.raises(RuntimeError, match="the model failed on frame 5"):
        run(model, clip, tmp_path / "out")
    assert model.calls == 6


def test_cancelling_stops_the_pipeline(clip: Path, tmp_path: Path, no_threads_left: None) -> None:
    def progress(fraction: float, message: str) -> None:
        if message.startswith("frame 4 "):
            raise JobCancelled()

    model = make_model(tmp_path)
    with pytest.raises(JobCancelled):
        run(model, clip, tmp_path / "out", progress)
    assert model.calls == 3


def test_an_encoder_error_comes_out_as_itself(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_threads_left: None
) -> None:
    class EncoderBroke(Exception):
        pass

    def broken(self: WebmWriter, frame: Any) -> None:
        raise EncoderBroke("no space left on the device")

    monkeypatch.setattr(WebmWriter, "write", broken)
    with pytest.raises(EncoderBroke):
        run(make_model(tmp_path), clip, tmp_path / "out")


def test_a_decoder_error_comes_out_as_itself(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_threads_left: None
) -> None:
    reader_timed = media_video.VideoReader.timed

    def failing_timed(self: Any) -> Iterator[Any]:
        for n, frame in enumerate(reader_timed(self)):
            if n == 7:
                raise OSError("the disk went away")
            yield frame

    monkeypatch.setattr(media_video.VideoReader, "timed", failing_timed)
    with pytest.raises(OSError, match="the disk went away"):
        run(make_model(tmp_path), clip, tmp_path / "out")


def test_too_long_a_video_stops_the_pipeline(
    clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_threads_left: None
) -> None:
    monkeypatch.setattr(pipeline_video, "MAX_DURATION_S", 1)  # 12 frames at 12 fps, and one
    model = make_model(tmp_path)
    with pytest.raises(ValueError, match="the video lasts more than"):
        run(model, clip, tmp_path / "out")
    assert model.calls == 13
