"""A model whose workers restart (killed, crashed, reloaded) still takes jobs: they wait in
the queue. Only a model that cannot run (failed load, unloaded, a worker that keeps dying
while loading) answers 503, and the jobs waiting for it fail with the reason."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import login
from tests.support.jobs import submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, REPO, BackendServer

MODEL = "toy-restart"
CRASHED = "the worker process stopped unexpectedly"
QUEUE_SIZE = 20  # the repeated kills below queue at most 20 jobs: none is refused


@pytest.fixture(scope="module")
def control(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("load-control")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, control: Path) -> Iterator[BackendServer]:
    env = {
        "MODELS_FILE": str(REPO / "tests" / "support" / "toy_restart_models.toml"),
        "WORKER_GROUPS": '{"toyr": 1}',
        "QUEUE_SIZE": str(QUEUE_SIZE),
        "TOY_LOAD_CONTROL": str(control),
    }
    with BackendServer(tmp_path_factory.mktemp("backend-restart"), env) as running:
        yield running


@pytest.fixture
def http(server: BackendServer, control: Path) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client
        # Whatever a test did, the next one starts with the model loaded.
        for name in ("hold", "crash", "fail"):
            (control / name).unlink(missing_ok=True)
        admin = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        state = model_state(client)["state"]
        if state != "loaded":
            action = "load" if state == "unloaded" else "reload"
            client.post(f"/api/admin/models/{MODEL}/{action}", headers=admin)
            wait_state(client, "loaded")


@pytest.fixture
def admin(http: httpx.Client) -> dict[str, str]:
    return login(http, ADMIN_EMAIL, ADMIN_PASSWORD)


def model_state(http: httpx.Client) -> dict[str, Any]:
    return next(m for m in http.get("/api/models").json() if m["name"] == MODEL)


def wait_state(
    http: httpx.Client, state: str, reason: str = "", timeout_s: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        model = model_state(http)
        if model["state"] == state and reason in (model["reason"] or ""):
            return model
        if time.monotonic() > deadline:
            raise AssertionError(f"{MODEL} is {model}, not {state} ({reason})")
        time.sleep(0.05)


def worker_pid(http: httpx.Client, admin: dict[str, str], not_pid: int | None = None) -> int:
    """The pid of the model's live worker once it is ready (and not `not_pid`)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        workers = http.get("/api/admin/models", headers=admin).json()["workers"]
        alive = [w["pid"] for w in workers if w["alive"] and w["pid"] not in (None, not_pid)]
        if alive and model_state(http)["state"] == "loaded":
            return int(alive[0])
        time.sleep(0.05)
    raise AssertionError(f"the worker did not come back: {workers}, {model_state(http)}")


def test_an_upload_while_the_worker_restarts_waits_for_it(
    http: httpx.Client, admin: dict[str, str], control: Path
) -> None:
    pid = worker_pid(http, admin)
    (control / "hold").touch()  # the next worker keeps loading until the file goes
    os.kill(pid, signal.SIGKILL)
    restarting = wait_state(http, "loading", "restarting")
    assert "SIGKILL" in restarting["reason"]

    answer = submit(http, model=MODEL)
    assert answer.status_code == 202, answer.text
    job = answer.json()
    assert job["status"] == "queued"
    assert job["message"] == "waiting for a worker (restarting)"

    (control / "hold").unlink()
    assert wait_for(http, job["id"])["status"] == "succeeded"
    assert model_state(http)["state"] == "loaded"


def test_an_upload_while_the_model_reloads_waits_for_it(
    http: httpx.Client, admin: dict[str, str], control: Path
) -> None:
    (control / "hold").touch()
    assert http.post(f"/api/admin/models/{MODEL}/reload", headers=admin).status_code == 202
    loading = wait_state(http, "loading")
    assert loading["reason"] is None

    job = submit(http, model=MODEL).json()
    assert (job["status"], job["message"]) == ("queued", "waiting for a worker (loading)")
    (control / "hold").unlink()
    assert wait_for(http, job["id"])["status"] == "succeeded"


