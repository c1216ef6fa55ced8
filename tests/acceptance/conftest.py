"""Real models on real samples: the offline registry (models/offline.toml), its weights
fetched from the shared mirror by the real `fetch-models` command, and a backend serving it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import REPO, BackendServer

MIRROR = REPO.parent / "shared" / "assets" / "models"
OFFLINE_REGISTRY = REPO / "models" / "offline.toml"


@pytest.fixture(scope="session")
def offline_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding every weight file of the offline registry, sha256-checked."""
    if not MIRROR.is_dir():
        pytest.fail(f"the shared model mirror is missing at {MIRROR}")
    models_dir = tmp_path_factory.mktemp("models")
    env = {
        **os.environ,
        "MODELS_FILE": str(OFFLINE_REGISTRY),
        "MODELS_DIR": str(models_dir),
        "DATA_DIR": str(tmp_path_factory.mktemp("fetch-data")),
    }
    done = subprocess.run(
        [sys.executable, "-m", "modelgallery", "fetch-models", "--mirror", str(MIRROR)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return models_dir


@pytest.fixture(scope="session")
def vision_server(
    offline_models: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    """The real backend on the offline registry, one worker per group."""
    env = {
        "MODELS_FILE": str(OFFLINE_REGISTRY),
        "MODELS_DIR": str(offline_models),
        "WORKER_GROUPS": "{}",
        "QUEUE_SIZE": "16",
        "MAX_WAIT_S": "300",
    }
    server = BackendServer(tmp_path_factory.mktemp("vision-backend"), env).start(timeout_s=300)
    try:
        yield server
    finally:
        server.stop()
