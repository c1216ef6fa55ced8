"""Reading an exported detector (`vision/families/detector_files.py`): names, input size and
stride from each format's metadata, labels from the registry entry, the layout of the
network's rows, and sentences for what does not fit; on tiny stand-in ONNX graphs whose
output is fixed. Real exports are in tests/acceptance/test_byo_detectors.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
ov = pytest.importorskip("openvino")

from modelgallery.vision.families.detector_files import (  # noqa: E402
    classes_of,
    network_file,
    read_detector,
    read_labels,
)
from modelgallery.vision.families.yolo_net import output_layout  # noqa: E402

MIRROR = Path(__file__).resolve().parents[4] / "shared" / "assets" / "models"
COCO_80 = {"person", "bus", "toothbrush"}


def fixed_output_onnx(
    path: Path,
    rows: np.ndarray,
    input_shape: tuple[int | str, ...] = (1, 3, "height", "width"),
    metadata: dict[str, str] | None = None,
) -> Path:
    """A graph whose output is `rows` whatever the image (it still reads the image, as
    runtimes drop a graph input nothing uses)."""
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
            helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
            helper.make_node("Add", ["rows", "nothing"], ["output0"]),
        ],
        "fixed",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, list(input_shape))],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(rows.shape))],
        [
            numpy_helper.from_array(rows.astype(np.float32), "rows"),
            numpy_helper.from_array(np.zeros((), np.float32), "zero"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(model, str(path))
    return path


ULTRALYTICS_META = {
    "stride": "32",
    "task": "detect",
    "imgsz": "[320, 320]",
    "names": "{0: 'cat', 1: 'dog', 2: 'traffic light'}",
    "end2end": "False",
    "args": "{'batch': 1, 'dynamic': False, 'nms': None}",
}


def test_an_ultralytics_onnx_export_gives_its_names_size_and_stride(tmp_path: Path) -> None:
    path = fixed_output_onnx(
        tmp_path / "v8.onnx", np.zeros((1, 7, 2100)), (1, 3, 320, 320), ULTRALYTICS_META
    )
    found = read_detector(path, [path])
    assert found.format == "onnx" and found.task == "detect" and not found.end2end
    assert found.names == {0: "cat", 1: "dog", 2: "traffic light"}
    assert found.input_size == (320, 320) and found.imgsz(640) == 320 and found.stride(64) == 32


def test_an_onnx_file_without_metadata_takes_the_entry_s_size(tmp_path: Path) -> None:
    path = fixed_output_onnx(tmp_path / "v5.onnx", np.zeros((1, 100, 85)))
    found = read_detector(path, [path])
    assert found.names is None and found.input_size is None and found.metadata == {}
    assert found.imgsz(416) == 416 and found.stride(32) == 32


def test_an_end_to_end_export_is_told_apart(tmp_path: Path) -> None:
    meta = {**ULTRALYTICS_META, "args": "{'nms': True}"}
    path = fixed_output_onnx(tmp_path / "e2e.onnx", np.zeros((1, 300, 6)), metadata=meta)
    assert read_detector(path, [path]).end2end


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((1, 3, 320, 640), "takes 640x320 images: only square inputs are served"),
        ((1, 1, 28, 28), "not a colour image"),
        ((1, 100), "not a colour image"),
    ],
)
def test_inputs_that_are_not_square_colour_images_are_refused(
    tmp_path: Path, shape: tuple[int, ...], message: str
) -> None:
    path = fixed_output_onnx(tmp_path / "odd.onnx", np.zeros((1, 7, 100)), shape)
    with pytest.raises(ValueError, match=message):
        read_detector(path, [path])


def test_a_damaged_file_is_named_with_its_format(tmp_path: Path) -> None:
    for name, kind in (("x.onnx", "ONNX"), ("x.tflite", "TFLite")):
        path = tmp_path / name
        path.write_bytes(b"\x08\x01garbage" * 40)
        with pytest.raises(ValueError, match=f"{name} cannot be read as {kind}: it is damaged"):
            read_detector(path, [path])
    with pytest.raises(ValueError, match="not an ONNX, OpenVINO"):
        read_detector(tmp_path / "x.caffemodel", [])


def openvino_ir(folder: Path, name: str, labels: list[str] | None = None) -> Path:
    onnx_path = fixed_output_onnx(folder / f"{name}.onnx", np.zeros((1, 7, 2100)), (1, 3, 320, 320))
    model = ov.convert_model(str(onnx_path))
    if labels:
        model.set_rt_info(labels, ["model_info", "labels"])
    xml = folder / f"{name}.xml"
    ov.save_model(model, str(xml))
    return xml


def test_an_openvino_ir_reads_metadata_yaml_among_its_weights_or_beside_it(
    tmp_path: Path,
) -> None:
    xml = openvino_ir(tmp_path, "det", labels=["cat", "dog", "traffic_light"])
    assert read_detector(xml, [xml]).names == {0: "cat", 1: "dog", 2: "traffic_light"}
    beside = tmp_path / "metadata.yaml"
    beside.write_text("task: detect\nstride: 32\nimgsz: [320, 320]\nnames:\n  0: cat\n  1: dog\n")
    assert read_detector(xml, [xml]).names == {0: "cat", 1: "dog"}  # the yaml wins
    listed = tmp_path / "det-meta.yaml"
    listed.write_text("names: {0: ant, 1: bee, 2: 'traffic light'}\n")
    found = read_detector(xml, [xml, xml.with_suffix(".bin"), listed])
    assert found.names == {0: "ant", 1: "bee", 2: "traffic light"}
    assert found.input_size == (320, 320)


def test_an_openvino_ir_without_its_bin_says_which_file_it_needs(tmp_path: Path) -> None:
    xml = openvino_ir(tmp_path, "det")
    renamed = xml.with_suffix(".bin").rename(tmp_path / "weights.bin")
    with pytest.raises(ValueError, match=r"needs its weights file det\.bin beside it.*name it"):
        read_detector(xml, [xml, renamed])


def test_an_ultralytics_tflite_gives_its_embedded_names_and_size() -> None:
    path = MIRROR / "yolov8n_int8.tflite"
    if not path.is_file():
        pytest.skip(f"the shared model mirror is missing at {MIRROR}")
    found = read_detector(path, [path])
    assert found.format == "tflite" and found.input_size == (640, 640)
    assert found.names and len(found.names) == 80 and set(found.names.values()) >= COCO_80


def test_the_network_file_is_picked_among_the_weights(tmp_path: Path) -> None:
    files = [tmp_path / n for n in ("det.bin", "metadata.yaml", "det.xml", "labels.txt")]
    assert network_file(files) == tmp_path / "det.xml"
    assert network_file([tmp_path / "model_dir"]) == tmp_path / "model_dir"


@pytest.mark.parametrize(
    ("shape", "names", "expected"),
    [
        ((1, 84, 8400), None, (True, False, 80)),  # ultralytics
        ((1, 25200, 85), None, (False, True, 80)),  # classic YOLOv5
        ((1, 8400, 84), 80, (False, False, 80)),  # ultralytics, transposed
        ((1, 5, 2100), None, (True, False, 1)),  # one class
    ],
)
def test_the_rows_layout_is_read_from_the_output(
    shape: tuple[int, ...], names: int | None, expected: tuple[bool, bool, int]
) -> None:
    raw = np.zeros(shape, np.float32)
    centre = (slice(None), 0, slice(None)) if shape[1] < shape[2] else (slice(None), slice(None), 0)
    raw[centre] = np.linspace(4, 636, raw[centre].size).reshape(raw[centre].shape)
    out = output_layout(raw, "det.onnx", names)
    assert (out.channels_first, out.objectness, out.classes) == expected
    assert not out.normalized
    assert output_layout(raw / 640, "det.onnx", names).normalized


def test_an_output_that_is_not_rows_of_boxes_is_refused() -> None:
    for shape in ((1, 1000), (2, 84, 100), (1, 3, 100)):
        with pytest.raises(ValueError, match="not the boxes of a YOLO detector"):
            output_layout(np.zeros(shape, np.float32), "det.onnx", None)


def test_labels_come_from_a_list_or_a_file_among_the_weights(tmp_path: Path) -> None:
    labels_file = tmp_path / "classes.txt"
    labels_file.write_text("\ufeffcat\n dog \n\n")
    weights = [tmp_path / "det.onnx", labels_file]
    by_list = read_labels(["cat", "dog"], weights)
    by_name = read_labels("classes.txt", weights)
    found = read_labels(None, weights)
    assert by_list and by_name and found
    assert by_list.names == by_name.names == found.names == ["cat", "dog"]
    assert read_labels(None, weights[:1]) is None
    for wrong in ("other.txt", 3):
        with pytest.raises(ValueError, match="options.labels must be a list of class names"):
            read_labels(wrong, weights)


def names_and_problems(count: int, own: Any, option: Any, weights: Any = ()) -> Any:
    return classes_of(count, own, option, list(weights))


def test_names_come_from_the_file_then_the_labels_then_numbers() -> None:
    own = {0: "cat", 1: "dog"}
    assert names_and_problems(2, own, ["x", "y"]) == (own, ())
    assert names_and_problems(2, None, ["x", "y"]) == ({0: "x", 1: "y"}, ())
    assert names_and_problems(3, None, None) == ({0: "class 0", 1: "class 1", 2: "class 2"}, ())


def test_labels_that_do_not_fit_the_network_are_told_in_sentences(tmp_path: Path) -> None:
    names, problems = names_and_problems(80, None, ["cat", "dog", "bird"])
    assert problems == ("the detector finds 80 classes but 3 labels were given (options.labels)",)
    assert names[2] == "bird" and names[79] == "class 79"  # served meanwhile
    _, problems = names_and_problems(2, None, ["cat"])
    assert problems == ("the detector finds 2 classes but 1 label was given (options.labels)",)
    labels_file = tmp_path / "labels.txt"
    labels_file.write_text("cat\n\ndog\n")
    _, problems = names_and_problems(3, None, None, [labels_file])
    assert problems == ("label 2 of labels.txt is empty: every class needs a name",)
    _, problems = names_and_problems(80, {0: "cat"}, None)
    assert problems == ("the file's own metadata names 1 class but the detector finds 80 classes",)
