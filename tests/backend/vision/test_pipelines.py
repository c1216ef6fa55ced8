"""The pipeline bases own the work of a job: a family that only finds and draws gets single images,
batches and ZIPs, progress, cancellation, and artifacts named and recorded from what it
declares. The family here is a small real one (the brightest pixel of an image)."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any, ClassVar

import pytest

from modelgallery.vision.model import (
    InputItem,
    JobCancelled,
    JobInput,
    Output,
    Result,
    ResultKind,
)
from modelgallery.vision.pipelines.artifacts import Artifacts
from modelgallery.vision.pipelines.image import ImagePipeline, Item
from modelgallery.vision.registry import load_registry

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")


class Brightest(ImagePipeline):
    """Finds the brightest pixel; draws a white dot on it."""

    result_kinds: ClassVar[dict[str, ResultKind]] = {
        **ImagePipeline.result_kinds,
        "image": "detections",
    }
    csv_columns: ClassVar[tuple[str, ...]] = ("value",)

    def load(self) -> None:
        pass

    def prepare(self, params: dict[str, Any]) -> float:
        return float(params.get("scale", 1.0))

    def infer(self, image: Any, settings: float) -> list[Item]:
        grey = image.max(axis=2)
        y, x = np.unravel_index(int(grey.argmax()), grey.shape)
        return [{"x": int(x), "y": int(y), "value": float(grey[y, x]) * settings}]

    def draw(self, image: Any, items: list[Item]) -> Any:
        out = image.copy()
        for item in items:
            out[item["y"], item["x"]] = 255
        return out

    def summarise(self, items: list[Item]) -> dict[str, Any]:
        return {"value": items[0]["value"]}

    def csv_row(self, result: Any) -> dict[str, Any]:
        return {"value": result.summary["value"]}


REGISTRY = """
[models.brightest]
title = "Brightest pixel"
task = "test"
family = "tests.backend.vision.test_pipelines:Brightest"
group = "cpu"
max_files = 5
"""


@pytest.fixture
def model(tmp_path: Path) -> Brightest:
    path = tmp_path / "models.toml"
    path.write_text(REGISTRY)
    spec = load_registry(path, tmp_path).models["brightest"]
    found = Brightest(spec)
    found.load()
    return found


def image_file(folder: Path, name: str, x: int, y: int) -> Path:
    image = np.zeros((20, 30, 3), np.uint8)
    image[y, x] = (10, 200, 10)
    path = folder / name
    cv2.imwrite(str(path), image)
    return path


def item(path: Path, kind: str = "image") -> InputItem:
    media = "application/zip" if kind == "zip" else "image/png"
    return InputItem(path=path, name=path.name, media_type=media, kind=kind)


def test_one_image_gives_the_declared_files(model: Brightest, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    seen: list[float] = []
    result = model.predict(
        [item(image_file(tmp_path, "a.png", 7, 3))], {}, out, lambda f, m: seen.append(f)
    )
    assert [(a.name, a.media_type, a.role) for a in result.artifacts] == [
        ("annotated.jpg", "image/jpeg", "annotated"),
        ("result.json", "application/json", "data"),
    ]
    assert result.summary["items"] == [{"x": 7, "y": 3, "value": 200.0}]
    assert (result.summary["width"], result.summary["height"], result.summary["count"]) == (
        30,
        20,
        1,
    )
    assert json.loads((out / "result.json").read_text()) == result.summary
    assert seen == sorted(seen) and seen[0] == 0.0
    assert list(result.stages) == ["decode", "inference", "drawing", "encoding", "writing"]
    assert all(ms >= 0 for ms in result.stages.values())


def test_a_batch_and_a_zip_give_one_file_each_and_the_summaries(
    model: Brightest, tmp_path: Path
) -> None:
    archive = tmp_path / "more.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(image_file(tmp_path, "b.png", 1, 1), "b.png")
        zf.writestr("notes.txt", "not an image")
    out = tmp_path / "out"
    out.mkdir()
    inputs = [item(image_file(tmp_path, "a.png", 2, 2)), item(archive, "zip")]
    result = model.predict(inputs, {"scale": 2}, out, lambda f, m: None)

    names = [a.name for a in result.artifacts]
    assert names == ["001-a.jpg", "002-b.jpg", "results.json", "summary.csv", "results.zip"]
    assert {a.name: a.role for a in result.artifacts}["results.zip"] == "archive"
    assert result.summary["files"] == 2 and result.summary["failed"] == 0
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    assert [(r["file"], r["annotated"], r["value"]) for r in rows] == [
        ("a.png", "001-a.jpg", "400.0"),
        ("b.png", "002-b.jpg", "400.0"),
    ]
    with zipfile.ZipFile(out / "results.zip") as zf:
        assert sorted(zf.namelist()) == sorted(names[:-1])
    assert list(result.stages) == ["decode", "inference", "drawing", "encoding", "writing"]


def test_cancelling_stops_between_images(model: Brightest, tmp_path: Path) -> None:
    inputs = [item(image_file(tmp_path, f"{n}.png", n, n)) for n in range(3)]

    def progress(fraction: float, message: str) -> None:
        if fraction > 0:
            raise JobCancelled()

    with pytest.raises(JobCancelled):
        model.predict(inputs, {}, tmp_path, progress)


def test_result_kinds_follow_the_declaration(model: Brightest) -> None:
    assert model.spec.result_kinds == {"image": "detections", "zip": "batch"}
    assert model.spec.result_kind_for(["image"]) == "detections"
    assert model.spec.result_kind_for(["image", "image"]) == "batch"
    assert model.spec.result_kind_for(["zip"]) == "batch"
    assert model.spec.result_kind_for(["video"]) == "generic"


def test_artifacts_take_only_declared_names(tmp_path: Path) -> None:
    declared = (
        Output(name="{NNN}-{file}.jpg", media_type="image/jpeg", role="annotated"),
        Output(name="summary.csv", media_type="text/csv", role="data"),
    )
    artifacts = Artifacts(tmp_path, declared)
    artifacts.write_bytes("001-cat.jpg", b"x")
    artifacts.path("summary.csv").write_text("a,b\n")
    with pytest.raises(ValueError, match="does not declare an output named 'other.png'"):
        artifacts.path("other.png")
    assert [(a.name, a.media_type) for a in artifacts.written()] == [
        ("001-cat.jpg", "image/jpeg"),
        ("summary.csv", "text/csv"),
    ]
    assert not declared[0].matches("cat.jpg") and not declared[1].matches("summary.csvx")


def test_a_batch_of_jobs_gives_each_its_own_results_files_and_errors(
    model: Brightest, tmp_path: Path
) -> None:
    seen: list[list[float]] = [[], [], []]
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    sources = [image_file(tmp_path, "a.png", 1, 2), bad, image_file(tmp_path, "c.png", 5, 6)]
    jobs = []
    for index, source in enumerate(sources):
        outdir = tmp_path / f"out{index}"
        outdir.mkdir()
        report = seen[index].append
        jobs.append(
            JobInput([item(source)], {"scale": index + 1}, outdir, lambda f, m, r=report: r(f))
        )
    first, failed, third = model.predict_many(jobs)

    assert isinstance(failed, ValueError) and "not a readable image" in str(failed)
    assert isinstance(first, Result) and isinstance(third, Result)
    assert first.summary["items"] == [{"x": 1, "y": 2, "value": 200.0}]
    assert third.summary["items"] == [{"x": 5, "y": 6, "value": 600.0}]  # its own scale
    assert first.batch_size == third.batch_size == 2  # the two readable images
    assert json.loads((tmp_path / "out2" / "result.json").read_text()) == third.summary
    assert [a.name for a in first.artifacts] == ["annotated.jpg", "result.json"]
    assert not list((tmp_path / "out1").iterdir())
    assert seen[0] == sorted(seen[0]) and seen[0][-1] == 0.9
    assert set(first.stages) == {"decode", "inference", "drawing", "encoding", "writing"}


def test_jobs_that_are_not_one_image_each_run_one_by_one(model: Brightest, tmp_path: Path) -> None:
    archive = tmp_path / "more.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(image_file(tmp_path, "b.png", 1, 1), "b.png")
    jobs = [
        JobInput([item(archive, "zip")], {}, tmp_path, lambda f, m: None),
        JobInput([item(image_file(tmp_path, "a.png", 3, 3))], {}, tmp_path, lambda f, m: None),
    ]
    results = model.predict_many(jobs)
    assert [r.batch_size for r in results if isinstance(r, Result)] == [1, 1]
    assert isinstance(results[0], Result) and results[0].summary["files"] == 1
