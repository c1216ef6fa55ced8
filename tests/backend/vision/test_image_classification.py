"""The generic image classifier without real weights: preprocessing on known pixels, what
the weights say and what an entry declares, scores made probabilities, the "uncertain"
rule, and a tiny ONNX classifier (its answer known for any image) through the registry,
on both of its runtimes, down to the files of a job; and the sentences an administrator
reads for weights that do not fit their entry."""

from __future__ import annotations

import csv
import io
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.families.image_classification import (
    ClassifySettings,
    decide,
    probabilities,
)
from modelgallery.vision.preprocess import Preprocessing, resolve, to_batch
from modelgallery.vision.runtimes.generic_net import ALL_RUNTIMES, RUNTIMES, _builds
from modelgallery.vision.weight_facts import WeightsFacts
from tests.support.generic_models import (
    CLASSIFIER,
    channel_classifier,
    entry,
    loaded,
    registry,
    run_job,
)

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")
ov = pytest.importorskip("openvino")

BGR = (10, 100, 200)  # blue 10, green 100, red 200
COLOURS = ["red", "green", "blue"]


def facts(shape: tuple[int | None, ...] | None = None, **more: Any) -> WeightsFacts:
    return WeightsFacts(Path("net.onnx"), "onnx", shape, **more)


# --- preprocessing --------------------------------------------------------------------------


def test_an_image_becomes_normalised_rgb_nchw_by_default() -> None:
    image = np.full((30, 40, 3), BGR, np.uint8)
    spec = resolve(Preprocessing(size=(8, 6), mean=(0.5, 0.5, 0.5), std=(0.25, 0.5, 1)), facts())
    prepared = to_batch(image, spec)
    assert prepared.batch.shape == (1, 3, 6, 8) and prepared.batch.dtype == np.float32
    expected = [(200 / 255 - 0.5) / 0.25, (100 / 255 - 0.5) / 0.5, (10 / 255 - 0.5) / 1]
    assert np.allclose(prepared.batch[0, :, 3, 4], expected, atol=1e-6)
    assert prepared.placement.inner == (0, 0, 8, 6) and prepared.placement.source == (0, 0, 40, 30)


def test_channel_order_colour_layout_and_dtype_are_as_declared() -> None:
    image = np.full((20, 20, 3), BGR, np.uint8)
    bgr = resolve(Preprocessing(size=(4, 4), channels="bgr", scale=1, layout="nhwc"), facts())
    assert to_batch(image, bgr).batch.shape == (1, 4, 4, 3)
    assert tuple(to_batch(image, bgr).batch[0, 0, 0]) == BGR
    gray = resolve(Preprocessing(size=(4, 4), colour="grayscale", scale=1), facts())
    assert to_batch(image, gray).batch.shape == (1, 1, 4, 4)
    assert to_batch(image, gray).batch[0, 0, 0, 0] == round(0.299 * 200 + 0.587 * 100 + 0.114 * 10)
    raw = resolve(Preprocessing(size=(4, 4)), facts(dtype="uint8"))
    batch = to_batch(image, raw).batch
    assert batch.dtype == np.uint8 and tuple(batch[0, :, 0, 0]) == (200, 100, 10)


def test_letterbox_pads_and_center_crop_keeps_the_middle() -> None:
    image = np.full((50, 100, 3), 255, np.uint8)  # twice as wide as high
    boxed = to_batch(image, resolve(Preprocessing(size=(20, 20), resize="letterbox"), facts()))
    assert boxed.placement.inner == (0, 5, 20, 15)  # 20x10 in the middle, black above, below
    assert boxed.batch[0, 0, 2, 10] == 0 and boxed.batch[0, 0, 10, 10] == pytest.approx(1)
    cropped = to_batch(image, resolve(Preprocessing(size=(20, 20), resize="center-crop"), facts()))
    assert cropped.placement.inner == (0, 0, 20, 20)
    assert cropped.placement.source == (25, 0, 75, 50)  # the middle square of the image


