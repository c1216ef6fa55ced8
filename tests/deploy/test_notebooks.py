"""Every bundled notebook (notebooks/*.ipynb) runs as it is, top to bottom, with nbclient,
against a real backend; environment variables make them small and fast."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, REPO, TOY_REGISTRY, BackendServer

NOTEBOOKS = REPO / "notebooks"
MIRROR = REPO.parent / "shared" / "assets" / "models"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendServer]:
    data = tmp_path_factory.mktemp("notebook-backend")
    registry = data / "registry" / "models.toml"  # the copy notebook 04 registers into
    registry.parent.mkdir()
    shutil.copy(TOY_REGISTRY, registry)
    with BackendServer(data, {"MODELS_FILE": str(registry)}) as server:
        yield server


def run(name: str, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("OUTPUT_DIR", str(tmp_path / "outputs"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the toy registry's families: tests/support
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), (
        "commit notebooks without outputs"
    )
    NotebookClient(
        notebook,
        timeout=240,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    ).execute()
    return notebook


def text_of(notebook) -> str:
    return "\n".join(
        output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )


def test_every_notebook_is_tested() -> None:
    tested = {
        "01-api-client",
        "02-prediction-logs",
        "03-run-a-model",
        "04-train-skin-unet",
        "05-feedback-to-release",
    }
    assert {p.stem for p in NOTEBOOKS.glob("*.ipynb")} == tested


def test_api_client(backend, samples, monkeypatch, tmp_path) -> None:
    env = {"MG_API_URL": backend.url, "MG_MODEL": "toy", "MG_SAMPLE": str(samples / "bus.jpg")}
    notebook = run("01-api-client.ipynb", env, monkeypatch, tmp_path)
    assert "succeeded" in text_of(notebook)
    downloaded = list((tmp_path / "outputs").glob("*/*"))
    assert downloaded and all(p.stat().st_size > 0 for p in downloaded)


@pytest.mark.parametrize("source", ["api", "sqlite"])
def test_prediction_logs(backend, source, monkeypatch, tmp_path) -> None:
    with backend.client() as http:  # at least one prediction to look at
        http.post(
            "/api/models/toy/predictions", params={"wait": 30}, files={"file": ("a.png", _png())}
        )
    env = {"MG_API_URL": backend.url, "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD}
    if source == "sqlite":
        env = {"MG_SQLITE": str(backend.data_dir / "modelgallery.sqlite3")}
    notebook = run("02-prediction-logs.ipynb", env, monkeypatch, tmp_path)
    assert "predictions from" in text_of(notebook) and "toy" in text_of(notebook)
    assert (tmp_path / "outputs" / "prediction-logs.png").stat().st_size > 1000


def test_run_a_model_in_process(samples, monkeypatch, tmp_path) -> None:
    env = {
        "MODELS_FILE": str(REPO / "models" / "models.toml"),
        "MODELS_DIR": str(tmp_path / "models"),
        "SAMPLES_DIR": str(samples),
    }
    notebook = run("03-run-a-model.ipynb", env, monkeypatch, tmp_path)
    assert "skin" in text_of(notebook)
    assert list((tmp_path / "outputs").glob("skin-segmentation-*/*.nii.gz"))


@pytest.mark.slow
def test_train_and_register_the_skin_unet(backend, samples, monkeypatch, tmp_path) -> None:
    env = {
        "EPOCHS": "1",
        "INPUT_SIZE": "64",
        "BATCH_SIZE": "16",
        "SAMPLES_DIR": str(samples),
        "MODELS_DIR": backend.env["MODELS_DIR"],
        "REGISTRY_IN": str(TOY_REGISTRY),
        "REGISTRY_OUT": backend.env["MODELS_FILE"],
        "MG_API_URL": backend.url,
        "ADMIN_EMAIL": ADMIN_EMAIL,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
    }
    notebook = run("04-train-skin-unet.ipynb", env, monkeypatch, tmp_path)
    assert "reloaded:" in text_of(notebook)
    assert (Path(backend.env["MODELS_DIR"]) / "skin-unet-trained.weights.h5").is_file()
    with backend.client() as http:
        names = [m["name"] for m in http.get("/api/models").json()]
    assert "skin-unet-trained" in names
    assert TOY_REGISTRY.read_text().count("skin-unet") == 0  # the original is untouched


@pytest.mark.slow
def test_flagged_results_become_a_version_replayed_and_canaried(
    samples, monkeypatch, tmp_path
) -> None:
    """A detector (the mirror's YOLOv8n TFLite) with flagged results: the notebook exports
    them, trains a YOLOv8n for one epoch on them, registers it as version 2, replays the
    flagged predictions on it and starts a canary, which it then rolls back."""
    data = tmp_path / "backend"
    models = data / "models"
    models.mkdir(parents=True)
    shutil.copy(MIRROR / "yolov8n_int8.tflite", models)
    registry = data / "models.toml"
    registry.write_text(
        TOY_REGISTRY.read_text()
        + '\n[models.detector]\ntitle = "Detector"\ntask = "object-detection"\n'
        'family = "yolo"\ngroup = "torch"\nruntime = "litert"\n'
        'weights = [{ file = "yolov8n_int8.tflite" }]\n'
    )
    env = {
        "MODELS_FILE": str(registry),
        "MODELS_DIR": str(models),
        "WORKER_GROUPS": '{"toy": 1, "toyq": 1, "torch": 1}',
    }
    with BackendServer(data, env) as server, server.client() as http:
        for name in ("bus.jpg", "zidane.jpg"):
            sent = http.post(
                "/api/models/detector/predictions",
                params={"wait": 120},
                files={"file": (name, (samples / name).read_bytes(), "image/jpeg")},
            )
            assert sent.status_code == 200 and sent.json()["status"] == "succeeded", sent.text
            owner = {"X-Owner-Token": sent.headers["X-Owner-Token"]}
            report = {
                "note": "a box is missing",
                "wrong": [0],
                "boxes": [{"label": "person", "box": [10, 10, 60, 120]}],
            }
            flagged = http.post(
                f"/api/predictions/{sent.json()['id']}/feedback", json=report, headers=owner
            )
            assert flagged.status_code == 201, flagged.text
        env = {
            "MG_API_URL": server.url,
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "MG_MODEL": "detector",
            "EPOCHS": "1",
            "IMGSZ": "64",
            "BATCH": "2",
            "WORK_DIR": str(tmp_path / "work"),
            "RELEASE_END": "rollback",
            "YOLO_OFFLINE": "1",
        }
        notebook = run("05-feedback-to-release.ipynb", env, monkeypatch, tmp_path)
        text = text_of(notebook)
        assert "2 open flag(s) on detector" in text and "is ready" in text, text[-3000:]
        assert "replaying 2 prediction(s)" in text and "release rolled_back" in text, text[-3000:]
        catalog = http.get("/api/admin/catalog/detector", headers=_admin(http)).json()
        assert [v["state"] for v in catalog["versions"]] == ["live", "ready"]


def _admin(http) -> dict[str, str]:
    token = http.post(
        "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    http.cookies.clear()
    return {"Authorization": f"Bearer {token}"}


def _png() -> bytes:
    from tests.support.jobs import png_bytes

    return png_bytes((16, 16))
