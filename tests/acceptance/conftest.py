"""Real models on real samples: the offline registry (models/offline.toml), its weights
fetched from the shared mirror by the real `fetch-models` command, and a backend serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.registry import family_class, load_registry
from tests.conftest import OFFLINE_REGISTRY
from tests.support.server import ONE_WORKER_EACH, BackendServer


@pytest.fixture(scope="module")
def specs(offline_models: Path) -> dict[str, Any]:
    """The offline registry's entries, on the mirror's weights."""
    return load_registry(OFFLINE_REGISTRY, offline_models).models


def loaded(spec: Any) -> Any:
    """The entry's model, loaded and warmed up in this process."""
    model = family_class(spec.family)(spec)
    model.load()
    model.warmup()
    return model


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
