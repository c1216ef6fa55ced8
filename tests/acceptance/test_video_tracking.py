"""Tracking on the real sample video (people_movement.mp4, 182 frames): YOLOv8n (TFLite) finds
the people, ByteTrack follows them, and each is counted once. Looked at frame by frame (the
annotated WebM draws each box's track id): a man in a white shirt walks in from the left and
out at the back (one track, about 0.4 to 5.7 s), his reflection in the TV screen is detected
for about half a second (a track of its own), and a second man walks in from the right in
the last half second: 3 person tracks, 2 people. The test allows 2 to 4.

The sample is H.264 in MP4, which browsers play: the job encodes nothing, the result page
plays the upload with the boxes drawn over it, and the annotated WebM is drawn after the
job (test_detection.py downloads it through the API)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelgallery.vision.model import InputItem
from tests.acceptance.conftest import loaded
from tests.support.jobs import submit, wait_for
from tests.support.server import BackendServer

pytestmark = pytest.mark.slow
cv2 = pytest.importorskip("cv2")

FRAMES = 182
DRAWN_WITHIN_S = 300  # the background drawing, at the lowest priority on a busy machine


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

    assert summary["plays"] == "input"
    # each frame at the upload's own time: where the page draws its boxes
    sample = cv2.VideoCapture(str(samples / "people_movement.mp4"))
    times = []
    while sample.read()[0]:
        times.append(round(sample.get(cv2.CAP_PROP_POS_MSEC) / 1000, 3))
    sample.release()
    assert [f["time_s"] for f in frames] == times

    # drawn after the job, every frame of it
    webm = tmp_path / "out" / "annotated.webm"
    deadline = time.monotonic() + DRAWN_WITHIN_S
    while not webm.is_file():
        assert time.monotonic() < deadline, "the annotated video was not drawn"
        time.sleep(0.2)
    capture = cv2.VideoCapture(str(webm))
    decoded = 0
    while capture.read()[0]:
        decoded += 1
    capture.release()
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


@pytest.fixture(scope="module")
def http(vision_server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=vision_server.url, timeout=300) as client:
        yield client


def test_the_result_page_plays_the_upload_itself(http: httpx.Client, samples: Path) -> None:
    sample = samples / "people_movement.mp4"
    response = submit(
        http,
        model="object-detection",
        content=sample.read_bytes(),
        name="people.mp4",
        content_type="video/mp4",
        params={"track": False},
    )
    assert response.status_code == 202, response.text
    job = wait_for(http, response.json()["id"], timeout_s=300)
    assert job["status"] == "succeeded", job
    assert job["result"]["plays"] == "input"
    assert "encoding" not in job["timings"]["stages"]
    artifacts = {a["name"]: a for a in job["artifacts"]}
    assert artifacts["annotated.webm"]["deferred"] and "preview.webm" not in artifacts
    assert job["main_output"] == "annotated.webm"  # still the file people download
    # served as it came, in ranges, as a browser's <video> asks for it
    url = job["inputs"][0]["url"]
    whole = http.get(url)
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.content == sample.read_bytes()
    part = http.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.content == whole.content[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(whole.content)}"
