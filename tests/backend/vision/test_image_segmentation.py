"""The generic image segmenter: outputs of every layout made into class ids, a map of the
network's input mapped back onto the image, the mask PNG read back, and a small network
trained here on discs and squares, served from TorchScript and from ONNX through the
registry, that finds fresh shapes at IoU > 0.9 through the whole job (mask.png read back)."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import pytest

from modelgallery.vision.families.image_segmentation import (
    Decoding,
    class_axis,
    class_ids,
    colour_hex,
    mask_png,
)
from modelgallery.vision.preprocess import Placement, to_image
from tests.support.generic_models import (
    SEGMENTER,
    SHAPE_LABELS,
    entry,
    export_onnx,
    export_torchscript,
    iou,
    loaded,
    registry,
    run_job,
    shape_segmenter,
    shapes_scene,
)

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")
Image = pytest.importorskip("PIL.Image")


# --- outputs to class ids -------------------------------------------------------------------


def test_scores_per_class_in_either_layout_give_the_best_class() -> None:
    scores = np.zeros((1, 3, 2, 2), np.float32)
    scores[0, 2, 0, 1] = 5  # class 2 at row 0, column 1
    scores[0, 1, 1, 0] = 5
    expected = [[0, 2], [1, 0]]
    assert class_axis(scores.shape, 3, "nchw") == 1
    assert class_ids(scores, Decoding(1)).tolist() == expected
    nhwc = scores.transpose(0, 2, 3, 1)
    assert class_axis(nhwc.shape, 3, "nchw") == 3  # the labels tell the class axis
    assert class_ids(nhwc, Decoding(3)).tolist() == expected


def test_class_ids_and_one_channel_of_foreground_are_read_as_they_are() -> None:
    ids = np.asarray([[[0, 3], [2, 0]]], np.float32)  # (N, H, W) of class ids
    assert class_axis(ids.shape, None, "nchw") is None
    assert class_ids(ids, Decoding(None)).tolist() == [[0, 3], [2, 0]]
    foreground = np.asarray([[[[0.2, 0.7], [0.9, 0.4]]]], np.float32)  # (N, 1, H, W)
    assert class_ids(foreground, Decoding(1)).tolist() == [[0, 1], [1, 0]]
    logits = np.asarray([[[[-2.0, 3.0]]]], np.float32)
    assert class_ids(logits, Decoding(1)).tolist() == [[0, 1]]


def test_pixels_less_sure_than_min_probability_are_background() -> None:
    scores = np.log(np.asarray([[[[0.1, 0.5]], [[0.9, 0.5]]]], np.float32))  # (1, 2, 1, 2)
    assert class_ids(scores, Decoding(1)).tolist() == [[1, 0]]
    assert class_ids(scores, Decoding(1), 0.8).tolist() == [[1, 0]]
    scores[0, :, 0, 0] = np.log([0.3, 0.7])
    assert class_ids(scores, Decoding(1), 0.8).tolist() == [[0, 0]]


def test_a_map_of_the_input_is_mapped_back_onto_the_image() -> None:
    net_map = np.zeros((20, 20), np.uint8)
    net_map[6:14, 10:20] = 1  # the right half of a 100x40 image, letterboxed
    boxed = Placement(inner=(0, 6, 20, 14), source=(0, 0, 100, 40), size=(20, 20), image=(100, 40))
    full = to_image(net_map, boxed, 0)
    assert full.shape == (40, 100)
    assert full[:, 50:].all() and not full[:, :50].any()
    half = to_image(net_map[::2, ::2], boxed, 0)  # an output at half the input's resolution
    assert np.array_equal(half, full)
    cropped = Placement(
        inner=(0, 0, 20, 20), source=(25, 0, 75, 50), size=(20, 20), image=(100, 50)
    )
    full = to_image(np.ones((20, 20), np.uint8), cropped, 0)
    assert full[:, 25:75].all() and not full[:, :25].any() and not full[:, 75:].any()


def test_the_mask_is_a_palette_png_with_a_transparent_background() -> None:
    class_map = np.asarray([[0, 1], [2, 2]], np.uint8)
    mask = Image.open(io.BytesIO(mask_png(class_map, 0)))
    assert mask.mode == "P"
    assert np.array_equal(np.asarray(mask), class_map)
    rgba = np.asarray(mask.convert("RGBA"))
    assert rgba[0, 0, 3] == 0 and rgba[0, 1, 3] == 255
    assert "#{:02x}{:02x}{:02x}".format(*rgba[1, 0, :3]) == colour_hex(2)


# --- a trained network, through the registry ------------------------------------------------

ENTRIES = [
    entry(
        "shapes-torchscript",
        "Shapes (TorchScript)",
        SEGMENTER,
        "torch",
        ["shapes.pt"],
        max_files=3,
        options={
            "labels": SHAPE_LABELS,
            "preprocess": {"size": [96, 96], "mean": [0.5], "std": [0.25]},
        },
    ),
    entry(
        "shapes-onnx",
        "Shapes (ONNX, described by its metadata)",
        SEGMENTER,
        "onnx",
        ["shapes.onnx"],
        options={"preprocess": {"resize": "letterbox"}},
    ),
    entry(
        "shapes-two-labels",
        "Shapes with a label missing",
        SEGMENTER,
        "onnx",
        ["shapes.onnx"],
        options={"labels": ["background", "disc"]},
    ),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("segmenters")
    network = shape_segmenter()
    export_torchscript(network, folder / "shapes.pt", (1, 3, 96, 96))
    export_onnx(
        network,
        folder / "shapes.onnx",
        (1, 3, 128, 128),
        names=json.dumps(list(SHAPE_LABELS)),
        mean="0.5,0.5,0.5",
        std="0.25,0.25,0.25",
    )
    registry(folder, *ENTRIES)
    return folder


@pytest.mark.parametrize(
    ("name", "runtime"), [("shapes-torchscript", "torch"), ("shapes-onnx", "auto")]
)
def test_fresh_shapes_are_found_through_the_whole_job(
    folder: Path, tmp_path: Path, name: str, runtime: str
) -> None:
    model = loaded(folder, name, runtime)
    image, truth = shapes_scene(np.random.default_rng(7), 192, 144, count=4, sizes=(0.15, 0.22))
    result, out = run_job(model, tmp_path, {"scene.png": image})
    assert [a.name for a in result.artifacts] == ["mask.png", "annotated.jpg", "result.json"]
    assert [a.role for a in result.artifacts] == ["mask", "annotated", "data"]
    mask = np.asarray(Image.open(out / "mask.png"))
    assert mask.shape == truth.shape
    for class_id in (1, 2):
        assert iou(mask == class_id, truth == class_id) > 0.9, (name, class_id)
    saved = json.loads((out / "result.json").read_text())
    found = {item["label"]: item for item in saved["items"]}
    assert set(found) == {"disc", "square"}
    assert found["disc"]["pixels"] == int((mask == 1).sum())
    assert found["disc"]["fraction"] == round(float((mask == 1).mean()), 4)
    assert found["square"]["color"] == colour_hex(2)
    assert saved["background_fraction"] == round(float((mask == 0).mean()), 4)
    assert cv2.imread(str(out / "annotated.jpg")).shape == image.shape
    # The summary goes to the API process pickled: its items as a plain list, no class map.
    assert type(pickle.loads(pickle.dumps(result.summary))["items"]) is list


def test_a_batch_writes_a_mask_beside_each_image(folder: Path, tmp_path: Path) -> None:
    model = loaded(folder, "shapes-torchscript")
    scenes = {f"s{i}.png": shapes_scene(np.random.default_rng(i), 80, 60)[0] for i in range(2)}
    result, out = run_job(model, tmp_path, scenes)
    names = [a.name for a in result.artifacts]
    assert names == [
        "001-s0.jpg",
        "001-s0-mask.png",
        "002-s1.jpg",
        "002-s1-mask.png",
        "results.json",
        "summary.csv",
        "results.zip",
    ]
    assert {a.role for a in result.artifacts if a.name.endswith("-mask.png")} == {"mask"}
    assert set(zipfile.ZipFile(out / "results.zip").namelist()) == set(names) - {"results.zip"}
    per_file = json.loads((out / "results.json").read_text())
    assert per_file[1]["mask"] == "002-s1-mask.png"
    assert np.asarray(Image.open(out / "002-s1-mask.png")).shape == (60, 80)


def test_a_label_count_that_differs_from_the_classes_is_refused(folder: Path) -> None:
    with pytest.raises(ValueError, match="gives 3 scores per pixel but 2 labels were given"):
        loaded(folder, "shapes-two-labels")
