"""A video job of a family that draws with `media.annotate` encodes nothing while it runs
when browsers play the upload (the result page plays it and draws the boxes over it), and
re-encodes it without boxes when they cannot; either way its annotated WebM is drawn after
the job by a process of its own, at the lowest priority, or when a download asks for it
first. The family here finds a moving white square, as a box."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

import pytest

from modelgallery.media import deferred_video
from modelgallery.media.annotate import annotate
from modelgallery.media.video import open_video
from modelgallery.vision.declarations import ResultKind
from modelgallery.vision.model import InputItem, Result
from modelgallery.vision.pipelines.image import Item
from modelgallery.vision.pipelines.playback import browser_playable
from modelgallery.vision.pipelines.video import VideoPipeline
from modelgallery.vision.pipelines.webm import WebmWriter
from modelgallery.vision.registry import load_registry

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")
pytest.importorskip("av")

FRAMES, FPS, WIDTH, HEIGHT, STEP = 24, 12.0, 192, 96, 5
DRAWN_WITHIN_S = 120  # how long the background drawing may take on a busy machine


class BoxedSquare(VideoPipeline):
    """The white square as a detection, drawn by `media.annotate`."""

    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **VideoPipeline.result_kinds,
        "image": "detections",
    }
    draws_result_kind: ClassVar[bool] = True

    def load(self) -> None:
        pass

    def infer(self, image: Any, settings: Any) -> list[Item]:
        ys, xs = np.nonzero(image.max(axis=2) > 128)
        box = [float(xs.min()), float(ys.min()), float(xs.max()), float(ys.max())]
        return [{"label": "square", "class_id": 0, "confidence": 0.9, "box": box}]

    def draw(self, image: Any, items: list[Item]) -> Any:
        return annotate(image, "detections", items)


REGISTRY = """
[models.boxed]
title = "White square"
task = "test"
family = "tests.backend.vision.test_video_playback:BoxedSquare"
group = "cpu"
"""


def square(n: int) -> Any:
    frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    frame[40:72, 10 + STEP * n : 42 + STEP * n] = 255
    return frame


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The moving square as VP9 in WebM (browsers play it) and as MPEG-4 Part 2 in MP4
    (they do not)."""
    folder = tmp_path_factory.mktemp("clips")
    with WebmWriter(folder / "square.webm", FPS, (WIDTH, HEIGHT)) as webm:
        for n in range(FRAMES):
            webm.write(square(n))
    writer = cv2.VideoWriter(
        str(folder / "square.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (WIDTH, HEIGHT)
    )
    for n in range(FRAMES):
        writer.write(square(n))
    writer.release()
    return {"video/webm": folder / "square.webm", "video/mp4": folder / "square.mp4"}


def run(folder: Path, clip: Path, media_type: str) -> tuple[Result, Path]:
    path = folder / "models.toml"
    path.write_text(REGISTRY)
    model = BoxedSquare(load_registry(path, folder).models["boxed"])
    model.load()
    outdir = folder / "out"
    outdir.mkdir()
    item = InputItem(path=clip, name=clip.name, media_type=media_type, kind="video")
    return model.predict([item], {}, outdir, lambda fraction, message: None), outdir


def frames_of(path: Path) -> list[Any]:
    with open_video(path) as video:
        return list(video)


def wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + DRAWN_WITHIN_S
    while not path.is_file():
        assert time.monotonic() < deadline, f"{path.name} was not drawn"
        time.sleep(0.1)


def assert_annotated(annotated: Path, source: Path, outdir: Path) -> None:
    """Every frame, with that frame's boxes: closer to the source with its boxes drawn than
    to the source alone (VP9 is lossy)."""
    drawn, plain = frames_of(annotated), frames_of(source)
    lines = [json.loads(line) for line in (outdir / "detections.jsonl").read_text().splitlines()]
    assert len(drawn) == len(plain) == len(lines) == FRAMES
    for n in (0, FRAMES // 2, FRAMES - 1):
        expected = annotate(plain[n], "detections", lines[n]["detections"])
        to_expected = np.abs(drawn[n].astype(int) - expected).mean()
        assert to_expected < np.abs(drawn[n].astype(int) - plain[n]).mean() / 3


def test_an_upload_browsers_play_is_not_encoded_while_the_job_runs(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    result, outdir = run(tmp_path, clips["video/webm"], "video/webm")
    assert result.summary["plays"] == "input"
    assert {(a.name, a.deferred) for a in result.artifacts} == {
        ("detections.jsonl", False),
        ("summary.json", False),
        ("annotated.webm", True),
    }
    assert not {"encoding", "drawing"} & set(result.stages)
    lines = [json.loads(line) for line in (outdir / "detections.jsonl").read_text().splitlines()]
    # each frame's time is the upload's own timestamp: when a player shows it
    assert [r["time_s"] for r in lines] == [round(n / FPS, 3) for n in range(FRAMES)]
    assert lines[3]["detections"][0]["box"][0] == 10 + STEP * 3

    # drawn after the job, in the background, whole or not at all
    wait_for_file(outdir / "annotated.webm")
    assert_annotated(outdir / "annotated.webm", clips["video/webm"], outdir)
    assert sorted(p.name for p in outdir.iterdir() if p.name.endswith(".webm")) == [
        "annotated.webm"
    ]


def test_an_upload_browsers_cannot_play_is_reencoded_without_boxes(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    result, outdir = run(tmp_path, clips["video/mp4"], "video/mp4")
    assert result.summary["plays"] == "preview.webm"
    artifacts = {a.name: a for a in result.artifacts}
    assert artifacts["preview.webm"].role == "preview" and not artifacts["preview.webm"].deferred
    assert artifacts["annotated.webm"].deferred
    preview, source = frames_of(outdir / "preview.webm"), frames_of(clips["video/mp4"])
    assert len(preview) == FRAMES
    for n in (0, FRAMES - 1):  # the picture without boxes: the page draws them over it
        assert np.abs(preview[n].astype(int) - source[n]).mean() < 3
    lines = [json.loads(line) for line in (outdir / "detections.jsonl").read_text().splitlines()]
    assert [r["time_s"] for r in lines] == [round(n / FPS, 3) for n in range(FRAMES)]
    wait_for_file(outdir / "annotated.webm")
    assert_annotated(outdir / "annotated.webm", clips["video/mp4"], outdir)


@pytest.fixture
def finished(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A finished job whose annotated video nobody drew yet: (its upload, its folder)."""
    monkeypatch.setattr(deferred_video, "start_in_background", lambda *args: None)
    _, outdir = run(tmp_path, clips["video/webm"], "video/webm")
    return clips["video/webm"], outdir


async def test_a_download_draws_it_or_is_told_to_come_back(finished: tuple[Path, Path]) -> None:
    source, outdir = finished
    target = outdir / "annotated.webm"
    with pytest.raises(deferred_video.StillDrawing, match="please try again in a minute"):
        await deferred_video.draw(source, target, "video-detections", wait_s=0)
    await deferred_video.settle()  # the drawing went on without the download
    assert target.is_file()
    drawn = target.stat().st_mtime_ns
    # asked again: the drawing process finds it drawn and leaves it
    await deferred_video.draw(source, target, "video-detections")
    assert target.stat().st_mtime_ns == drawn
    assert_annotated(target, source, outdir)


async def test_a_drawing_that_fails_says_why(finished: tuple[Path, Path]) -> None:
    source, outdir = finished
    (outdir / "detections.jsonl").write_text("not json\n")
    with pytest.raises(ValueError, match="the annotated video in .* was not drawn: Expecting"):
        await deferred_video.draw(source, outdir / "annotated.webm", "video-detections")
    assert not [p for p in outdir.iterdir() if p.suffix == ".webm"]


def test_a_job_deleted_meanwhile_ends_the_drawing_quietly(tmp_path: Path) -> None:
    line = deferred_video.command(tmp_path / "in.mp4", tmp_path / "gone", "video-detections", True)
    done = subprocess.run(line, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")


def test_what_browsers_play_as_it_is(
    clips: dict[str, Path], samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = samples / "people_movement.mp4"  # H.264 High, yuv420p, with AAC sound
    assert browser_playable(sample, "video/mp4", "h264")
    assert not browser_playable(sample, "video/quicktime", "h264")  # served as a download
    assert browser_playable(clips["video/webm"], "video/webm", "VP90")
    assert not browser_playable(clips["video/mp4"], "video/mp4", "mp4v")
    # without PyAV: the video stream's FourCC as OpenCV reads it
    monkeypatch.setitem(sys.modules, "av", None)
    assert browser_playable(sample, "video/mp4", "avc1")
    assert browser_playable(clips["video/webm"], "video/webm", "VP90")
    assert not browser_playable(clips["video/mp4"], "video/mp4", "mp4v")
    assert not browser_playable(sample, "video/x-matroska", "h264")
