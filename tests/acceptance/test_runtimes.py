"""Faster runtimes for the classic YOLOv5n checkpoint of the offline mirror: its ONNX export
(made and cached by the family) on ONNX Runtime and OpenVINO finds what PyTorch finds on the
samples, to rounding; `auto` serves the fastest it measured; a missing runtime package falls
back to PyTorch with the reason shown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from modelgallery.vision.registry import family_class, load_registry
from tests.conftest import OFFLINE_REGISTRY
from tests.support.boxes import iou
from tests.support.server import BackendServer

pytestmark = pytest.mark.slow
cv2 = pytest.importorskip("cv2")

IMAGES = ("bus.jpg", "zidane.jpg")


@pytest.fixture(scope="module")
def spec(offline_models: Path) -> Any:
    return load_registry(OFFLINE_REGISTRY, offline_models).models["yolov5-classic"]


def loaded(spec: Any, runtime: str) -> Any:
    model = family_class(spec.family)(spec.model_copy(update={"runtime": runtime}))
    model.load()
    return model


def matched(item: dict[str, Any], others: list[dict[str, Any]], min_iou: float) -> bool:
    return any(
        o["label"] == item["label"] and iou(o["box"], item["box"]) >= min_iou for o in others
    )


@pytest.fixture(scope="module")
def on_torch(spec: Any, samples: Path) -> dict[str, list[dict[str, Any]]]:
    model = loaded(spec, "torch")
    return {n: model.predict_image(cv2.imread(str(samples / n)), {}).items for n in IMAGES}


@pytest.mark.parametrize("runtime", ["onnxruntime", "openvino"])
def test_exported_runtimes_find_what_pytorch_finds(
    runtime: str, spec: Any, samples: Path, on_torch: dict[str, list[dict[str, Any]]]
) -> None:
    model = loaded(spec, runtime)
    assert model.runtime.chosen == runtime
    for name in IMAGES:
        items = model.predict_image(cv2.imread(str(samples / name)), {}).items
        assert len(items) == len(on_torch[name]), (name, items, on_torch[name])
        for item in items:  # the same boxes, to rounding, with the same confidence
            assert matched(item, on_torch[name], 0.98), (name, item, on_torch[name])
            same = [o for o in on_torch[name] if iou(o["box"], item["box"]) >= 0.98]
            assert abs(same[0]["confidence"] - item["confidence"]) < 0.01


def test_auto_measures_each_runtime_and_serves_the_fastest(spec: Any) -> None:
    model = loaded(spec, "auto")
    choice = model.runtime
    times = {c.name: c.ms for c in choice.candidates}
    assert set(times) == {"torch", "onnxruntime", "openvino"}
    assert all(ms and ms > 0 for ms in times.values()), choice
    assert choice.chosen == min(times, key=lambda n: times[n] or 0)
    checkpoint = spec.weight_paths[0]
    exports = list(checkpoint.parent.glob(f"{checkpoint.stem}.*.onnx"))
    assert len(exports) == 1, exports  # exported once, named after the checkpoint's sha256


def test_a_missing_runtime_package_falls_back_to_pytorch(
    spec: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime fails
    choice = loaded(spec, "onnxruntime").runtime
    assert choice.chosen == "torch"
    failed = next(c for c in choice.candidates if c.name == "onnxruntime")
    assert "onnxruntime" in (failed.error or "")


def test_the_api_shows_the_runtime_served(vision_server: BackendServer) -> None:
    with httpx.Client(base_url=vision_server.url, timeout=60) as http:
        model = http.get("/api/models/yolov5-classic").json()
    runtime = model["runtime"]
    assert runtime["requested"] == "auto"
    times = {c["name"]: c["ms"] for c in runtime["candidates"]}
    assert set(times) == {"torch", "onnxruntime", "openvino"}
    assert runtime["chosen"] == min(times, key=lambda n: times[n])


def test_the_mirror_yolov8n_serves_the_fastest_of_litert_and_openvino(
    vision_server: BackendServer,
) -> None:
    with httpx.Client(base_url=vision_server.url, timeout=60) as http:
        runtime = http.get("/api/models/object-detection").json()["runtime"]
    times = {c["name"]: c["ms"] for c in runtime["candidates"]}
    assert set(times) == {"litert", "openvino"} and all(times.values()), runtime
    assert runtime["chosen"] == min(times, key=lambda n: times[n])


@pytest.mark.parametrize("runtime", ["torch", "onnxruntime"])
def test_a_batch_finds_what_one_by_one_finds(runtime: str, spec: Any, samples: Path) -> None:
    model = loaded(spec, runtime)
    bus, zidane = (cv2.imread(str(samples / name)) for name in IMAGES)
    images = [bus, cv2.flip(bus, 1), zidane]  # two of one size go through together
    settings = model.prepare({})
    alone = [model.infer(image, settings) for image in images]
    together = model.infer_many(images, [settings] * 3)
    for own, batched in zip(alone, together, strict=True):
        assert len(batched) == len(own), (own, batched)
        for item in batched:  # the same boxes, to rounding
            assert matched(item, own, 0.98), (item, own)
    assert model.batch_speedup(2) > 0
