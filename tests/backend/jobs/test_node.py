"""What a worker node serves (`modelgallery worker --groups/--models`), and the settings
the distributed mode needs: refused at start with a sentence naming what is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from modelgallery.core.settings import Settings
from modelgallery.jobs.distributed.node import NodeSelectionError, hosted
from modelgallery.vision.registry import Registry, load_registry
from tests.support.server import REPO, TOY_REGISTRY


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return load_registry(TOY_REGISTRY, tmp_path)


def test_groups_and_models_choose_what_a_node_serves(registry: Registry) -> None:
    by_group = hosted(registry, ["toyq"], ["toy"])
    assert by_group == {"toy": ["toy"], "toyq": ["toy-queue", "toy-batch"]}
    assert set(hosted(registry, [], [])) == set(registry.groups)
    with pytest.raises(NodeSelectionError, match="not in the registry: gpu"):
        hosted(registry, ["gpu"], [])


def test_the_distributed_mode_names_what_it_lacks() -> None:
    with pytest.raises(ValidationError, match="needs REDIS_URL and MONGODB_URI"):
        Settings(executor="celery")
    with pytest.raises(ValidationError, match="needs MONGODB_URI"):
        Settings(executor="celery", redis_url="redis://localhost:6379/0")


def test_a_worker_node_without_the_distributed_mode_says_how_to_set_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "modelgallery", "worker", "--groups", "toy"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "MODELS_FILE": str(TOY_REGISTRY), "EXECUTOR": "local"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "set EXECUTOR=celery, REDIS_URL and MONGODB_URI" in result.stderr
