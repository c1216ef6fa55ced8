"""Object detection on the real weights of the offline mirror: YOLOv8n (TFLite, through
ultralytics) and a classic YOLOv5n checkpoint (our loader), in process and through the API,
on images, a ZIP and the sample video; memory stays flat as videos get longer."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
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
np = pytest.importorskip("numpy")

BUS = 810, 1080  # width, height


@pytest.fixture(scope="module")
def tflite(specs: dict[str, Any]) -> Any:
    return loaded(specs["object-detection"])


@pytest.fixture(scope="module")
def classic(specs: dict[str, Any]) -> Any:
    return loaded(specs["yolov5-classic"])


@pytest.fixture(scope="module")
def http(vision_server: BackendServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=vision_server.url, timeout=300) as client:
        yield client


def labels(items: list[dict[str, Any]]) -> list[str]:
    return [item["label"] for item in items]


def assert_bus_scene(items: list[dict[str, Any]], size: tuple[int, int] = BUS) -> None:
    assert labels(items).count("person") >= 4, items
    assert labels(items).count("bus") >= 1, items
    for item in items:
        x1, y1, x2, y2 = item["box"]
        assert 0 <= x1 < x2 <= size[0] and 0 <= y1 < y2 <= size[1], item
        assert 0 < item["confidence"] <= 1


# --- in process --------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["tflite", "classic"])
def test_finds_the_people_and_the_bus(which: str, request, samples: Path) -> None:
    model = request.getfixturevalue(which)
    image = cv2.imread(str(samples / "bus.jpg"))
    timings = []
    for _ in range(3):
        began = time.perf_counter()
        result = model.predict_image(image, {})
        timings.append((time.perf_counter() - began) * 1000)
    print(f"\n{which}: {min(timings):.0f} ms per bus.jpg (best of 3)")
    assert_bus_scene(result.items)
    assert result.summary["counts"]["person"] >= 4
    assert result.annotated.shape == image.shape
    assert (result.annotated != image).any()  # boxes were drawn


@pytest.mark.parametrize("which", ["tflite", "classic"])
def test_class_filter_and_confidence(which: str, request, samples: Path) -> None:
    model = request.getfixturevalue(which)
    image = cv2.imread(str(samples / "bus.jpg"))
    assert set(labels(model.predict_image(image, {"classes": ["bus"]}).items)) == {"bus"}
    assert set(labels(model.predict_image(image, {"classes": ["Person", "0"]}).items)) == {"person"}
    default = model.predict_image(image, {}).items
    everything = model.predict_image(image, {"conf": 0.01}).items
    confident = model.predict_image(image, {"conf": 0.9}).items
    assert len(confident) < len(default) < len(everything)
    assert all(item["confidence"] >= 0.9 for item in confident)
    with pytest.raises(ValueError, match="unknown class.*unicorn.*It detects: person, bicycle"):
        model.predict_image(image, {"classes": ["unicorn"]})
    with pytest.raises(ValueError, match=r"Minimum confidence \('conf'\) must be at most 0.99"):
        model.predict_image(image, {"conf": 1.5})
    with pytest.raises(ValueError, match=r"Box overlap allowed \('iou'\) must be at least 0.1"):
        model.predict_image(image, {"iou": 0})


def test_classic_loader_refuses_other_pickles(tmp_path: Path) -> None:
    import torch

    from modelgallery.vision.runtimes.yolov5_checkpoint import load_classic_yolov5

    class Payload:  # what a hostile checkpoint would smuggle in
        def __reduce__(self):
            return (print, ("this must never run",))

    path = tmp_path / "evil.pt"
    torch.save({"model": Payload()}, path)
    with pytest.raises(ValueError, match="not a YOLOv5 detection checkpoint.*it holds print;"):
        load_classic_yolov5(path)
    # plain values of training checkpoints unpickle (numpy numbers, a path), then no model
    extras = {"best_fitness": np.float64(0.5), "fitness": np.array([0.1, 0.2])}
    torch.save({"model": None, **extras, "save_dir": Path("/runs/exp")}, path)
    with pytest.raises(ValueError, match="holds no YOLOv5 model"):
        load_classic_yolov5(path)


# --- memory on long videos -------------------------------------------------------------


def build_video(sample: Path, path: Path, repeats: int, size: tuple[int, int]) -> int:
    """The sample's frames `repeats` times, resized, streamed from one file to the other."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 29.5, size)
    frames = 0
    for _ in range(repeats):
        capture = cv2.VideoCapture(str(sample))
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            writer.write(cv2.resize(frame, size, interpolation=cv2.INTER_AREA))
            frames += 1
        capture.release()
    writer.release()
    return frames


def peak_rss_during(model: Any, video: Path, outdir: Path) -> tuple[int, dict[str, Any]]:
    import psutil

    process, peak = psutil.Process(), 0

    def progress(fraction: float, message: str) -> None:
        nonlocal peak
        peak = max(peak, process.memory_info().rss)

    outdir.mkdir()
    item = InputItem(video, video.name, "video/mp4", "video")
    result = model.predict([item], {}, outdir, progress)
    return peak, result.summary


