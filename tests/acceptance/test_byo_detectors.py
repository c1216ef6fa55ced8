"""A user's own detector in the `yolo` family: exported ONNX, OpenVINO IR and TFLite files.

Real detections come from the mirror's weights: the classic YOLOv5n checkpoint exported to
ONNX by the project's exporter (no names inside: they come from a labels file) and to an
OpenVINO IR, and the YOLOv8n int8 TFLite converted to an IR by OpenVINO, all on bus.jpg.
Ultralytics' own ONNX and OpenVINO exports are made from its YOLOv8n definition (random
weights, three named classes): their names, size and layout are read, and every runtime
gives the network output PyTorch gives. Exports are made here, in temporary folders."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.families.yolo_net import YoloNet, letterbox
from modelgallery.vision.registry import family_class, load_registry
from modelgallery.vision.runtimes.ultralytics import detection_network, prepare_runtime
from modelgallery.vision.runtimes.yolov5_checkpoint import export_onnx, load_classic_yolov5
from tests.acceptance.test_detection import assert_bus_scene
from tests.backend.vision.test_detector_files import MIRROR, fixed_output_onnx
from tests.support.boxes import iou

pytestmark = pytest.mark.slow
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")
ov = pytest.importorskip("openvino")

NAMES = {0: "cat", 1: "dog", 2: "traffic light"}


def load(folder: Path, weights: list[str], runtime: str = "auto", **options: Any) -> Any:
    """The `yolo` family on these files of `folder`, as a registry entry names them."""
    table = ", ".join(f"{key} = {json.dumps(value)}" for key, value in options.items())
    files = ", ".join(f'{{ file = "{name}" }}' for name in weights)
    (folder / "models.toml").write_text(
        f'[models.byo]\ntitle = "Mine"\ntask = "object-detection"\nfamily = "yolo"\n'
        f'group = "torch"\nruntime = "{runtime}"\nweights = [{files}]\noptions = {{ {table} }}\n'
    )
    spec = load_registry(folder / "models.toml", folder).models["byo"]
    model = family_class(spec.family)(spec)
    model.load()
    return model


@pytest.fixture(scope="module")
def classic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """yolov5n.pt as ONNX (the project's exporter) and as an OpenVINO IR, with its class
    names in a labels file."""
    checkpoint = MIRROR / "yolov5n.pt"
    if not checkpoint.is_file():
        pytest.fail(f"the shared model mirror is missing at {MIRROR}")
    folder = tmp_path_factory.mktemp("classic-exports")
    prepare_runtime()
    export_onnx(checkpoint, folder / "yolov5n.onnx")
    names = load_classic_yolov5(checkpoint).class_names
    (folder / "coco.txt").write_text("".join(f"{names[i]}\n" for i in range(len(names))))
    ov.save_model(ov.convert_model(str(folder / "yolov5n.onnx")), str(folder / "v5ir.xml"))
    return folder


@pytest.fixture(scope="module")
def bus(samples: Path) -> Any:
    return cv2.imread(str(samples / "bus.jpg"))


def summary(items: list[dict[str, Any]]) -> str:
    return ", ".join(f"{i['label']} {i['confidence']:.2f}" for i in items)


def assert_same_items(
    ours: list[dict[str, Any]], theirs: list[dict[str, Any]], min_iou: float
) -> None:
    assert len(ours) == len(theirs), (ours, theirs)
    for item in ours:
        same = [o for o in theirs if o["label"] == item["label"]]
        best = max(same, key=lambda o: iou(o["box"], item["box"]))
        assert iou(best["box"], item["box"]) >= min_iou, (item, theirs)
        assert abs(best["confidence"] - item["confidence"]) < 0.03, (item, theirs)


def test_a_classic_yolov5_onnx_finds_what_its_checkpoint_finds(classic: Path, bus: Any) -> None:
    (classic / "classic.toml").write_text(
        '[models.c]\ntitle = "c"\ntask = "object-detection"\nfamily = "yolov5-classic"\n'
        'group = "torch"\nruntime = "torch"\nweights = [{ file = "yolov5n.pt" }]\n'
    )
    spec = load_registry(classic / "classic.toml", MIRROR).models["c"]
    on_torch = family_class(spec.family)(spec)
    on_torch.load()
    theirs = on_torch.predict_image(bus, {}).items

    model = load(classic, ["yolov5n.onnx", "coco.txt"])  # the labels file is found by its suffix
    model.check_loaded()
    times = {c.name: c.ms for c in model.runtime.candidates}
    assert set(times) == {"onnxruntime", "openvino"} and all(times.values()), model.runtime
    assert model.runtime.chosen == min(times, key=lambda n: times[n] or 0)
    layout = model._engine.layout
    assert (layout.imgsz, layout.objectness, layout.channels_first) == (640, True, False)
    assert not layout.square and not layout.normalized
    served = {model.runtime.chosen: model}
    for runtime in ("onnxruntime", "openvino"):
        on = served.get(runtime) or load(classic, ["yolov5n.onnx", "coco.txt"], runtime)
        items = on.predict_image(bus, {}).items
        print(f"\nclassic YOLOv5n ONNX on {runtime}: {summary(items)}")
        assert_bus_scene(items)
        assert_same_items(items, theirs, 0.99 if runtime == "onnxruntime" else 0.95)


def test_labels_that_do_not_fit_are_told_after_loading(classic: Path, bus: Any) -> None:
    numbered = load(classic, ["yolov5n.onnx"], "onnxruntime")
    numbered.check_loaded()
    assert numbered.names[0] == "class 0" and len(numbered.names) == 80
    assert "class 0" in {i["label"] for i in numbered.predict_image(bus, {}).items}
    mislabelled = load(classic, ["yolov5n.onnx"], "onnxruntime", labels=["cat", "dog", "bird"])
    with pytest.raises(ValueError) as refused:
        mislabelled.check_loaded()
    assert str(refused.value) == (
        "the detector finds 80 classes but 3 labels were given (options.labels)"
    )


def test_a_classic_yolov5_openvino_ir_finds_the_bus_scene(classic: Path, bus: Any) -> None:
    names = (classic / "coco.txt").read_text().splitlines()
    model = load(classic, ["v5ir.xml", "v5ir.bin"], labels=names)
    model.check_loaded()
    assert model.runtime.chosen == "openvino"
    items = model.predict_image(bus, {}).items
    print(f"\nclassic YOLOv5n OpenVINO IR: {summary(items)}")
    assert_bus_scene(items)


def test_the_int8_tflite_as_an_openvino_ir_finds_what_the_tflite_finds(
    tmp_path: Path, bus: Any
) -> None:
    """An IR in its own folder, with ultralytics' metadata.yaml beside it: its boxes come
    normalised (the TFLite graph's), which the first run tells."""
    tflite = MIRROR / "yolov8n_int8.tflite"
    (tmp_path / tflite.name).symlink_to(tflite)
    on_litert = load(tmp_path, [tflite.name], "litert").predict_image(bus, {}).items
    ir = tmp_path / "ir"
    ir.mkdir()
    ov.save_model(ov.convert_model(str(tflite)), str(ir / "yolov8n_int8.xml"))
    names = load(tmp_path, [tflite.name], "litert").names
    (ir / "metadata.yaml").write_text(
        "task: detect\nstride: 32\nimgsz: [640, 640]\nnames:\n"
        + "".join(f"  {i}: {json.dumps(n)}\n" for i, n in names.items())
    )
    model = load(ir, ["yolov8n_int8.xml", "yolov8n_int8.bin"])
    model.check_loaded()
    layout = model._engine.layout
    assert layout.normalized and layout.square and layout.imgsz == 640
    items = model.predict_image(bus, {}).items
    print(f"\nYOLOv8n int8 as OpenVINO IR: {summary(items)}\n  on LiteRT: {summary(on_litert)}")
    assert_bus_scene(items)
    assert_same_items(items, on_litert, 0.95)


@pytest.fixture(scope="module")
def ultralytics_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ultralytics' ONNX and OpenVINO exports of a three-class YOLOv8n at 320 px."""
    prepare_runtime()
    import torch
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    folder = tmp_path_factory.mktemp("ultralytics-exports")
    torch.manual_seed(0)
    model = YOLO("yolov8n.yaml", task="detect")
    model.model = DetectionModel("yolov8n.yaml", nc=len(NAMES), verbose=False)
    model.model.names = dict(NAMES)
    model.save(str(folder / "three.pt"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fmt in ("onnx", "openvino"):
            YOLO(str(folder / "three.pt")).export(format=fmt, imgsz=320, verbose=False)
    export = folder / "three_openvino_model"
    for name in ("three.xml", "three.bin"):
        (export / name).rename(folder / name)
    (export / "metadata.yaml").rename(folder / "three.yaml")
    return folder


def test_ultralytics_exports_give_their_names_size_and_the_network_s_output(
    ultralytics_exports: Path, bus: Any
) -> None:
    folder = ultralytics_exports
    reference = detection_network(folder / "three.pt")
    outputs = {}
    for weights, runtime in (
        (["three.onnx"], "onnxruntime"),
        (["three.onnx"], "openvino"),
        (["three.xml", "three.bin", "three.yaml"], "openvino"),
    ):
        model = load(folder, weights, runtime)
        model.check_loaded()
        engine = model._engine
        assert isinstance(engine, YoloNet) and model.names == NAMES
        layout = engine.layout
        assert (layout.imgsz, layout.stride, layout.square) == (320, 32, True)
        assert layout.channels_first and not layout.objectness and not layout.normalized
        batch = letterbox(bus, 320, 32, square=True).batch
        outputs[(weights[0], runtime)] = np.asarray(engine.net(batch))
    import torch

    with torch.inference_mode():
        expected = reference.module(torch.from_numpy(batch))[0].numpy()
    scale = float(np.abs(expected).max())
    for key, output in outputs.items():
        assert output.shape == expected.shape == (1, 7, 2100), key
        assert float(np.abs(output - expected).max()) <= 1e-2 * scale, key


def test_an_ir_without_metadata_takes_the_labels_openvino_keeps(ultralytics_exports: Path) -> None:
    model = load(ultralytics_exports, ["three.xml", "three.bin"])
    assert model.names == {0: "cat", 1: "dog", 2: "traffic_light"}  # ultralytics' rt_info


def test_a_float32_tflite_with_ultralytics_metadata_runs_on_litert_and_openvino(
    tmp_path: Path,
) -> None:
    """A stand-in float32 TFLite (TensorFlow, in a process of its own) whose output is one
    box in normalised units, as ultralytics' TFLite exports give them (plus a millionth of
    the image's mean: OpenVINO drops an output that is a constant)."""
    if importlib.util.find_spec("tensorflow") is None:  # not imported here: torch is
        pytest.skip("TensorFlow is not installed")
    rows = np.zeros((1, 7, 100), np.float32)
    rows[0, :2, :] = np.linspace(0.02, 0.98, 100)  # anchor centres over the input
    rows[0, :4, 10] = [0.5, 0.375, 0.2, 0.1]  # cx, cy, w, h of the input
    rows[0, 4 + 2, 10] = 0.9
    np.save(tmp_path / "rows.npy", rows)
    script = (
        "import sys, numpy as np, tensorflow as tf\n"
        "rows = np.load(sys.argv[1])\n"
        "@tf.function(input_signature=[tf.TensorSpec([1, 320, 320, 3], tf.float32)])\n"
        "def net(x):\n    return tf.constant(rows) + 1e-6 * tf.reduce_mean(x)\n"
        "converter = tf.lite.TFLiteConverter.from_concrete_functions("
        "[net.get_concrete_function()], net)\n"
        "open(sys.argv[2], 'wb').write(converter.convert())\n"
    )
    target = tmp_path / "f32.tflite"
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "rows.npy"), str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    image = np.zeros((480, 640, 3), np.uint8)  # 320 x 240 in the input, 40 px of padding
    bare = load(tmp_path, ["f32.tflite"], "litert", labels=["a", "b", "c"])
    [item] = bare.predict_image(image, {}).items  # no metadata: the entry's labels
    assert item["label"] == "c" and item["box"] == pytest.approx([256, 128, 384, 192], abs=0.5)
    with zipfile.ZipFile(target, "a") as archive:  # as ultralytics appends its metadata
        meta = {"task": "detect", "stride": 32, "imgsz": [320, 320], "names": NAMES}
        archive.writestr("metadata.json", json.dumps(meta))
    for runtime in ("litert", "openvino"):
        model = load(tmp_path, ["f32.tflite"], runtime)
        assert model.runtime.chosen == runtime and model.names == NAMES
        [item] = model.predict_image(image, {}).items
        assert item["label"] == "traffic light" and item["confidence"] == pytest.approx(0.9)
        assert item["box"] == pytest.approx([256, 128, 384, 192], abs=0.5)


@pytest.mark.parametrize("objectness", [False, True])
def test_boxes_land_in_the_image_s_own_pixels(tmp_path: Path, objectness: bool) -> None:
    """Stand-in ONNX detectors of both layouts: one box at (160, 120), 64 x 32 px of the
    letterboxed 320 px input of a 640 x 480 image."""
    box = [160, 120, 64, 32] + ([0.9] if objectness else []) + [0, 0, 0.9]
    rows = np.zeros((1, 100, len(box)), np.float32)
    rows[0, :, :2] = np.linspace(4, 316, 100)[:, None]
    rows[0, 10] = box
    rows = rows if objectness else rows.transpose(0, 2, 1)
    fixed_output_onnx(tmp_path / "det.onnx", rows, (1, 3, 320, 320))
    model = load(tmp_path, ["det.onnx"], "onnxruntime", labels=["a", "b", "c"])
    model.check_loaded()
    [item] = model.predict_image(np.zeros((480, 640, 3), np.uint8), {}).items
    assert item["label"] == "c" and item["confidence"] == pytest.approx(0.81 if objectness else 0.9)
    assert item["box"] == pytest.approx([256, 128, 384, 192], abs=0.5)


def test_a_broken_file_fails_to_load_with_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "mine.onnx").write_bytes(b"\x08\x07not a network" * 100)
    with pytest.raises(ValueError, match="mine.onnx cannot be read as ONNX: it is damaged"):
        load(tmp_path, ["mine.onnx"])
    meta = {"task": "segment", "names": "{0: 'a'}"}
    fixed_output_onnx(tmp_path / "seg.onnx", np.zeros((1, 37, 100)), metadata=meta)
    with pytest.raises(ValueError, match="seg.onnx holds a segment model; the yolo family"):
        load(tmp_path, ["seg.onnx"])
    fixed_output_onnx(tmp_path / "flat.onnx", np.zeros((1, 1000)))
    with pytest.raises(ValueError, match="flat.onnx gives an output of shape \\(1, 1000\\)"):
        load(tmp_path, ["flat.onnx"])