def test_uploads_while_the_worker_is_killed_again_and_again_all_end(
    http: httpx.Client, admin: dict[str, str]
) -> None:
    jobs, pid = [], None
    for kill in range(5):
        pid = worker_pid(http, admin, not_pid=pid)
        os.kill(pid, signal.SIGKILL)
        for index in range(4):
            answer = submit(
                http, model=MODEL, params={"sleep_s": 0.2, "steps": 2}, name=f"{kill}-{index}.png"
            )
            assert answer.status_code == 202, answer.text
            jobs.append(answer.json()["id"])

    ends = [wait_for(http, job_id, timeout_s=120) for job_id in jobs]
    for job in ends:
        # a job the kill caught running fails, saying so; every other one succeeds
        assert job["status"] == "succeeded" or (
            job["status"] == "failed" and CRASHED in job["error"]
        ), job
    assert sum(job["status"] == "succeeded" for job in ends) >= len(jobs) - 5
    assert model_state(http)["state"] == "loaded"


def kill_while_holding_its_restart(
    http: httpx.Client, admin: dict[str, str], control: Path
) -> None:
    """SIGKILL the worker; its next start waits in load() until the test removes `hold`."""
    pid = worker_pid(http, admin)
    (control / "hold").touch()
    os.kill(pid, signal.SIGKILL)
    wait_state(http, "loading", "restarting")


def test_the_queue_bound_still_applies_while_the_worker_restarts(
    http: httpx.Client, admin: dict[str, str], control: Path
) -> None:
    kill_while_holding_its_restart(http, admin, control)
    waiting = [submit(http, model=MODEL).json() for _ in range(QUEUE_SIZE)]
    assert {job["status"] for job in waiting} == {"queued"}

    refused = submit(http, model=MODEL)
    assert refused.status_code == 503
    assert "busy" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1
    (control / "hold").unlink()
    for job in waiting:
        assert wait_for(http, job["id"])["status"] == "succeeded"


def test_an_unloaded_model_answers_503(http: httpx.Client, admin: dict[str, str]) -> None:
    assert http.post(f"/api/admin/models/{MODEL}/unload", headers=admin).status_code == 202
    wait_state(http, "unloaded")
    refused = submit(http, model=MODEL)
    assert refused.status_code == 503
    assert "unloaded by an administrator" in refused.json()["detail"]
    assert "retry-after" not in refused.headers  # waiting does not help


def test_a_model_that_fails_to_load_answers_503_and_queues_nothing(
    http: httpx.Client, admin: dict[str, str], control: Path
) -> None:
    (control / "fail").touch()
    assert http.post(f"/api/admin/models/{MODEL}/reload", headers=admin).status_code == 202
    wait_state(http, "unavailable", "told to fail while loading")
    refused = submit(http, model=MODEL)
    assert refused.status_code == 503
    assert "told to fail while loading" in refused.json()["detail"]
    queues = http.get("/api/admin/models", headers=admin).json()["queues"]
    assert queues["toyr"] == 0


def test_a_worker_that_keeps_dying_while_loading_makes_the_model_unavailable(
    http: httpx.Client, admin: dict[str, str], control: Path
) -> None:
    kill_while_holding_its_restart(http, admin, control)
    waiting = [submit(http, model=MODEL).json() for _ in range(2)]
    assert [job["status"] for job in waiting] == ["queued", "queued"]

    (control / "crash").touch()  # from now on every start dies while loading
    (control / "hold").unlink()
    unavailable = wait_state(http, "unavailable", "3 times in a row")
    assert "SIGKILL" in unavailable["reason"]
    for job in waiting:  # they fail with the reason rather than wait for ever
        ended = wait_for(http, job["id"])
        assert ended["status"] == "failed"
        assert "stopped while loading 3 times in a row" in ended["error"]
    refused = submit(http, model=MODEL)
    assert refused.status_code == 503
    assert "3 times in a row" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1  # it is tried again in the background

    # Fixed, and reloaded by an administrator: it serves again at once.
    (control / "crash").unlink()
    assert http.post(f"/api/admin/models/{MODEL}/reload", headers=admin).status_code == 202
    wait_state(http, "loaded")
    assert submit(http, model=MODEL, wait=60).json()["status"] == "succeeded"
