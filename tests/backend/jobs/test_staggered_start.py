"""While no worker of a group serves (a start, a reload), the group's workers load one after
another (`jobs/local/pool.py`): on a small machine every worker loading at once delays the
first. Once one serves, the others start."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import login
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, REPO, BackendServer

MODEL = "toy-restart"


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("load-control")


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory, control: Path) -> Iterator[httpx.Client]:
    env = {
        "MODELS_FILE": str(REPO / "tests" / "support" / "toy_restart_models.toml"),
        "WORKER_GROUPS": '{"toyr": 2}',
        "TOY_LOAD_CONTROL": str(control),
    }
    server = BackendServer(tmp_path_factory.mktemp("backend-staggered"), env)
    with server, server.client() as client:
        yield client


def workers(http: httpx.Client, admin: dict[str, str]) -> list[dict[str, Any]]:
    return http.get("/api/admin/models", headers=admin).json()["workers"]


def wait_until(check: Any, what: str, timeout_s: float = 60) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not reached: {what}")


def test_a_reloaded_groups_workers_load_one_at_a_time_until_one_serves(
    http: httpx.Client, control: Path
) -> None:
    admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    wait_until(lambda: all(w["ready"] for w in workers(http, admin)), "both workers ready")
    (control / "hold").touch()  # the next worker to load keeps loading until the file goes
    try:
        assert http.post(f"/api/admin/models/{MODEL}/reload", headers=admin).status_code == 202
        # Both old processes stop; one new one starts and holds in its load.
        loading = wait_until(
            lambda: [w for w in workers(http, admin) if w["alive"] and not w["ready"]],
            "a new worker loading",
        )
        assert len(loading) == 1
        for _ in range(10):  # meanwhile the other one waits, without a process
            now = workers(http, admin)
            assert sum(w["pid"] is not None for w in now) == 1, now
            assert not any(w["ready"] for w in now)
            time.sleep(0.05)
    finally:
        (control / "hold").unlink()
    wait_until(
        lambda: all(w["ready"] and w["alive"] for w in workers(http, admin)),
        "both workers ready again",
    )
