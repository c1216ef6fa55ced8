"""Runtimes of the `yolo` family. The mirror's YOLOv8n TFLite export runs through our own
letterbox and NMS on LiteRT and on OpenVINO, and finds what ultralytics' own predictor finds
on the samples. An ultralytics `.pt` checkpoint (built from ultralytics' YOLOv8n definition:
the mirror holds no trained one) is exported once by ultralytics' exporter, re-exported when
it changes, and its network gives the same output on every runtime."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.families.yolo import ultralytics_engine
from modelgallery.vision.families.yolo_net import BoxFilter, YoloNet, letterbox
from modelgallery.vision.registry import family_class, load_registry
from modelgallery.vision.runtimes import selection
from modelgallery.vision.runtimes.selection import TIMING_THREADS
from modelgallery.vision.runtimes.ultralytics import prepare_runtime, torch_net
from tests.acceptance.test_runtimes import IMAGES, matched
from tests.support.boxes import iou

pytestmark = pytest.mark.slow
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

REGISTRY = """
[models.yolov8n-tflite]
title = "YOLOv8n TFLite"
task = "object-detection"
family = "yolo"
group = "torch"
weights = [{ file = "yolov8n_int8.tflite" }]

[models.yolov8n-pt]
title = "YOLOv8n checkpoint"
task = "object-detection"
family = "yolo"
group = "torch"
options = { imgsz = 320 }
weights = [{ file = "yolov8n.pt" }]
"""


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory: pytest.TempPathFactory, offline_models: Path) -> Path:
    folder = tmp_path_factory.mktemp("yolo-runtimes")
    shutil.copy(offline_models / "yolov8n_int8.tflite", folder)
    save_checkpoint(folder / "yolov8n.pt", seed=0)
    (folder / "models.toml").write_text(REGISTRY)
    return folder


def save_checkpoint(path: Path, seed: int) -> None:
    prepare_runtime()
    import torch
    from ultralytics import YOLO

    torch.manual_seed(seed)
    YOLO("yolov8n.yaml", task="detect").save(str(path))


def loaded(models_dir: Path, name: str, runtime: str) -> Any:
    spec = load_registry(models_dir / "models.toml", models_dir).models[name]
    model = family_class(spec.family)(spec.model_copy(update={"runtime": runtime}))
    model.load()
    return model


def found(model: Any, samples: Path) -> dict[str, list[dict[str, Any]]]:
    return {n: model.predict_image(cv2.imread(str(samples / n)), {}).items for n in IMAGES}


def test_tflite_on_litert_finds_what_ultralytics_finds(models_dir: Path, samples: Path) -> None:
    model = loaded(models_dir, "yolov8n-tflite", "litert")
    assert model.runtime.chosen == "litert"
    reference, _ = ultralytics_engine(models_dir / "yolov8n_int8.tflite", 640, 1, "auto")
    keep = BoxFilter(conf=0.25, iou=0.45, class_ids=None)
    ours = found(model, samples)
    for name in IMAGES:
        theirs = reference(cv2.imread(str(samples / name)), keep)
        assert ours[name] and len(ours[name]) == len(theirs), (name, ours[name], theirs)
        for item in ours[name]:
            assert matched(item, theirs, 0.99), (name, item, theirs)


def test_tflite_on_openvino_finds_the_same_objects(models_dir: Path, samples: Path) -> None:
    on_litert = found(loaded(models_dir, "yolov8n-tflite", "litert"), samples)
    model = loaded(models_dir, "yolov8n-tflite", "openvino")
    assert model.runtime.chosen == "openvino"
    for name, items in found(model, samples).items():
        assert len(items) == len(on_litert[name]), (name, items, on_litert[name])
        for item in items:  # int8 kernels differ a little between runtimes
            assert matched(item, on_litert[name], 0.95), (name, item, on_litert[name])
            same = [o for o in on_litert[name] if iou(o["box"], item["box"]) >= 0.95]
            assert abs(same[0]["confidence"] - item["confidence"]) < 0.03


def test_auto_times_each_candidate_at_one_thread_and_serves_at_the_budget(
    models_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At one thread, a measure that work on the machine's other core does not bend (a
    first start loads other models meanwhile); a job on an idle machine still gets every
    thread of the worker's budget."""
    shutil.copy(models_dir / "yolov8n_int8.tflite", tmp_path)  # nothing remembered here
    (tmp_path / "models.toml").write_text(REGISTRY)
    timed: list[tuple[str, int]] = []
    measure = selection._interleaved_ms

    def recording(nets: dict[str, Any], trial: Any) -> dict[str, float]:
        timed.extend((name, engine.net.threads) for name, engine in nets.items())
        return measure(nets, trial)

    monkeypatch.setattr(selection, "_interleaved_ms", recording)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    model = loaded(tmp_path, "yolov8n-tflite", "auto")
    assert sorted(timed) == [("litert", TIMING_THREADS), ("openvino", TIMING_THREADS)]
    assert TIMING_THREADS == 1 and model._engine.net.threads == 2
    assert model.runtime.chosen in ("litert", "openvino")


