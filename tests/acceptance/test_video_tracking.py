"""Tracking on the real sample video (people_movement.mp4, 182 frames): YOLOv8n (TFLite) finds
the people, ByteTrack follows them, and each is counted once. Looked at frame by frame (the
annotated WebM draws each box's track id): a man in a white shirt walks in from the left and
out at the back (one track, about 0.4 to 5.7 s), his reflection in the TV screen is detected
for about half a second (a track of its own), and a second man walks in from the right in
the last half second: 3 person tracks, 2 people. The test allows 2 to 4."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.model import InputItem
from tests.acceptance.conftest import loaded

pytestmark = pytest.mark.slow
cv2 = pytest.importorskip("cv2")

FRAMES = 182


def predict(model: Any, video: Path, params: dict[str, Any], outdir: Path) -> Any:
    outdir.mkdir()
    item = InputItem(video, video.name, "video/mp4", "video")
    result = model.predict([item], params, outdir, lambda fraction, message: None)
    lines = (outdir / "detections.jsonl").read_text().splitlines()
    return result.summary, [json.loads(line) for line in lines]


def test_each_person_walking_past_counts_once(
    specs: dict[str, Any], samples: Path, tmp_path: Path
) -> None:
    model = loaded(specs["object-detection"])
    summary, frames = predict(model, samples / "people_movement.mp4", {}, tmp_path / "out")

    assert summary["frames"] == len(frames) == FRAMES
    detections = [d for f in frames for d in f["detections"]]
    assert detections and all(isinstance(d["track_id"], int) for d in detections)
    people = [t for t in summary["tracks"] if t["label"] == "person"]
    print(f"\nunique: {summary['unique']}; person tracks: {people}")
    assert 2 <= summary["unique"]["person"] <= 4  # 2 people and a reflection
    assert summary["unique"]["person"] == len(people)
    assert summary["counts"]["person"] <= summary["unique"]["person"]
    walker = max(people, key=lambda t: t["frames"])  # the man walking the whole way
    assert walker["frames"] > 120 and walker["last_s"] - walker["first_s"] > 4
    assert all(t["frames"] >= summary["tracking"]["min_frames"] for t in summary["tracks"])
    person_line = summary["timeline"]["counts"]["person"]
    assert summary["timeline"]["bucket_s"] == 0.1 and len(person_line) == 62
    assert max(person_line) == summary["counts"]["person"]

    webm = cv2.VideoCapture(str(tmp_path / "out" / "annotated.webm"))
    decoded = 0
    while webm.read()[0]:
        decoded += 1
    webm.release()
    assert decoded == FRAMES


def test_tracking_off_gives_the_counts_without_ids(
    specs: dict[str, Any], samples: Path, tmp_path: Path
) -> None:
    """The classic YOLOv5n at 320 px keeps this quick; its detections do not depend on
    tracking, so the per-frame counts are the same either way."""
    model = loaded(specs["yolov5-classic"].model_copy(update={"options": {"imgsz": 320}}))
    sample = samples / "people_movement.mp4"
    tracked, _ = predict(model, sample, {"track": True}, tmp_path / "on")
    summary, frames = predict(model, sample, {"track": False}, tmp_path / "off")

    assert len(frames) == summary["frames"] == FRAMES
    assert all("track_id" not in d for f in frames for d in f["detections"])
    assert not {"unique", "unique_are", "tracks", "tracking"} & set(summary)
    assert summary["counts_are"] == "the most objects of each class seen in one frame"
    for key in ("counts", "detections", "frames_with", "timeline"):
        assert summary[key] == tracked[key]
    assert tracked["unique"]["person"] >= 1
