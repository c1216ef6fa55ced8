"""A user's own weights through the API, per family and format not covered by
test_byo_families.py: upload (multipart) → validated in a process of its own → live → a
visitor's prediction gives the known answer. The cases alternate between the two stores
(SQLite, MongoDB), one server each for the module, so that both are exercised without
running every case twice.

- `yolo`, files as they are: the mirror's YOLOv8n int8 TFLite (LiteRT), the classic YOLOv5n
  exported to ONNX (ONNX Runtime, its class names from a labels file) and to an OpenVINO IR
  (`.xml` + `.bin`, OpenVINO) find the bus and at least four persons on bus.jpg; an
  Ultralytics `.pt` (the YOLOv8n definition with random weights: no trained one can be made
  offline) is served with the names it holds;
- `image-classification`: EfficientNet-Lite0 as TorchScript calls bus.jpg a minibus; the
  mirror's Keras gender classifier (`.h5`) with two labels answers on the face crops of
  face_test_image.jpg what the face-gender family's own Keras code answers;
- `image-segmentation`: the synthetic shapes segmenter as ONNX and as an OpenVINO IR
  recovers a fresh scene's shapes at IoU > 0.9;
- per family, a version whose labels do not fit the network fails validation with that
  reason in a sentence.

An uploaded IR's `.xml` and `.bin` are kept under names of their own sha256, so OpenVINO,
which reads the `.bin` of the `.xml`'s name, finds them through `weight_facts.ir_with_its_bin`
(both IR cases failed validation before it).

EfficientNet-Lite0 as TFLite is not here: nothing offline converts the PyTorch network to
TFLite (the acceptance tests convert only the Keras gender classifier)."""

from __future__ import annotations

import io
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from modelgallery.vision.families.gender_classifiers import GENDERS as FAMILY_GENDERS
from tests.acceptance.test_byo_classifier import GENDER_WEIGHTS, GREY
from tests.acceptance.test_byo_classifier import face_crops as face_crops  # a fixture
from tests.acceptance.test_byo_detectors import classic as classic  # a fixture
from tests.acceptance.test_detection import assert_bus_scene
from tests.conftest import MIRROR, backend_env, login
from tests.support.byo_models import ultralytics_checkpoint
from tests.support.generic_models import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    SHAPE_LABELS,
    channel_classifier,
    efficientnet_lite0,
    export_onnx,
    export_torchscript,
    imagenet_categories,
    iou,
    one_torch_thread,
    shape_segmenter,
    shapes_scene,
)
from tests.support.jobs import submit
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

GENDERS = list(FAMILY_GENDERS)  # woman, man: the face-gender family's order
THREE = {0: "cat", 1: "dog", 2: "traffic light"}
Part = tuple[str, tuple[str, bytes, str]]


def on(store: str, *values: Any, case: str) -> Any:
    """A case on `store` (the MongoDB ones marked as needing its test server)."""
    marks = [pytest.mark.mongodb] if store == "mongodb" else []
    return pytest.param(store, *values, id=f"{case}-{store}", marks=marks)


# --- one server per store ------------------------------------------------------------------


class Stores:
    """The backend on each store, started when a case first needs it: the toy registry, one
    worker in each group (`toy` serves the PyTorch, ONNX, OpenVINO and LiteRT models,
    `toyq` the Keras one: TensorFlow in a process of its own)."""

    def __init__(self, request: pytest.FixtureRequest, folder: Path) -> None:
        self._request, self._folder = request, folder
        self._running: dict[str, BackendServer] = {}

    def __call__(self, kind: str) -> BackendServer:
        if kind not in self._running:
            env = {**backend_env(kind, self._request), "WORKER_GROUPS": '{"toy": 1, "toyq": 1}'}
            self._running[kind] = BackendServer(self._folder / kind, env).start()
        return self._running[kind]

    def stop(self) -> None:
        """Both at once: each waits for its workers to end."""
        for server in self._running.values():
            if server.process is not None:
                server.process.terminate()
        for server in self._running.values():
            if server.process is not None:
                try:
                    server.process.wait(30)
                except subprocess.TimeoutExpired:
                    pass
            server.stop()  # what has not ended by now is killed, with its workers


@pytest.fixture(scope="module")
def stores(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stores]:
    started = Stores(request, tmp_path_factory.mktemp("byo-formats"))
    try:
        yield started
    finally:
        started.stop()


