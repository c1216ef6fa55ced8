"""Real models on real samples: the offline registry (models/offline.toml), its weights
fetched from the shared mirror by the real `fetch-models` command, and a backend serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import OFFLINE_REGISTRY
from tests.support.server import ONE_WORKER_EACH, BackendServer


@pytest.fixture(scope="session")
def vision_server(
    offline_models: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    """The real backend on the offline registry, one worker per group."""
    env = {
        "MODELS_FILE": str(OFFLINE_REGISTRY),
        "MODELS_DIR": str(offline_models),
        "WORKER_GROUPS": ONE_WORKER_EACH,
        "QUEUE_SIZE": "16",
        "MAX_WAIT_S": "300",
    }
    server = BackendServer(tmp_path_factory.mktemp("vision-backend"), env).start(timeout_s=300)
    try:
        yield server
    finally:
        server.stop()