def test_memory_stays_flat_as_the_video_grows(
    specs: dict[str, Any], samples: Path, tmp_path: Path
) -> None:
    """The classic model at 320 px on small frames keeps this quick; the 10x figure comes
    from benchmarks/video_memory.py."""
    spec = specs["yolov5-classic"].model_copy(update={"options": {"imgsz": 320}})
    model = loaded(spec)
    size = (192, 108)
    short, long = tmp_path / "short.mp4", tmp_path / "long.mp4"
    assert build_video(samples / "people_movement.mp4", short, 1, size) == 182
    assert build_video(samples / "people_movement.mp4", long, 3, size) == 546

    peak_rss_during(model, short, tmp_path / "warm")  # first-use allocations happen here
    short_peak, short_summary = peak_rss_during(model, short, tmp_path / "short")
    long_peak, long_summary = peak_rss_during(model, long, tmp_path / "long")
    mib = 1024 * 1024
    print(f"\npeak RSS: 1x {short_peak / mib:.0f} MiB, 3x {long_peak / mib:.0f} MiB")
    assert (short_summary["frames"], long_summary["frames"]) == (182, 546)
    assert long_peak <= short_peak + max(0.15 * short_peak, 50 * mib)


# --- through the API ---------------------------------------------------------------------


def test_image_job_gives_boxes_and_an_annotated_image(http: httpx.Client, samples: Path) -> None:
    began = time.perf_counter()
    response = submit(
        http,
        model="object-detection",
        content=(samples / "bus.jpg").read_bytes(),
        name="bus.jpg",
        content_type="image/jpeg",
        wait=120,
    )
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "succeeded", job
    print(f"\nAPI bus.jpg: {elapsed:.0f} ms end to end, model {job['timings']['model_ms']:.0f} ms")
    result = job["result"]
    assert (result["width"], result["height"]) == BUS
    assert_bus_scene(result["items"])
    assert len(result["model_classes"]) == 80  # what it looked for: nothing else is seen
    artifacts = {a["name"]: a for a in job["artifacts"]}
    assert set(artifacts) == {"annotated.jpg", "result.json"}
    # The job answered with its items; its annotated image is drawn on first download.
    assert artifacts["annotated.jpg"]["deferred"] and artifacts["annotated.jpg"]["size"] == 0
    assert "drawing" not in job["timings"]["stages"]
    downloads = [http.get(artifacts["annotated.jpg"]["url"]) for _ in range(2)]
    for image in downloads:
        assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert downloads[0].content == downloads[1].content  # drawn once, then served
    decoded = cv2.imdecode(np.frombuffer(downloads[0].content, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (BUS[1], BUS[0], 3)
    assert json.loads(http.get(artifacts["result.json"]["url"]).content)["count"] >= 5


def test_the_model_says_what_it_can_find_and_shows_its_card(http: httpx.Client) -> None:
    listed = {m["name"]: m for m in http.get("/api/models").json()}
    for name in ("object-detection", "yolov5-classic"):
        model = listed[name]
        assert model["state"] == "loaded", model
        assert len(model["classes"]) == 80 and {"person", "bus"} <= set(model["classes"])
        assert model["card"]["license"].startswith("AGPL-3.0")
        assert any("80 classes" in text for text in model["card"]["limitations"])
    assert listed["skin-segmentation"]["classes"] is None
    assert listed["skin-segmentation"]["card"]["limitations"]


def test_parameters_are_checked(http: httpx.Client, samples: Path) -> None:
    bus = (samples / "bus.jpg").read_bytes()
    bad = submit(http, model="object-detection", content=bus, name="bus.jpg", params={"conf": 2})
    assert bad.status_code == 422
    assert bad.json()["detail"] == "Minimum confidence ('conf') must be at most 0.99"
    job = submit(
        http,
        model="object-detection",
        content=bus,
        name="bus.jpg",
        params={"classes": "bus,unicorn"},
        wait=120,
    ).json()
    assert job["status"] == "failed"
    assert job["error"].startswith("unknown class(es) for this model: unicorn.")
    only_bus = submit(
        http,
        model="yolov5-classic",
        content=bus,
        name="bus.jpg",
        params={"classes": "bus"},
        wait=120,
    ).json()
    assert only_bus["status"] == "succeeded", only_bus
    assert set(labels(only_bus["result"]["items"])) == {"bus"}


def test_video_job_streams_progress_and_gives_a_playable_webm(
    http: httpx.Client, samples: Path, tmp_path: Path
) -> None:
    sample = samples / "people_movement.mp4"
    began = time.perf_counter()
    response = submit(
        http,
        model="object-detection",
        content=sample.read_bytes(),
        name="people.mp4",
        content_type="video/mp4",
    )
    assert response.status_code == 202, response.text
    events = []
    with http.stream("GET", response.json()["links"]["events"]) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    elapsed_s = time.perf_counter() - began
    job = wait_for(http, response.json()["id"], timeout_s=60)
    assert job["status"] == "succeeded", job
    assert events[-1]["status"] == "succeeded" and events[-1]["progress"] == 1.0
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)
    frames_seen = [e["message"] for e in events if e["message"].startswith("frame ")]
    assert frames_seen and frames_seen[-1].endswith(" of 182"), frames_seen[-3:]
    assert int(frames_seen[-1].split()[1]) > 150  # the messages follow the video to its end

    artifacts = {a["name"]: a for a in job["artifacts"]}
    assert set(artifacts) == {"annotated.webm", "detections.jsonl", "summary.json"}
    assert artifacts["annotated.webm"]["media_type"] == "video/webm"
    webm = tmp_path / "annotated.webm"
    webm.write_bytes(http.get(artifacts["annotated.webm"]["url"]).content)
    capture = cv2.VideoCapture(str(webm))
    fps = capture.get(cv2.CAP_PROP_FPS)
    frames = 0
    while capture.read()[0]:
        frames += 1
    capture.release()
    assert frames == 182
    assert fps == pytest.approx(29.53, abs=0.01)
    av = pytest.importorskip("av")
    with av.open(str(webm)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "vp9"
        assert stream.average_rate == pytest.approx(29.53, abs=0.01)
        decoded = [(f.width, f.height, f.format.name) for f in container.decode(stream)]
    assert decoded == [(1280, 720, "yuv420p")] * 182

    lines = http.get(artifacts["detections.jsonl"]["url"]).text.splitlines()
    assert len(lines) == 182
    per_frame = [json.loads(line) for line in lines]
    assert [f["frame"] for f in per_frame] == list(range(182))
    with_person = sum(1 for f in per_frame if "person" in labels(f["detections"]))
    summary = job["result"]
    print(
        f"\nAPI video: {elapsed_s:.1f} s end to end, {summary['ms_per_frame']} ms/frame in the "
        f"model loop, person in {with_person} of 182 frames"
    )
    assert with_person > 91
    assert summary["frames"] == 182 and summary["frames_with"]["person"] == with_person
    assert summary["counts"]["person"] >= 1
    # tracked by default (tests/acceptance/test_video_tracking.py checks the counts)
    assert all(isinstance(d["track_id"], int) for f in per_frame for d in f["detections"])
    assert 1 <= summary["unique"]["person"] <= 4
    assert json.loads(http.get(artifacts["summary.json"]["url"]).content) == summary


def test_zip_of_images_gives_per_file_results(http: httpx.Client, samples: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.write(samples / "bus.jpg", "photos/bus.jpg")
        archive.write(samples / "zidane.jpg", "photos/zidane.jpg")
        archive.writestr("notes.txt", "not an image")
    job = submit(
        http,
        model="object-detection",
        content=buffer.getvalue(),
        name="photos.zip",
        content_type="application/zip",
        wait=120,
    ).json()
    assert job["status"] == "succeeded", job
    result = job["result"]
    assert (result["files"], result["succeeded"], result["failed"]) == (2, 2, 0)
    bus, zidane = result["per_file"]
    assert_bus_scene(bus["items"])
    assert labels(zidane["items"]).count("person") >= 2

    artifacts = {a["name"]: a for a in job["artifacts"]}
    assert {"001-bus.jpg", "002-zidane.jpg", "results.json", "summary.csv", "results.zip"} <= set(
        artifacts
    )
    rows = list(csv.DictReader(io.StringIO(http.get(artifacts["summary.csv"]["url"]).text)))
    assert [r["file"] for r in rows] == ["photos/bus.jpg", "photos/zidane.jpg"]
    assert int(rows[0]["count"]) >= 5 and "person=" in rows[0]["counts"]
    packed = zipfile.ZipFile(io.BytesIO(http.get(artifacts["results.zip"]["url"]).content))
    assert {"001-bus.jpg", "002-zidane.jpg", "results.json", "summary.csv"} <= set(
        packed.namelist()
    )


def test_legacy_routes(http: httpx.Client, samples: Path) -> None:
    response = http.post(
        "/api/predict_objectdetection",
        files={"file": ("bus.jpg", (samples / "bus.jpg").read_bytes(), "image/jpeg")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "succeeded"
    assert_bus_scene(body["result"]["items"])
    assert body["file_name"] == f"{body['id']}_annotated.jpg"
    exported = http.get(f"/api/export_objectdetection/{body['file_name']}")
    assert exported.status_code == 200
    assert exported.content.startswith(b"\xff\xd8\xff")


def test_broken_videos_are_refused_at_upload(http: httpx.Client, samples: Path) -> None:
    truncated = (samples / "people_movement.mp4").read_bytes()[:4096]
    for content, expected in (
        (truncated, "The MP4 video is damaged or uses a format that cannot be decoded."),
        (b"hello, I am a text file\n" * 10, "but the file is a text file."),
    ):
        response = submit(
            http,
            model="object-detection",
            content=content,
            name="clip.mp4",
            content_type="video/mp4",
        )
        assert response.status_code == 415, response.text
        assert response.json()["detail"].endswith(expected)