def test_declared_values_win_over_metadata_but_not_over_a_fixed_graph() -> None:
    meta = facts((1, 3, None, None), size=(320, 320), mean=(0.1, 0.1, 0.1))
    spec = resolve(Preprocessing(size=(224, 200), mean=(0.5, 0.5, 0.5)), meta)
    assert spec.size == (224, 200) and spec.mean == (0.5, 0.5, 0.5)
    assert resolve(Preprocessing(), meta).size == (320, 320)
    with pytest.raises(ValueError, match=r"net.onnx takes 8x8 images, but .* says 16x16"):
        resolve(Preprocessing(size=(16, 16)), facts((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="takes images of 3 channels, but .* grayscale"):
        resolve(Preprocessing(colour="grayscale"), facts((1, 3, 8, 8)))


def test_a_missing_size_or_a_wrong_mean_is_said_in_a_sentence() -> None:
    script = WeightsFacts(Path("net.pt"), "torchscript")
    with pytest.raises(ValueError, match="a TorchScript file never says it.*size = \\[224, 224\\]"):
        resolve(Preprocessing(), script)
    with pytest.raises(ValueError, match="mean has 2 values for an input of 3 channels"):
        resolve(Preprocessing(size=(8, 8), mean=(0.5, 0.5)), facts())
    caffe = resolve(Preprocessing(size=(8, 8), mean=(104.0, 117.0, 123.0)), facts())
    assert caffe.scale == 1  # a mean above 1 is on 0..255 pixels


# --- scores, probabilities and the answer -------------------------------------------------


def test_softmax_only_where_the_scores_are_not_probabilities() -> None:
    logits = np.asarray([2.0, 0.0, -1.0])
    assert probabilities(logits, False, "auto", 3).sum() == pytest.approx(1)
    assert probabilities(logits, False, "auto", 3)[0] == pytest.approx(0.8438, abs=1e-4)
    already = np.asarray([0.7, 0.2, 0.1])
    assert np.allclose(probabilities(already, False, "auto", 3), already)
    assert probabilities(already, False, "logits", 3)[0] != pytest.approx(0.7)
    several = probabilities(np.asarray([3.0, -3.0]), True, "auto", 2)
    assert several == pytest.approx([0.9526, 0.0474], abs=1e-4)  # a sigmoid per class
    binary = probabilities(np.asarray([0.8]), False, "auto", 2)
    assert binary == pytest.approx([0.2, 0.8])  # one score: the second label's


@pytest.mark.parametrize(
    ("top", "category", "reasons"),
    [(0.9, "cat", []), (0.5, "cat", []), (0.49, "uncertain", ["low_probability"])],
)
def test_below_min_probability_the_answer_is_uncertain(
    top: float, category: str, reasons: list[str]
) -> None:
    items = [{"label": "cat", "class_id": 0, "probability": top}]
    ranking = decide(items, False, ClassifySettings(5, 0.5, 0.5))
    assert (ranking.category, ranking.uncertain) == (category, reasons)


def test_several_labels_are_those_from_the_threshold() -> None:
    items = [
        {"label": "dog", "class_id": 1, "probability": 0.9},
        {"label": "cat", "class_id": 0, "probability": 0.6},
        {"label": "car", "class_id": 2, "probability": 0.1},
    ]
    ranking = decide(items, True, ClassifySettings(5, 0.5, 0.5))
    assert ranking.category == "dog" and ranking.above == ["dog", "cat"]
    none = decide(items, True, ClassifySettings(5, 0.5, 0.95))
    assert none.category == "uncertain" and none.uncertain == ["below_threshold"]


# --- a tiny classifier through the registry -------------------------------------------------


ENTRIES = [
    entry("colours", "Colours", CLASSIFIER, "onnx", ["colours.onnx"], max_files=5),
    entry(
        "colours-file-labels",
        "Colours, labels from a file",
        CLASSIFIER,
        "onnx",
        ["colours.onnx", "colours.txt"],
        options={"labels": "colours.txt"},
    ),
    entry(
        "colours-several",
        "Colours, several per image",
        CLASSIFIER,
        "onnx",
        ["colours.onnx"],
        options={"multi_label": True},
    ),
    entry(
        "colours-openvino-ir",
        "Colours as OpenVINO IR, labels in its model_info",
        CLASSIFIER,
        "onnx",
        ["colours.xml", "colours.bin"],
    ),
    entry("ir-without-bin", "OpenVINO IR without its .bin", CLASSIFIER, "onnx", ["lonely.xml"]),
    entry(
        "two-labels",
        "Two labels for three scores",
        CLASSIFIER,
        "onnx",
        ["colours.onnx"],
        options={"labels": ["red", "green"]},
    ),
    entry(
        "wrong-size",
        "A size the graph does not take",
        CLASSIFIER,
        "onnx",
        ["colours.onnx"],
        options={"preprocess": {"size": [16, 16]}},
    ),
    entry("not-onnx", "Not ONNX", CLASSIFIER, "onnx", ["photo.onnx"]),
    entry(
        "checkpoint",
        "A checkpoint, not TorchScript",
        CLASSIFIER,
        "torch",
        ["checkpoint.pt"],
        options={"preprocess": {"size": [8, 8]}},
    ),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("classifiers")
    # Scores 20 x the mean of each channel (RGB): a red image is "red", and so on.
    channel_classifier(folder / "colours.onnx", np.eye(3) * 20, {"names": json.dumps(COLOURS)})
    (folder / "colours.txt").write_text("rouge\nvert\nbleu\n\n")
    ir = ov.Core().read_model(str(folder / "colours.onnx"))
    ir.set_rt_info("rot grün blau", ["model_info", "labels"])  # OpenVINO's model API's way
    ov.save_model(ir, str(folder / "colours.xml"))
    (folder / "lonely.xml").write_text((folder / "colours.xml").read_text())
    (folder / "photo.onnx").write_bytes(cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))[1])
    with zipfile.ZipFile(folder / "checkpoint.pt", "w") as checkpoint:  # torch.save's layout
        checkpoint.writestr("checkpoint/data.pkl", b"not code")
    registry(folder, *ENTRIES)
    return folder


@pytest.mark.parametrize("runtime", ["onnxruntime", "openvino"])
def test_a_red_image_is_red_on_each_runtime(folder: Path, runtime: str) -> None:
    model = loaded(folder, "colours", runtime)
    assert model.runtime.chosen == runtime
    assert model.labels == COLOURS  # from the graph's metadata
    result = model.predict_image(np.full((40, 60, 3), (0, 0, 255), np.uint8), {"top_k": 2})
    assert [item["label"] for item in result.items] == ["red", "green"]
    assert result.items[0] == {"label": "red", "class_id": 0, "probability": 1.0}
    assert result.summary["category"] == "red" and result.summary["uncertain"] == []
    grey = model.predict_image(np.full((40, 60, 3), 128, np.uint8), {})
    assert grey.summary["category"] == "uncertain"  # three equal scores: a third each
    assert grey.summary["uncertain"] == ["low_probability"]


def test_auto_times_both_runtimes_of_an_onnx_file(folder: Path) -> None:
    choice = loaded(folder, "colours", warm=False).runtime
    assert {c.name for c in choice.candidates} == {"onnxruntime", "openvino"}
    assert all(c.ms is not None for c in choice.candidates)


def test_labels_may_come_from_a_file_among_the_weights(folder: Path) -> None:
    model = loaded(folder, "colours-file-labels")
    green = model.predict_image(np.full((8, 8, 3), (0, 255, 0), np.uint8), {})
    assert green.summary["category"] == "vert"


def test_several_labels_per_image_take_a_sigmoid_per_class(folder: Path) -> None:
    model = loaded(folder, "colours-several")
    magenta = np.full((8, 8, 3), (255, 0, 255), np.uint8)  # red and blue, no green
    result = model.predict_image(magenta, {"threshold": 0.9})
    assert result.summary["multi_label"] is True
    assert result.summary["labels"] == ["red", "blue"] and result.summary["category"] == "red"
    assert [i["probability"] for i in result.items] == [1.0, 1.0, 0.5]  # sigmoid(20 x mean)


def test_openvino_ir_says_its_own_labels(folder: Path) -> None:
    model = loaded(folder, "colours-openvino-ir")
    assert model.runtime.chosen == "openvino" and model.labels == ["rot", "grün", "blau"]
    blue = model.predict_image(np.full((8, 8, 3), (255, 0, 0), np.uint8), {})
    assert blue.summary["category"] == "blau"


def test_the_runtimes_of_each_format_are_declared_in_order() -> None:
    for fmt, runtimes in RUNTIMES.items():
        assert tuple(_builds(Path("net"), fmt)) == runtimes, fmt
    assert set(ALL_RUNTIMES) == {r for runtimes in RUNTIMES.values() for r in runtimes}


def test_a_job_writes_the_answer_and_a_captioned_image(folder: Path, tmp_path: Path) -> None:
    model = loaded(folder, "colours")
    result, out = run_job(model, tmp_path, {"sky.png": np.full((60, 80, 3), (255, 0, 0), np.uint8)})
    assert [a.name for a in result.artifacts] == ["annotated.jpg", "result.json"]
    saved = json.loads((out / "result.json").read_text())
    assert saved["category"] == "blue" and saved["multi_label"] is False
    assert saved["prediction"] == saved["items"] and saved["items"][0]["label"] == "blue"
    assert saved["model_classes"] == COLOURS
    assert type(pickle.loads(pickle.dumps(result.summary))["items"]) is list  # to the API
    annotated = cv2.imread(str(out / "annotated.jpg"))
    assert annotated.shape == (60, 80, 3) and not np.array_equal(annotated[5, 5], annotated[55, 75])


def test_a_batch_lists_each_answer_in_the_csv(folder: Path, tmp_path: Path) -> None:
    model = loaded(folder, "colours")
    red, green = (np.full((20, 20, 3), bgr, np.uint8) for bgr in ((0, 0, 255), (0, 255, 0)))
    _, out = run_job(model, tmp_path, {"a.png": red, "b.png": green})
    rows = list(csv.DictReader(io.StringIO((out / "summary.csv").read_text())))
    assert [(r["file"], r["category"], r["probability"]) for r in rows] == [
        ("a.png", "red", "1.0"),
        ("b.png", "green", "1.0"),
    ]


def test_a_label_count_that_differs_from_the_scores_is_refused(folder: Path) -> None:
    with pytest.raises(ValueError, match="the model gives 3 scores but 2 labels were given"):
        loaded(folder, "two-labels")
    model = loaded(folder, "colours")
    model.check_loaded()  # it fits
    model.labels = ["red"]
    with pytest.raises(ValueError, match="the model gives 3 scores but 1 label was given"):
        model.check_loaded()


def test_weights_that_do_not_fit_their_entry_are_said_in_a_sentence(folder: Path) -> None:
    with pytest.raises(ValueError, match="colours.onnx takes 8x8 images, but .* says 16x16"):
        loaded(folder, "wrong-size")
    with pytest.raises(ValueError, match="photo.onnx is not an ONNX model"):
        loaded(folder, "not-onnx")
    with pytest.raises(ValueError, match="checkpoint.pt is not a TorchScript file.*torch.jit"):
        loaded(folder, "checkpoint")
    with pytest.raises(ValueError, match="lonely.xml needs lonely.bin beside it"):
        loaded(folder, "ir-without-bin")
