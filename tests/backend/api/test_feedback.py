"""Feedback into training through the real server, on SQLite and on MongoDB: users flag their
own finished results as wrong (with a note, a class, boxes), administrators list the flags
and export each flagged set, which is read back by a reader of its format: YOLO by
ultralytics' label checker and data.yaml, COCO by pycocotools, class folders by torchvision's
ImageFolder, volumes by nibabel.

The flagged predictions are written into the server's store with the results a model would
have recorded (tests/support/made_jobs.py), on the real sample images; one runs for real on
a tiny ONNX classifier."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import secrets
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from tests.conftest import BACKENDS, backend_env
from tests.support.generic_models import CLASSIFIER, channel_classifier, entry
from tests.support.jobs import png_bytes, submit
from tests.support.made_jobs import T0, made_job
from tests.support.server import TOY_REGISTRY, BackendServer

COLOURS = ["red", "green", "blue"]
DETECTOR_CLASSES = ["person", "bicycle", "car", "bus", "stop sign"]
BUS_ITEMS = [  # bus.jpg is 810 x 1080
    {"class_id": 3, "label": "bus", "confidence": 0.9, "box": [17.0, 230.0, 801.0, 768.0]},
    {"class_id": 0, "label": "person", "confidence": 0.8, "box": [48.0, 399.0, 245.0, 903.0]},
    {"class_id": 0, "label": "person", "confidence": 0.7, "box": [670.0, 380.0, 810.4, 876.0]},
    {"class_id": 4, "label": "stop sign", "confidence": 0.4, "box": [0.0, 550.0, 63.0, 873.0]},
]
ZIDANE_ITEMS = [  # zidane.jpg is 1280 x 720
    {"class_id": 0, "label": "person", "confidence": 0.8, "box": [747.0, 41.0, 1141.0, 712.0]},
]
FACES = [  # face_test_image.jpg is 2048 x 1536
    {"box": [100, 200, 300, 420], "confidence": 0.9, "gender": "woman", "probability": 0.91},
    {"box": [900, 300, 1100, 560], "confidence": 0.8, "gender": "uncertain", "probability": 0.6},
]


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    data = tmp_path_factory.mktemp(f"feedback-{request.param}")
    (data / "models").mkdir()
    # A red image scores highest for "red", and so on (the labels are in the graph).
    channel_classifier(
        data / "models" / "colours.onnx", np.eye(3) * 20, {"names": json.dumps(COLOURS)}
    )
    registry = data / "models.toml"
    colours = entry("colours", "Colours", CLASSIFIER, "toy", ["colours.onnx"])
    registry.write_text(TOY_REGISTRY.read_text() + "\n" + colours + "\n")
    env = {**backend_env(request.param, request), "MODELS_FILE": str(registry)}
    with BackendServer(data, env) as running:
        running.kind = request.param
        yield running


def _signup(http: httpx.Client, name: str) -> tuple[str, dict[str, str]]:
    email = f"{name}-{secrets.token_hex(4)}@example.org"
    answer = http.post("/api/auth/signup", json={"email": email, "password": "a long password"})
    assert answer.status_code == 201, answer.text
    http.cookies.clear()
    body = answer.json()
    return body["user"]["id"], {"Authorization": f"Bearer {body['access_token']}"}


def _jpeg(samples: Path, name: str) -> tuple[str, bytes, str]:
    return name, (samples / name).read_bytes(), "image/jpeg"


def _detections(name: str, size: tuple[int, int], items: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "file": name,
        "width": size[0],
        "height": size[1],
        "count": len(items),
        "items": items,
        "model_classes": DETECTOR_CLASSES,
    }


def _flag(http: httpx.Client, job_id: str, headers: dict[str, str], **body: Any) -> httpx.Response:
    return http.post(f"/api/predictions/{job_id}/feedback", json=body, headers=headers)


def _export(http: httpx.Client, admin: dict[str, str], **query: Any) -> zipfile.ZipFile:
    answer = http.get("/api/admin/feedback/export", params=query, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/zip"
    assert "attachment" in answer.headers["content-disposition"]
    return zipfile.ZipFile(io.BytesIO(answer.content))


def _unpack(archive: zipfile.ZipFile, folder: Path) -> Path:
    archive.extractall(folder)
    return folder


def _image_folder(path: Path) -> Any:
    from modelgallery.vision.runtimes.torch_compat import ensure_torchvision_ops

    ensure_torchvision_ops()  # before torchvision is imported
    from torchvision.datasets import ImageFolder

    return ImageFolder(str(path))


def _rows(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(name).decode())))


# --- detections: YOLO and COCO -------------------------------------------------------------


def test_flagged_detections_export_as_yolo_and_coco(
    server: BackendServer,
    client: httpx.Client,
    admin_headers: dict[str, str],
    samples: Path,
    tmp_path: Path,
) -> None:
    user_id, user = _signup(client, "spotter")
    model = f"detector-{secrets.token_hex(3)}"
    bus = made_job(
        server,
        model,
        "detections",
        _detections("bus.jpg", (810, 1080), BUS_ITEMS),
        [_jpeg(samples, "bus.jpg")],
        user_id=user_id,
    )
    zidane = made_job(
        server,
        model,
        "detections",
        _detections("zidane.jpg", (1280, 720), ZIDANE_ITEMS),
        [_jpeg(samples, "zidane.jpg")],
        user_id=user_id,
    )
    # the "stop sign" is a person: marked wrong and given again with the right class
    corrected = _flag(
        client,
        bus.id,
        user,
        note="the sign is a child",
        wrong=[3],
        boxes=[{"label": "person", "box": [0, 550, 63, 873]}],
    )
    assert corrected.status_code == 201, corrected.text
    flag = corrected.json()
    assert flag["correction"]["wrong"] == [3] and flag["state"] == "open"
    assert flag["user_email"] is None and flag["anonymous"] is False  # users see no e-mails
    assert _flag(client, zidane.id, user, note="missed the ball").status_code == 201

    listed = client.get("/api/admin/feedback", params={"model": model}, headers=admin_headers)
    assert listed.status_code == 200, listed.text
    page = listed.json()
    assert page["count"] == 2 and [f["job_id"] for f in page["data"]] == [zidane.id, bus.id]
    assert page["data"][1]["user_email"].startswith("spotter-")
    assert page["data"][1]["job"]["thumbnail"] == f"/api/predictions/{bus.id}/inputs/input-0.jpg"
    one = client.get(f"/api/admin/feedback/jobs/{bus.id}", headers=admin_headers).json()
    assert one["job"]["id"] == bus.id and [f["id"] for f in one["flags"]] == [flag["id"]]

    yolo = _export(client, admin_headers, model=model, format="yolo")
    root = _unpack(yolo, tmp_path / "yolo")
    names = _data_yaml(root / "data.yaml")
    assert names == DETECTOR_CLASSES
    expected = {
        bus.id: [
            ("bus", BUS_ITEMS[0]["box"]),
            ("person", BUS_ITEMS[1]["box"]),
            ("person", [670, 380, 810, 876]),
            ("person", [0, 550, 63, 873]),
        ],
        zidane.id: [("person", ZIDANE_ITEMS[0]["box"])],
    }
    sizes = {bus.id: (810, 1080), zidane.id: (1280, 720)}
    from ultralytics.data.utils import verify_image_label

    for job_id, boxes in expected.items():
        image, label = root / "images" / f"{job_id}.jpg", root / "labels" / f"{job_id}.txt"
        assert (
            image.read_bytes()
            == (samples / ("bus.jpg" if job_id == bus.id else "zidane.jpg")).read_bytes()
        )
        checked = verify_image_label((str(image), str(label), "", False, len(names), 0, 0, False))
        assert checked[-1] == "" and checked[6] == 1, checked  # found, no warning
        width, height = sizes[job_id]
        rows = sorted(_yolo_row(names.index(name), box, width, height) for name, box in boxes)
        assert np.allclose(sorted(checked[1].tolist()), rows, atol=1e-5)
    # what ultralytics' trainer reads: data.yaml as exported, its paths relative to itself
    from ultralytics.data.dataset import YOLODataset
    from ultralytics.data.utils import check_det_dataset

    data = check_det_dataset(str(root / "data.yaml"), autodownload=False)
    assert Path(data["train"]) == root / "images"
    dataset = YOLODataset(img_path=data["train"], data=data, task="detect", imgsz=320)
    assert sorted(len(labels["cls"]) for labels in dataset.labels) == [1, 4]
    manifest = {row["job"]: row for row in _rows(yolo, "manifest.csv")}
    assert manifest[bus.id]["labels_from"] == "correction"
    assert manifest[zidane.id]["labels_from"] == "model"
    assert manifest[bus.id]["notes"] == "the sign is a child"
    assert "1 labelled from a user's correction" in yolo.read("README.txt").decode()

    from pycocotools.coco import COCO

    coco_zip = _export(client, admin_headers, model=model, format="coco")
    root = _unpack(coco_zip, tmp_path / "coco")
    coco = COCO(str(root / "annotations" / "instances.json"))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == DETECTOR_CLASSES
    assert min(coco.getCatIds()) == 1
    by_file = {img["file_name"]: img for img in coco.loadImgs(coco.getImgIds())}
    image = by_file[f"{bus.id}.jpg"]
    assert (image["width"], image["height"]) == (810, 1080)
    assert (root / "images" / image["file_name"]).is_file()
    found = sorted(
        (coco.loadCats(a["category_id"])[0]["name"], [round(v) for v in a["bbox"]])
        for a in coco.loadAnns(coco.getAnnIds(imgIds=image["id"]))
    )
    assert found == sorted(
        (name, [round(box[0]), round(box[1]), round(box[2] - box[0]), round(box[3] - box[1])])
        for name, box in expected[bus.id]
    )

    wrong_format = client.get(
        "/api/admin/feedback/export",
        params={"model": model, "format": "folders"},
        headers=admin_headers,
    )
    assert wrong_format.status_code == 422 and "detections" in wrong_format.json()["detail"]
    audit = client.get("/api/admin/audit", params={"action": "feedback."}, headers=admin_headers)
    exports = [e for e in audit.json()["data"] if e["action"] == "feedback.export"]
    assert {e["details"]["format"] for e in exports if e["target"] == model} == {"yolo", "coco"}


def _data_yaml(path: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(path.read_text())
    assert (data["train"], data["val"]) == ("images", "images")  # relative to data.yaml
    assert data["nc"] == len(data["names"])
    return [data["names"][i] for i in range(len(data["names"]))]


def _yolo_row(
    index: int, box: list[float], width: int, height: int
) -> tuple[float, float, float, float, float]:
    x1, y1, x2, y2 = box
    return (
        float(index),
        (x1 + x2) / 2 / width,
        (y1 + y2) / 2 / height,
        (x2 - x1) / width,
        (y2 - y1) / height,
    )


# --- faces: COCO with the gender as the category -------------------------------------------


def test_flagged_faces_export_as_coco_with_the_gender_as_category(
    server: BackendServer,
    client: httpx.Client,
    admin_headers: dict[str, str],
    samples: Path,
    tmp_path: Path,
) -> None:
    owner = secrets.token_urlsafe(32)  # an anonymous visitor's browser
    model = f"faces-{secrets.token_hex(3)}"
    result = {"file": "face.jpg", "width": 2048, "height": 1536, "count": 2, "items": FACES}
    job = made_job(
        server,
        model,
        "faces",
        result,
        [_jpeg(samples, "face_test_image.jpg")],
        owner=hashlib.sha256(owner.encode()).hexdigest(),
    )
    mine = {"X-Owner-Token": owner}
    not_a_gender = _flag(
        client, job.id, mine, wrong=[0], boxes=[{"label": "cat", "box": [1, 1, 9, 9]}]
    )
    assert not_a_gender.status_code == 422 and "'woman' or 'man'" in not_a_gender.json()["detail"]
    stranger = _flag(client, job.id, {"X-Owner-Token": secrets.token_urlsafe(32)}, note="no")
    assert stranger.status_code == 403  # the link lets others view it, not report it
    flagged = _flag(
        client, job.id, mine, wrong=[0], boxes=[{"label": "man", "box": [100, 200, 300, 420]}]
    )
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["anonymous"] is True

    from pycocotools.coco import COCO

    archive = _export(client, admin_headers, model=model, format="coco")
    root = _unpack(archive, tmp_path / "faces")
    coco = COCO(str(root / "annotations" / "instances.json"))
    categories = {c["id"]: c["name"] for c in coco.loadCats(coco.getCatIds())}
    assert categories == {1: "woman", 2: "man", 3: "uncertain"}
    annotations = coco.loadAnns(coco.getAnnIds())
    found = sorted((categories[a["category_id"]], a["bbox"], a["attributes"]) for a in annotations)
    assert found == [
        ("man", [100, 200, 200, 220], {"gender": "man"}),
        ("uncertain", [900, 300, 200, 260], {"gender": "uncertain"}),
    ]
    assert "the category of a box is the gender" in archive.read("README.txt").decode()
    yolo = client.get(
        "/api/admin/feedback/export",
        params={"model": model, "format": "yolo"},
        headers=admin_headers,
    )
    assert yolo.status_code == 422 and "coco" in yolo.json()["detail"]


# --- classifications: one folder per class; a batch; expired files -------------------------


def test_flagged_classifications_export_as_class_folders(
    server: BackendServer,
    client: httpx.Client,
    admin_headers: dict[str, str],
    samples: Path,
    tmp_path: Path,
) -> None:
    user_id, user = _signup(client, "sorter")
    model = f"classifier-{secrets.token_hex(3)}"
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as upload:
        upload.write(samples / "bus.jpg", "street/bus.jpg")
        upload.write(samples / "zidane.jpg", "zidane.jpg")
    per_file = [
        {
            "file": "street/bus.jpg",
            "width": 810,
            "height": 1080,
            "category": "bus",
            "probability": 0.9,
            "items": [],
            "annotated": "001-bus.jpg",
        },
        {
            "file": "zidane.jpg",
            "width": 1280,
            "height": 720,
            "category": "uncertain",
            "probability": 0.4,
            "items": [],
            "annotated": "002-zidane.jpg",
        },
    ]
    classes = ["bus", "person", "car"]
    batch = made_job(
        server,
        model,
        "batch",
        {"files": 2, "succeeded": 2, "failed": 0, "per_file": per_file, "model_classes": classes},
        [("photos.zip", archive.getvalue(), "application/zip")],
        outputs=[("001-bus.jpg", b"x", "image/jpeg", "annotated")],
        user_id=user_id,
    )
    single = {
        "file": "bus.jpg",
        "width": 810,
        "height": 1080,
        "category": "car",
        "items": [],
        "model_classes": classes,
    }
    expired = made_job(
        server,
        model,
        "classification",
        single,
        [_jpeg(samples, "bus.jpg")],
        user_id=user_id,
        files_expired_at=T0,
        files_purged=True,
    )
    unknown = _flag(client, batch.id, user, file=1, label="giraffe")
    assert unknown.status_code == 422 and "'person'" in unknown.json()["detail"]
    no_file = _flag(client, batch.id, user, label="person")
    assert no_file.status_code == 422 and "which file" in no_file.json()["detail"]
    outside = _flag(client, batch.id, user, file=7, label="person")
    assert outside.status_code == 422 and "0 to 1" in outside.json()["detail"]
    boxes = _flag(client, batch.id, user, file=0, wrong=[0])
    assert boxes.status_code == 422 and "right class" in boxes.json()["detail"]
    assert _flag(client, batch.id, user, file=1, label="person").status_code == 201
    assert _flag(client, batch.id, user, note="check them all").status_code == 201
    assert _flag(client, expired.id, user, note="not a car").status_code == 201
    listed = client.get("/api/admin/feedback", params={"model": model}, headers=admin_headers)
    thumbnails = {f["file"]: f["job"]["thumbnail"] for f in listed.json()["data"] if f["job"]}
    assert thumbnails[1] == f"/api/predictions/{batch.id}/files/002-zidane.jpg"

    exported = _export(client, admin_headers, model=model, format="folders")
    root = _unpack(exported, tmp_path / "folders")
    dataset = _image_folder(root / "train")
    assert dataset.classes == ["bus", "person"]
    found = sorted((Path(path).name, dataset.classes[target]) for path, target in dataset.samples)
    assert found == [(f"{batch.id}-001.jpg", "bus"), (f"{batch.id}-002.jpg", "person")]
    assert (root / "train" / "person" / f"{batch.id}-002.jpg").read_bytes() == (
        samples / "zidane.jpg"
    ).read_bytes()
    skipped = _rows(exported, "skipped.csv")
    assert [(r["job"], r["reason"]) for r in skipped] == [
        (expired.id, "the files of this prediction were deleted by an administrator on 2025-03-01")
    ]
    readme = exported.read("README.txt").decode()
    assert "Left out: 1" in readme and expired.id in readme


# --- volumes: NIfTI images with their masks -------------------------------------------------


def test_flagged_volumes_export_as_nifti_pairs(
    server: BackendServer,
    client: httpx.Client,
    admin_headers: dict[str, str],
    samples: Path,
    tmp_path: Path,
) -> None:
    import nibabel as nib

    user_id, user = _signup(client, "radiologist")
    model = f"skin-{secrets.token_hex(3)}"
    volume = nib.load(samples / "ch2.nii.gz")
    mask = (np.asarray(volume.dataobj) > 60).astype(np.uint8)
    mask_file = tmp_path / "mask.nii.gz"
    nib.save(nib.Nifti1Image(mask, volume.affine), mask_file)
    source = (samples / "ch2.nii.gz").read_bytes()
    job = made_job(
        server,
        model,
        "volume-mask",
        {"voxels": int(mask.sum()), "shape": list(mask.shape)},
        [("head.nii.gz", source, "application/x-nifti+gzip")],
        outputs=[("skin_mask.nii.gz", mask_file.read_bytes(), "application/gzip", "mask")],
        user_id=user_id,
    )
    nothing = made_job(
        server,
        model,
        "volume-mask",
        {"nothing_found": True},
        [("empty.nii.gz", source, "application/x-nifti+gzip")],
        user_id=user_id,
    )
    box = _flag(client, job.id, user, boxes=[{"label": "skin", "box": [0, 0, 1, 1]}])
    assert box.status_code == 422 and "note" in box.json()["detail"]
    assert _flag(client, job.id, user, note="the ear is missing").status_code == 201
    assert _flag(client, nothing.id, user, note="there is skin").status_code == 201

    archive = _export(client, admin_headers, model=model, format="volumes")
    root = _unpack(archive, tmp_path / "volumes")
    image = nib.load(root / "images" / f"{job.id}.nii.gz")
    written = nib.load(root / "masks" / f"{job.id}.nii.gz")
    assert image.shape == written.shape == mask.shape
    assert np.array_equal(np.asarray(written.dataobj), mask)
    assert np.array_equal(np.asarray(image.dataobj), np.asarray(volume.dataobj))
    assert gzip.decompress((root / "images" / f"{job.id}.nii.gz").read_bytes())
    assert [r["job"] for r in _rows(archive, "skipped.csv")] == [nothing.id]
    assert "corrected mask cannot be given" in archive.read("README.txt").decode()


# --- who may report what, and when ----------------------------------------------------------


def test_reports_are_refused_with_a_clear_status(
    server: BackendServer,
    client: httpx.Client,
    admin_headers: dict[str, str],
    samples: Path,
) -> None:
    owner_id, owner = _signup(client, "owner")
    _, other = _signup(client, "other")
    model = f"detector-{secrets.token_hex(3)}"
    result = _detections("bus.jpg", (810, 1080), BUS_ITEMS)
    job = made_job(
        server, model, "detections", result, [_jpeg(samples, "bus.jpg")], user_id=owner_id
    )
    running = made_job(
        server,
        model,
        "detections",
        {},
        [_jpeg(samples, "bus.jpg")],
        user_id=owner_id,
        status="running",
    )
    shadow = made_job(
        server,
        model,
        "detections",
        result,
        [_jpeg(samples, "bus.jpg")],
        user_id=owner_id,
        lane="shadow",
        source_job=job.id,
    )
    for who in (owner, admin_headers):  # a release's background run is nobody's prediction
        assert _flag(client, shadow.id, who, note="x").status_code == 404
    assert _flag(client, job.id, other, note="x").status_code == 404  # not theirs to see
    assert _flag(client, job.id, {}, note="x").status_code == 404
    assert _flag(client, "0" * 32, owner, note="x").status_code == 404
    busy = _flag(client, running.id, owner, note="x")
    assert busy.status_code == 409 and "is running" in busy.json()["detail"]
    cases = [
        ({"boxes": [{"label": "bus", "box": [700, 10, 900, 50]}]}, "outside the image"),
        ({"boxes": [{"label": "tram", "box": [1, 1, 5, 5]}]}, "not one of the model's classes"),
        ({"boxes": [{"label": "bus", "box": [9, 1, 5, 5]}]}, "x1 < x2"),
        ({"wrong": [4]}, "0 to 3"),
        ({"wrong": [1, 1]}, "more than once"),
        ({"label": "bus"}, "box by box"),
        ({"file": 2, "note": "x"}, "one file"),
        ({"note": "x" * 2001}, "note"),
        ({"boxes": [{"label": "bus", "box": [1, 2, 3]}]}, "box"),
    ]
    for body, words in cases:
        answer = _flag(client, job.id, owner, **body)
        assert answer.status_code == 422, (body, answer.text)
        assert words in answer.text, (body, answer.text)
    assert _flag(client, job.id, owner).status_code == 201  # a report alone says "wrong"
    assert client.get("/api/admin/feedback", headers=owner).status_code == 403
    nothing = client.get(
        "/api/admin/feedback/export",
        params={"model": "no-such-model", "format": "coco"},
        headers=admin_headers,
    )
    assert nothing.status_code == 404 and "no-such-model" in nothing.json()["detail"]


# --- state, and a prediction that really ran ------------------------------------------------


def test_a_real_prediction_flagged_resolved_and_exported(
    client: httpx.Client, admin_headers: dict[str, str], tmp_path: Path
) -> None:
    _, user = _signup(client, "painter")
    red = png_bytes((40, 30), (220, 10, 10))
    done = submit(client, "colours", red, headers=user, wait=60).json()
    assert done["status"] == "succeeded" and done["result"]["category"] == "red", done
    assert _flag(client, done["id"], user, label="purple").status_code == 422
    flagged = _flag(client, done["id"], user, note="it is green to me", label="green")
    assert flagged.status_code == 201, flagged.text

    archive = _export(client, admin_headers, model="colours", format="folders")
    root = _unpack(archive, tmp_path / "colours")
    dataset = _image_folder(root / "train")
    assert dataset.classes == ["green"] and len(dataset) == 1
    assert Path(dataset.samples[0][0]).read_bytes() == red

    flag_id = flagged.json()["id"]
    resolved = client.patch(
        f"/api/admin/feedback/{flag_id}", json={"state": "resolved"}, headers=admin_headers
    )
    assert resolved.status_code == 200 and resolved.json()["changed_by"] == "admin@example.org"
    again = client.get(
        "/api/admin/feedback/export",
        params={"model": "colours", "format": "folders"},
        headers=admin_headers,
    )
    assert again.status_code == 404  # only open flags by default
    every = _export(client, admin_headers, model="colours", format="folders", state="all")
    assert any(name.startswith("train/green/") for name in every.namelist())
    states = client.get(
        "/api/admin/audit", params={"action": "feedback.state"}, headers=admin_headers
    ).json()["data"]
    assert states[0]["target"] == flag_id and states[0]["details"]["state"] == "resolved"

    # A deleted prediction takes its flags (the user's notes and e-mail) with it.
    assert client.delete(f"/api/predictions/{done['id']}", headers=user).status_code == 204
    listed = client.get(
        "/api/admin/feedback",
        params={"model": "colours", "state": "resolved"},
        headers=admin_headers,
    ).json()
    assert flag_id not in {f["id"] for f in listed["data"]}