def test_a_pytorch_net_runs_at_the_thread_count_it_was_made_for() -> None:
    """PyTorch's pool is the process's: its net sizes it, so that it is timed as the
    other runtimes are."""
    prepare_runtime()
    import torch

    seen: list[int] = []
    at = torch_net(lambda batch: seen.append(torch.get_num_threads()))
    at(1)(None)
    at(2)(None)
    assert seen == [1, 2]


def test_a_runtime_the_tflite_cannot_use_falls_back_with_the_reason(models_dir: Path) -> None:
    choice = loaded(models_dir, "yolov8n-tflite", "torch").runtime
    assert choice.chosen == "litert"
    refused = next(c for c in choice.candidates if c.name == "torch")
    assert refused.error and "do not run on torch" in refused.error


def test_a_checkpoint_is_exported_once_and_again_when_it_changes(models_dir: Path) -> None:
    model = loaded(models_dir, "yolov8n-pt", "auto")
    times = {c.name: c.ms for c in model.runtime.candidates}
    assert set(times) == {"torch", "onnxruntime", "openvino"}
    assert all(ms and ms > 0 for ms in times.values()), model.runtime
    assert model.runtime.chosen == min(times, key=lambda n: times[n] or 0)
    exports = sorted(models_dir.glob("yolov8n.*.onnx"))
    assert len(exports) == 1, exports
    made = exports[0].stat().st_mtime_ns

    loaded(models_dir, "yolov8n-pt", "onnxruntime")  # the same checkpoint: the cached export
    assert sorted(models_dir.glob("yolov8n.*.onnx")) == exports
    assert exports[0].stat().st_mtime_ns == made

    save_checkpoint(models_dir / "yolov8n.pt", seed=1)  # a new version of the weights
    loaded(models_dir, "yolov8n-pt", "onnxruntime")
    now = sorted(models_dir.glob("yolov8n.*.onnx"))
    assert len(now) == 2 and exports[0] in now


def test_every_runtime_gives_the_network_output_pytorch_gives(
    models_dir: Path, samples: Path
) -> None:
    image = cv2.imread(str(samples / "bus.jpg"))
    outputs = {}
    for runtime in ("torch", "onnxruntime", "openvino"):
        engine = loaded(models_dir, "yolov8n-pt", runtime)._engine
        assert isinstance(engine, YoloNet)
        batch = letterbox(image, engine.layout.imgsz, engine.layout.stride).batch
        assert batch.shape[2:] == (320, 256)  # the letterboxed rectangle goes in as it is
        outputs[runtime] = np.asarray(engine.net(batch))
    reference = outputs.pop("torch")
    scale = float(np.abs(reference).max())
    for runtime, output in outputs.items():
        assert output.shape == reference.shape, runtime
        assert float(np.abs(output - reference).max()) <= 1e-3 * scale, runtime


def test_a_missing_runtime_package_falls_back_to_pytorch(
    models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime fails
    choice = loaded(models_dir, "yolov8n-pt", "onnxruntime").runtime
    assert choice.chosen == "torch"
    failed = next(c for c in choice.candidates if c.name == "onnxruntime")
    assert "onnxruntime" in (failed.error or "")
