"""Worker processes failing in every way a model can make them fail, on both stores."""

from __future__ import annotations

import os
import signal
import time

import httpx

from modelgallery.core.machine import usable_cores
from tests.support.jobs import submit, wait_for


def _worker_running(client: httpx.Client, admin: dict[str, str], job_id: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = client.get("/api/admin/models", headers=admin).json()["workers"]
        for worker in workers:
            if worker["job_id"] == job_id:
                return worker
        time.sleep(0.05)
    raise AssertionError(f"no worker is running {job_id}")


def test_worker_killed_mid_job(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    job = submit(client, params={"sleep_s": 30, "steps": 100}).json()
    wait_for(client, job["id"], ("running",))
    worker = _worker_running(client, admin_headers, job["id"])
    os.kill(worker["pid"], signal.SIGKILL)

    failed = wait_for(client, job["id"], timeout_s=20)
    assert failed["status"] == "failed"
    assert "worker process stopped unexpectedly" in failed["error"]
    assert "SIGKILL" in failed["error"]
    assert client.get("/api/health").status_code == 200  # the API never went down

    after = submit(client, wait=60).json()
    assert after["status"] == "succeeded"
    workers = client.get("/api/admin/models", headers=admin_headers).json()["workers"]
    replaced = next(w for w in workers if w["name"] == worker["name"])
    assert replaced["pid"] != worker["pid"] and replaced["alive"]
    assert replaced["restarts"] >= 1


def test_the_cores_are_shared_among_the_jobs_running(client: httpx.Client) -> None:
    cores = usable_cores()  # the server runs on this machine
    alone = submit(client, wait=30).json()
    assert alone["result"]["threads"] == cores
    # runs until cancelled below, so the second job surely runs beside it
    first = submit(client, params={"sleep_s": 100, "steps": 100}).json()
    wait_for(client, first["id"], ("running",))
    second = submit(client, wait=30).json()  # the group's other worker
    assert second["status"] == "succeeded"
    assert second["result"]["threads"] == max(1, cores // 2)
    assert client.post(f"/api/predictions/{first['id']}/cancel").status_code == 200
    assert wait_for(client, first["id"])["status"] == "cancelled"


def test_model_that_crashes_its_process(client: httpx.Client) -> None:
    job = submit(client, params={"behaviour": "crash"}, wait=30).json()
    assert job["status"] == "failed"
    assert "stopped unexpectedly" in job["error"]
    assert submit(client, wait=60).json()["status"] == "succeeded"


def test_job_over_its_time_limit_is_stopped(client: httpx.Client) -> None:
    job = submit(client, model="toy-limited", params={"behaviour": "hang"}, wait=30).json()
    assert job["status"] == "failed"
    assert job["error"] == "stopped: it ran longer than the time limit of 2 s"
    assert submit(client, model="toy-limited", wait=60).json()["status"] == "succeeded"


def test_full_queue_answers_503_with_retry_after(client: httpx.Client) -> None:
    # toy-queue has one worker and room for 3 waiting jobs (QUEUE_SIZE=3 in the test server).
    running = submit(client, model="toy-queue", params={"sleep_s": 30, "steps": 100}).json()
    wait_for(client, running["id"], ("running",))
    waiting = [submit(client, model="toy-queue").json() for _ in range(3)]
    assert [j["status"] for j in waiting] == ["queued"] * 3

    refused = submit(client, model="toy-queue")
    assert refused.status_code == 503
    assert refused.json()["code"] == "unavailable"
    assert "busy" in refused.json()["detail"]
    assert int(refused.headers["retry-after"]) >= 1
    # Other worker groups are not affected.
    assert submit(client, model="toy", wait=30).json()["status"] == "succeeded"

    client.post(f"/api/predictions/{running['id']}/cancel")
    for job in waiting:
        assert wait_for(client, job["id"], timeout_s=60)["status"] == "succeeded"
    assert submit(client, model="toy-queue", wait=30).json()["status"] == "succeeded"


def test_unloading_a_model_ends_its_waiting_jobs(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    # long enough to be still running while the next job is submitted and the model unloaded,
    # however busy the machine
    running = submit(client, model="toy-queue", params={"sleep_s": 8, "steps": 80}).json()
    wait_for(client, running["id"], ("running",))
    waiting = submit(client, model="toy-queue").json()
    unload = client.post("/api/admin/models/toy-queue/unload", headers=admin_headers)
    assert unload.status_code == 202

    ended = wait_for(client, waiting["id"], timeout_s=10)
    assert ended["status"] == "failed"
    assert "unloaded by an administrator" in ended["error"]
    # The job already running finishes before the worker restarts without the model.
    assert wait_for(client, running["id"], timeout_s=30)["status"] == "succeeded"
    audit = client.get("/api/admin/audit", headers=admin_headers, params={"action": "model."})
    assert audit.json()["data"][0]["details"] == {"failed_jobs": 1}

    assert client.post("/api/admin/models/toy-queue/load", headers=admin_headers).status_code == 202
    again = submit(client, model="toy-queue", wait=60).json()
    assert again["status"] == "succeeded", again