class Api:
    """An administrator and a visitor on one server."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)

    def create(self, name: str, family: str, group: str = "toy") -> None:
        body = {"id": name, "title": name, "task": family, "family": family, "group": group}
        created = self.http.post("/api/admin/catalog", json=body, headers=self.admin)
        assert created.status_code == 201, created.text

    def add(
        self, name: str, files: list[Part], options: dict[str, Any], runtime: str | None = None
    ) -> dict[str, Any]:
        """A version of `files`, once validation has settled it (ready or failed)."""
        data = {"options": json.dumps(options), **({"runtime": runtime} if runtime else {})}
        added = self.http.post(
            f"/api/admin/catalog/{name}/versions", files=files, data=data, headers=self.admin
        )
        assert added.status_code == 202, added.text
        number = added.json()["number"]
        deadline = time.monotonic() + 300
        while True:
            model = self.http.get(f"/api/admin/catalog/{name}", headers=self.admin).json()
            version: dict[str, Any] = next(v for v in model["versions"] if v["number"] == number)
            if version["state"] != "validating":
                return version
            assert time.monotonic() < deadline, version
            time.sleep(0.3)

    def live(
        self,
        name: str,
        family: str,
        files: list[Part],
        options: dict[str, Any],
        runtime: str | None = None,
        group: str = "toy",
    ) -> dict[str, Any]:
        """A new model of `family` whose first version, made of `files`, is validated (on
        `runtime` where one is named) and live."""
        self.create(name, family, group)
        version = self.add(name, files, options, runtime)
        assert version["state"] == "ready", version
        if runtime is not None:
            assert version["validation"]["runtime"]["chosen"] == runtime, version["validation"]
        made = self.http.post(
            f"/api/admin/catalog/{name}/versions/{version['id']}/live", headers=self.admin
        )
        assert made.status_code == 200, made.text
        return version

    def predict(self, name: str, content: bytes, file: str, media_type: str) -> dict[str, Any]:
        job: dict[str, Any] = submit(
            self.http, model=name, content=content, name=file, content_type=media_type, wait=120
        ).json()
        assert job["status"] == "succeeded", job
        return job


@pytest.fixture
def api(request: pytest.FixtureRequest, stores: Stores) -> Iterator[Api]:
    """The server of the case's store (`indirect` parametrisation)."""
    with stores(request.param).client() as http:
        yield Api(http)


def weight(path: Path) -> Part:
    return ("weights", (path.name, path.read_bytes(), "application/octet-stream"))


def example(name: str, content: bytes, media_type: str = "image/png") -> Part:
    return ("example", (name, content, media_type))


def png(image_bgr: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image_bgr[:, :, ::-1])).save(out, "PNG")
    return out.getvalue()


# --- what is uploaded, made once a module ----------------------------------------------------


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("byo-format-weights")


@pytest.fixture(scope="module")
def bus(samples: Path) -> bytes:
    return (samples / "bus.jpg").read_bytes()


