"""Past one machine, with real parts (conftest.py): jobs submitted through one API replica
are followed and downloaded through the other, run on worker nodes that share no folder,
and survive a node SIGKILLed mid-job, a Redis restart and an API replica restart: never
lost, stuck or run twice. Nothing here waits for a duration: each wait is for an event."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.support.cluster import wait_until
from tests.support.jobs import submit, wait_for

from .conftest import Cluster

pytestmark = [pytest.mark.slow, pytest.mark.mongodb]

LONG = {"sleep_s": 4, "steps": 40}  # long enough to be caught running, with progress


def follow(http: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    events = []
    with http.stream("GET", f"/api/predictions/{job_id}/events", timeout=60) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
    return events


def accepted(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    return job


def admin_view(cluster: Cluster, job_id: str) -> dict[str, Any]:
    return cluster.http[0].get(f"/api/admin/predictions/{job_id}", headers=cluster.admin).json()


def test_submitted_through_one_replica_followed_and_downloaded_through_the_other(
    cluster: Cluster,
) -> None:
    first, second = cluster.http
    job = submit(first, params={"sleep_s": 1, "steps": 5}).json()
    events = follow(second, job["id"])
    statuses = [e["status"] for e in events]
    assert statuses[-1] == "succeeded", events
    assert "running" in statuses
    assert any(e["message"].startswith("step ") for e in events)
    done = events[-1]
    worker = admin_view(cluster, job["id"])["worker"]
    assert worker.split("/")[0] in cluster.nodes, worker
    # The artifact was written on a node; both replicas serve it from the bucket.
    name = next(a["name"] for a in done["artifacts"] if a["role"] == "annotated")
    url = f"/api/predictions/{job['id']}/files/{name}"
    bodies = [client.get(url) for client in (first, second)]
    assert [b.status_code for b in bodies] == [200, 200]
    assert bodies[0].content == bodies[1].content
    assert bodies[0].content.startswith(b"\x89PNG")
    assert bodies[1].headers["x-content-type-options"] == "nosniff"


def test_every_node_is_listed_with_its_models(cluster: Cluster) -> None:
    listed = cluster.http[1].get("/api/admin/models", headers=cluster.admin).json()
    nodes = {w["node"] for w in listed["workers"] if w["ready"]}
    assert nodes == set(cluster.nodes)
    models = {m["name"]: m for m in listed["models"]}
    assert models["toy"]["state"] == "loaded"
    assert cluster.http[1].get("/api/ready").status_code == 200


def test_a_node_killed_mid_job_hands_the_job_to_the_other(cluster: Cluster) -> None:
    first, second = cluster.http
    job = submit(first, params=LONG).json()
    wait_for(first, job["id"], statuses=("running",), timeout_s=30)
    victim = admin_view(cluster, job["id"])["worker"].split("/")[0]
    cluster.nodes[victim].kill()
    done = wait_for(second, job["id"], timeout_s=90)
    assert done["status"] == "succeeded", (done["error"], done["message"], cluster.logs())
    record = admin_view(cluster, job["id"])
    assert record["attempts"] == 2
    assert not record["worker"].startswith(victim)
    cluster.ensure_nodes()


def test_a_job_cancelled_through_one_replica_stops_on_its_node(cluster: Cluster) -> None:
    first, second = cluster.http
    job = submit(first, params={"sleep_s": 60, "steps": 100}).json()
    wait_for(first, job["id"], statuses=("running",), timeout_s=30)
    assert second.post(f"/api/predictions/{job['id']}/cancel").status_code == 200
    done = wait_for(first, job["id"], timeout_s=30)
    assert done["status"] == "cancelled", done
    assert submit(second, wait=30).json()["status"] == "succeeded"  # its node serves on


def test_a_job_that_kills_its_process_each_time_fails_with_the_reason(cluster: Cluster) -> None:
    job = submit(cluster.http[0], params={"behaviour": "crash"}).json()
    done = wait_for(cluster.http[1], job["id"], timeout_s=120)
    assert done["status"] == "failed"
    assert "stopped answering during each of its 3 runs" in done["error"], done["error"]
    cluster.ensure_nodes()


def test_a_model_is_unavailable_only_when_no_node_serves_it(cluster: Cluster) -> None:
    first = cluster.http[0]

    def state() -> str:
        return first.get("/api/models/toy").json()["state"]

    cluster.nodes["node-b"].stop()
    wait_until(lambda: cluster.serving() == ["node-a"], 30, "node-b to leave")
    assert state() == "loaded"
    assert submit(first, wait=30).json()["status"] == "succeeded"
    cluster.nodes["node-a"].stop()
    wait_until(lambda: state() == "unavailable", 30, "toy to be unavailable")
    refused = submit(first)
    assert refused.status_code == 503, refused.text
    assert "worker node" in refused.json()["detail"]
    assert first.get("/api/ready").status_code == 503
    cluster.ensure_nodes()
    assert state() == "loaded"


def test_unload_and_load_act_on_every_node(cluster: Cluster) -> None:
    first, second = cluster.http

    def toy_on_ready_processes() -> set[str]:
        listed = first.get("/api/admin/models", headers=cluster.admin).json()["workers"]
        return {(w["node"], w["models"].get("toy")) for w in listed if w["ready"]}

    def state(http: httpx.Client) -> str:
        return str(http.get("/api/models/toy").json()["state"])

    unloaded = {(name, "unloaded") for name in cluster.nodes}
    answer = first.post("/api/admin/models/toy/unload", headers=cluster.admin)
    assert answer.status_code == 202, answer.text
    try:
        wait_until(lambda: toy_on_ready_processes() == unloaded, 60, "every node to unload toy")
        # Each replica reads the cluster's state once a second.
        wait_until(lambda: state(second) == "unloaded", 30, "the other replica to see it")
        refused = submit(second)
        assert refused.status_code == 503, refused.text
        assert "unloaded" in refused.json()["detail"]
    finally:
        answer = second.post("/api/admin/models/toy/load", headers=cluster.admin)
        assert answer.status_code == 202, answer.text
    wait_until(lambda: state(first) == state(second) == "loaded", 60, "toy loaded again")
    cluster.ensure_nodes()
    assert submit(first, wait=30).json()["status"] == "succeeded"


def test_jobs_queued_when_redis_restarts_still_run_once(cluster: Cluster) -> None:
    first, second = cluster.http
    running = [accepted(submit(first, params=LONG)) for _ in range(2)]
    queued = [accepted(submit(second, params={"sleep_s": 0.2})) for _ in range(3)]
    cluster.redis.restart()
    for job in running + queued:
        done = wait_for(first, job["id"], timeout_s=120)
        assert done["status"] == "succeeded", (done["error"], done["message"], cluster.logs())
        assert admin_view(cluster, job["id"])["attempts"] == 1


def test_while_redis_is_away_uploads_are_refused_with_the_reason(cluster: Cluster) -> None:
    first = cluster.http[0]
    cluster.redis.stop()
    try:
        wait_until(lambda: first.get("/api/ready").status_code == 503, 30, "not ready")
        refused = submit(first)
        assert refused.status_code == 503, refused.text
        assert "(Redis is away)" in refused.json()["detail"]
        assert int(refused.headers["retry-after"]) >= 1
    finally:
        cluster.redis.start()
    wait_until(lambda: first.get("/api/ready").status_code == 200, 60, "ready again")
    assert submit(first, wait=30).json()["status"] == "succeeded"


def test_an_api_replica_restarted_mid_queue_loses_nothing_and_runs_nothing_twice(
    cluster: Cluster,
) -> None:
    first, second = cluster.http
    jobs = [accepted(submit(first, params={"sleep_s": 1, "steps": 4})) for _ in range(5)]
    cluster.apis[0].stop()
    cluster.apis[0].start(timeout_s=120)
    for job in jobs:
        done = wait_for(second, job["id"], timeout_s=120)
        assert done["status"] == "succeeded", (done["error"], done["message"], cluster.logs())
        assert admin_view(cluster, job["id"])["attempts"] == 1
