"""Video tracking: ultralytics' ByteTrack fed with a family's own boxes gives each object one
id across frames and counts it once, leaving out one-frame blips; the video pipeline adds
the ids, the unique counts and the timeline, or, with `track` off, the old summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest

from modelgallery.vision.model import InputItem, Param
from modelgallery.vision.pipelines.image import Item
from modelgallery.vision.pipelines.timeline import Timeline
from modelgallery.vision.pipelines.tracking import Tracker
from modelgallery.vision.pipelines.video import VideoPipeline
from modelgallery.vision.registry import load_registry

pytest.importorskip("ultralytics")
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

FPS = 30.0


def box(label: str, x: float, y: float = 100, w: float = 60, h: float = 120) -> Item:
    class_id = {"person": 0, "car": 2, "chair": 56}[label]
    return {"class_id": class_id, "label": label, "confidence": 0.9, "box": [x, y, x + w, y + h]}


def run(frames: list[list[Item]]) -> tuple[list[list[int | None]], dict[str, Any]]:
    tracker = Tracker(FPS)
    ids = [[item["track_id"] for item in tracker.update(items)] for items in frames]
    return ids, tracker.summary(["person", "car", "chair"])


def test_an_object_moving_across_the_frames_keeps_one_id() -> None:
    ids, summary = run([[box("person", 20 + 6 * n)] for n in range(40)])
    assert {i for frame in ids for i in frame} == {1}
    assert summary["unique"] == {"person": 1}
    assert summary["tracks"] == [
        {"id": 1, "label": "person", "first_s": 0.0, "last_s": round(39 / FPS, 2), "frames": 40}
    ]


def test_two_objects_get_two_ids_and_count_twice() -> None:
    frames = [[box("person", 20 + 6 * n), box("person", 600 - 5 * n, y=300)] for n in range(30)]
    ids, summary = run(frames)
    assert all(frame == [1, 2] for frame in ids)
    assert summary["unique"] == {"person": 2}


def test_a_one_frame_blip_has_an_id_but_is_not_counted() -> None:
    frames = [[box("car", 20 + 4 * n)] for n in range(30)]
    frames[10].append(box("person", 500, y=400))
    ids, summary = run(frames)
    assert ids[10] == [1, 2]  # every box the detector kept has an id
    assert summary["unique"] == {"car": 1}
    assert summary["tracking"]["tracks"] == 2 and summary["tracking"]["counted"] == 1
    assert summary["tracking"]["min_frames"] == 8  # 0.25 s at 30 fps
    assert "fewer than 8 frames" in summary["unique_are"]


def test_an_object_passing_in_front_of_another_class_does_not_take_its_id() -> None:
    """ByteTrack pairs boxes by overlap whatever their class: one tracker per class."""
    frames = [[box("chair", 300), box("person", 100 + 10 * n)] for n in range(45)]
    ids, summary = run(frames)
    assert all(frame == [1, 2] for frame in ids)
    assert summary["unique"] == {"person": 1, "chair": 1}


def test_an_object_that_leaves_and_comes_back_later_is_a_new_track() -> None:
    """A lost track waits one second for its object, then the object counts again."""
    frames = [[box("person", 200)] for _ in range(20)] + [[] for _ in range(40)]
    frames += [[box("person", 200)] for _ in range(20)]
    ids, summary = run(frames)
    assert ids[0] == [1] and ids[-1] == [2]
    assert summary["unique"] == {"person": 2}


def test_the_timeline_keeps_the_most_seen_per_bucket() -> None:
    timeline = Timeline()
    for n in range(30):  # one second at 30 fps: ten buckets of 0.1 s
        timeline.add({"person": 2 if n == 4 else 1, **({"car": 1} if n >= 15 else {})})
    summary = timeline.summary(FPS, ["person", "car"])
    assert summary["bucket_s"] == 0.1
    assert summary["counts"] == {"person": [1, 2] + [1] * 8, "car": [0] * 5 + [1] * 5}


def test_a_long_video_has_coarser_buckets() -> None:
    timeline = Timeline()
    for _ in range(int(600 * 25)):  # ten minutes at 25 fps
        timeline.add({"person": 1})
    summary = timeline.summary(25.0, ["person"])
    assert summary["bucket_s"] == 5.0
    assert len(summary["counts"]["person"]) == 120


# --- through the video pipeline ------------------------------------------------------------

FRAMES, WIDTH, HEIGHT = 24, 160, 96


class Squares(VideoPipeline):
    """Finds the white squares as `person` boxes; tracks unless told not to."""

    params: ClassVar[dict[str, Param]] = {"track": Param(type="bool", default=True)}

    def load(self) -> None:
        pass

    def infer(self, image: Any, settings: Any) -> list[Item]:
        found = []
        count, labels, stats, _ = cv2.connectedComponentsWithStats(
            (image.max(axis=2) > 128).astype(np.uint8)
        )
        for x, y, w, h, _area in stats[1:count]:
            found.append(box("person", float(x), float(y), float(w), float(h)))
        return found

    def draw(self, image: Any, items: list[Item]) -> Any:
        return image.copy()


REGISTRY = """
[models.squares]
title = "White squares"
task = "test"
family = "tests.backend.vision.test_tracking:Squares"
group = "cpu"
"""


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two white squares, one moving right and one left; a third for one frame only."""
    path = tmp_path_factory.mktemp("clip") / "squares.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 12.0, (WIDTH, HEIGHT))
    for n in range(FRAMES):
        frame = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
        frame[8:24, 8 + 3 * n : 24 + 3 * n] = 255
        frame[60:76, 136 - 3 * n : 152 - 3 * n] = 255
        if n == 12:
            frame[40:50, 150:158] = 255
        writer.write(frame)
    writer.release()
    return path