@pytest.fixture(scope="module")
def effnet_torchscript(folder: Path) -> Path:
    path = folder / "efficientnet_lite0.pt"
    with one_torch_thread():
        export_torchscript(efficientnet_lite0(), path, (1, 3, 224, 224))
    (folder / "imagenet.txt").write_text("\n".join(imagenet_categories()) + "\n")
    return path


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shapes segmenter as ONNX (`shapes.onnx`) and as an OpenVINO IR converted from it
    (`shapes.xml`, `shapes.bin`)."""
    import openvino as ov

    folder = tmp_path_factory.mktemp("segmenter")
    export_onnx(shape_segmenter(), folder / "shapes.onnx", (1, 3, 96, 96))
    ov.save_model(ov.convert_model(str(folder / "shapes.onnx")), str(folder / "shapes.xml"))
    return folder


@pytest.fixture(scope="module")
def gender_reference(face_crops: list[np.ndarray]) -> np.ndarray:
    """What the face-gender family's own Keras classifier gives the crops: (N, 2)
    probabilities, woman then man."""
    from modelgallery.vision.families.gender_classifiers import KerasGender

    return np.asarray(KerasGender(MIRROR / GENDER_WEIGHTS, {}, "tensorflow", 1)(face_crops))


# --- detectors ------------------------------------------------------------------------------

DETECTORS = {  # case → (files, where: the mirror or the classic exports, runtime)
    "tflite": (["yolov8n_int8.tflite"], "mirror", "litert"),
    "classic-onnx": (["yolov5n.onnx", "coco.txt"], "classic", "onnxruntime"),
    "classic-ir": (["v5ir.xml", "v5ir.bin", "coco.txt"], "classic", "openvino"),
}


@pytest.mark.parametrize(
    ("api", "case"),
    [
        on("sqlite", "tflite", case="tflite"),
        on("mongodb", "classic-onnx", case="classic-onnx"),
        on("sqlite", "classic-ir", case="classic-ir"),
    ],
    indirect=["api"],
)
def test_an_uploaded_detector_file_finds_the_bus_and_the_people(
    api: Api, request: pytest.FixtureRequest, case: str, bus: bytes
) -> None:
    names, where, runtime = DETECTORS[case]
    source = MIRROR if where == "mirror" else request.getfixturevalue(where)
    files = [*(weight(source / n) for n in names), example("bus.jpg", bus, "image/jpeg")]
    version = api.live(case, "yolo", files, {}, runtime)
    classes = version["validation"]["classes"]
    assert len(classes) == 80 and {"person", "bus"} <= set(classes), classes
    counts = version["validation"]["example"]["counts"]
    assert counts.get("person", 0) >= 4 and counts.get("bus", 0) >= 1, counts

    job = api.predict(case, bus, "bus.jpg", "image/jpeg")
    items = job["result"]["items"]
    print(f"\n{case}: " + ", ".join(f"{i['label']} {i['confidence']:.2f}" for i in items))
    assert job["result_kind"] == "detections" and job["model_version"] == 1
    assert_bus_scene(items)
    assert job["result"]["provenance"]["runtime"] == runtime


@pytest.mark.parametrize("api", [on("mongodb", case="ultralytics-pt")], indirect=True)
def test_an_uploaded_ultralytics_checkpoint_serves_with_its_own_names(
    api: Api, folder: Path, bus: bytes
) -> None:
    """Random weights find nothing that means anything: the names it holds, the runtime
    and a finished job are what can be checked (at 320 px: the worker times batches of
    it at load)."""
    checkpoint = ultralytics_checkpoint(folder / "three.pt", THREE)
    version = api.live("mine-pt", "yolo", [weight(checkpoint)], {"imgsz": 320}, "torch")
    assert version["validation"]["classes"] == list(THREE.values())
    job = api.predict("mine-pt", bus, "bus.jpg", "image/jpeg")
    assert job["result_kind"] == "detections" and job["result"]["provenance"]["runtime"] == "torch"
    assert {i["label"] for i in job["result"]["items"]} <= set(THREE.values())
    assert job["result"]["model_classes"] == list(THREE.values())


# --- classifiers ----------------------------------------------------------------------------


@pytest.mark.parametrize("api", [on("sqlite", case="torchscript")], indirect=True)
def test_an_uploaded_torchscript_classifier_names_the_bus(
    api: Api, effnet_torchscript: Path, bus: bytes
) -> None:
    files = [
        weight(effnet_torchscript),
        weight(effnet_torchscript.with_name("imagenet.txt")),
        example("bus.jpg", bus, "image/jpeg"),
    ]
    options = {
        "labels": "imagenet.txt",
        "preprocess": {"size": [224, 224], "mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
    }
    version = api.live("effnet-ts", "image-classification", files, options, "torch")
    assert version["validation"]["example"]["category"] == "minibus"
    job = api.predict("effnet-ts", bus, "bus.jpg", "image/jpeg")
    top = job["result"]["prediction"]
    print(f"\nEfficientNet-Lite0 TorchScript: {top[:3]}")
    assert job["result_kind"] == "classification"
    assert (top[0]["class_id"], top[0]["label"]) == (654, "minibus")
    assert "streetcar" in [t["label"] for t in top[:3]] and 0.5 < top[0]["probability"] < 0.75


@pytest.mark.parametrize("api", [on("mongodb", case="keras-h5")], indirect=True)
def test_an_uploaded_keras_gender_classifier_answers_as_the_face_gender_family(
    api: Api, face_crops: list[np.ndarray], gender_reference: np.ndarray
) -> None:
    woman = int(np.argmax(gender_reference[:, 0]))
    files = [weight(MIRROR / GENDER_WEIGHTS), example("face.png", png(face_crops[woman]))]
    options = {"labels": GENDERS, **GREY}
    version = api.live("gender", "image-classification", files, options, "tensorflow", "toyq")
    assert version["validation"]["classes"] == GENDERS
    assert version["validation"]["example"]["category"] == "woman"
    answers = []
    for crop, expected in zip(face_crops, gender_reference, strict=True):
        job = api.predict("gender", png(crop), "face.png", "image/png")
        ranked = job["result"]["prediction"]
        answers.append(f"{ranked[0]['label']} {ranked[0]['probability']:.4f}")
        probabilities = {item["label"]: item["probability"] for item in ranked}
        for gender, probability in zip(GENDERS, expected, strict=True):
            assert probabilities[gender] == pytest.approx(float(probability), abs=2e-4)
        assert job["result"]["category"] == GENDERS[int(np.argmax(expected))]
    print(f"\nKeras gender on {len(answers)} face crops: {', '.join(answers)}")
    assert [a.split()[0] for a in answers].count("woman") == 1 and len(answers) >= 6


# --- segmenter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "names", "runtime"),
    [
        on("sqlite", ["shapes.onnx"], None, case="onnx"),
        on("mongodb", ["shapes.xml", "shapes.bin"], "openvino", case="openvino-ir"),
    ],
    indirect=["api"],
)
def test_an_uploaded_segmenter_finds_the_shapes(
    api: Api, segmenter: Path, names: list[str], runtime: str | None
) -> None:
    scene, _ = shapes_scene(np.random.default_rng(1), 96, 96)
    files = [*(weight(segmenter / n) for n in names), example("scene.png", png(scene))]
    options = {
        "labels": list(SHAPE_LABELS),
        "preprocess": {"size": [96, 96], "mean": [0.5], "std": [0.25]},
    }
    name = f"shapes-{len(names)}"
    api.live(name, "image-segmentation", files, options, runtime)
    scene, truth = shapes_scene(np.random.default_rng(7), 96, 96)
    job = api.predict(name, png(scene), "scene.png", "image/png")
    assert job["result_kind"] == "segmentation"
    mask_url = next(a["url"] for a in job["artifacts"] if a["name"] == "mask.png")
    mask = np.asarray(Image.open(io.BytesIO(api.http.get(mask_url).content)))
    found = {c: round(iou(mask == c, truth == c), 4) for c in (1, 2) if (truth == c).any()}
    print(f"\nshapes segmenter {names[0]} ({job['result']['provenance']['runtime']}): IoU {found}")
    assert found and all(value > 0.9 for value in found.values()), found


# --- versions that do not fit ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("api", "family", "reason"),
    [
        on(
            "mongodb",
            "image-classification",
            "the model gives 4 scores but 3 labels were given: give one label per score, "
            "in the order of the scores",
            case="classifier",
        ),
        on(
            "sqlite",
            "image-segmentation",
            "the model gives 3 scores per pixel but 2 labels were given: give one label per "
            "class, in the order of the scores",
            case="segmenter",
        ),
        on(
            "mongodb",
            "yolo",
            "the detector finds 80 classes but 3 labels were given (options.labels)",
            case="detector",
        ),
    ],
    indirect=["api"],
)
def test_labels_that_do_not_fit_fail_validation_with_the_reason(
    api: Api, request: pytest.FixtureRequest, folder: Path, family: str, reason: str
) -> None:
    if family == "image-classification":  # a tiny ONNX classifier of four classes
        network = folder / "four.onnx"
        channel_classifier(network, np.eye(3, 4, dtype=np.float32))
        labels: list[str] = ["a", "b", "c"]
    elif family == "image-segmentation":
        network = request.getfixturevalue("segmenter") / "shapes.onnx"
        labels = ["background", "disc"]
    else:
        network, labels = (
            request.getfixturevalue("classic") / "yolov5n.onnx",
            ["cat", "dog", "bird"],
        )
    name = f"misfit-{family}"
    api.create(name, family)
    version = api.add(name, [weight(network)], {"labels": labels}, "onnxruntime")
    print(f"\n{family}: {version['reason']}")
    assert version["state"] == "failed" and version["reason"] == reason, version
    refused = api.http.post(
        f"/api/admin/catalog/{name}/versions/{version['id']}/live", headers=api.admin
    )
    assert refused.status_code == 409, refused.text