def predict(folder: Path, clip: Path, params: dict[str, Any]) -> tuple[dict[str, Any], list[Any]]:
    (folder / "models.toml").write_text(REGISTRY)
    model = Squares(load_registry(folder / "models.toml", folder).models["squares"])
    model.load()
    out = folder / "out"
    out.mkdir()
    item = InputItem(path=clip, name=clip.name, media_type="video/mp4", kind="video")
    result = model.predict([item], params, out, lambda fraction, message: None)
    lines = (out / "detections.jsonl").read_text().splitlines()
    return result.summary, [json.loads(line) for line in lines]


def test_a_tracked_video_gives_ids_unique_counts_and_a_timeline(clip: Path, tmp_path: Path) -> None:
    summary, frames = predict(tmp_path, clip, {})
    assert len(frames) == FRAMES == summary["frames"]
    ids = [d["track_id"] for f in frames for d in f["detections"]]
    assert all(isinstance(i, int) for i in ids)
    assert set(ids) == {1, 2, 3}
    assert summary["unique"] == {"person": 2}  # the one-frame square is left out
    assert summary["counts"] == {"person": 3}  # the most in one frame, as before
    assert [t["id"] for t in summary["tracks"]] == [1, 2]
    assert summary["tracks"][0]["first_s"] == 0.0
    assert summary["tracks"][0]["last_s"] == round(23 / 12, 2)
    assert summary["timeline"]["bucket_s"] == 0.1
    assert len(summary["timeline"]["counts"]["person"]) == 20  # two seconds
    assert max(summary["timeline"]["counts"]["person"]) == 3


def test_tracking_off_gives_no_ids_and_the_old_counts(clip: Path, tmp_path: Path) -> None:
    (tmp_path / "on").mkdir()
    (tmp_path / "off").mkdir()
    tracked, _ = predict(tmp_path / "on", clip, {"track": True})
    summary, frames = predict(tmp_path / "off", clip, {"track": False})
    assert all("track_id" not in d for f in frames for d in f["detections"])
    assert not {"unique", "unique_are", "tracks", "tracking"} & set(summary)
    for key in ("counts", "counts_are", "detections", "frames_with", "timeline"):
        assert summary[key] == tracked[key]
