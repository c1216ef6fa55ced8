"""Past one machine, with real parts (conftest.py): jobs submitted through one API replica
are followed and downloaded through the other, run on worker nodes that share no folder,
and survive a node SIGKILLed mid-job, a Redis restart and an API replica restart: never
lost, stuck or run twice. Nothing here waits for a duration: each wait is for an event."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import httpx
import pytest
import redis

from modelgallery.jobs.distributed.cluster import PROC_PREFIX, Beat
from tests.support.cluster import WorkerNode, nodes_serving, release_checkout, wait_until
from tests.support.jobs import png_bytes, submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD

from .conftest import USER_JOBS_AT_ONCE, Cluster

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


def signed_up(http: httpx.Client, email: str) -> dict[str, str]:
    answer = http.post(
        "/api/auth/signup", json={"email": email, "password": "a long password", "name": "Ada"}
    )
    assert answer.status_code in (200, 201), answer.text
    http.cookies.clear()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


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


def test_a_users_predictions_at_once_count_on_every_replica_and_end_on_any_node(
    cluster: Cluster,
) -> None:
    first, second = cluster.http
    user = signed_up(first, "at-once@example.org")
    for http in (first, second, first, second):  # each ends on a node: its place is freed
        done = submit(http, wait=30, headers=user).json()
        assert done["status"] == "succeeded", done
    running = [accepted(submit(http, params=LONG, headers=user)) for http in (first, second)]
    for http in (first, second):
        refused = submit(http, headers=user)
        assert refused.status_code == 429, refused.text
        assert f"{USER_JOBS_AT_ONCE} predictions waiting or running" in refused.json()["detail"]
        assert int(refused.headers["retry-after"]) >= 1
    cancel = second.post(f"/api/predictions/{running[0]['id']}/cancel", headers=user)
    assert cancel.status_code == 200, cancel.text
    wait_for(first, running[0]["id"], headers=user, timeout_s=30)
    assert submit(first, wait=30, headers=user).json()["status"] == "succeeded"
    second.post(f"/api/predictions/{running[1]['id']}/cancel", headers=user)
    wait_for(first, running[1]["id"], headers=user, timeout_s=30)  # ended before the next test


def test_a_node_without_a_models_weights_takes_none_of_its_jobs_and_says_why(
    cluster: Cluster,
) -> None:
    first, second = cluster.http
    jobs = [accepted(submit(http, model="toy-weighted")) for http in (first, second) * 3]
    for job in jobs:
        done = wait_for(first, job["id"], timeout_s=60)
        assert done["status"] == "succeeded", (done["error"], cluster.logs())
        assert admin_view(cluster, job["id"])["worker"].startswith("node-a/")
    nodes = {n["name"]: n for n in second.get("/api/admin/nodes", headers=cluster.admin).json()}
    assert set(nodes) == set(cluster.nodes)
    weighted = {n: {m["name"]: m for m in nodes[n]["models"]}["toy-weighted"] for n in nodes}
    assert weighted["node-a"]["state"] == "loaded"
    assert weighted["node-a"]["load_ms"] is not None
    assert weighted["node-b"]["state"] == "unavailable"
    assert "weights missing on node node-b (toy-factor.txt)" in weighted["node-b"]["reason"]
    assert "fetch-models toy-weighted" in weighted["node-b"]["reason"]
    assert "toy-factor.txt" in cluster.nodes["node-b"].log()
    assert nodes["node-b"]["host"] and nodes["node-b"]["groups"] == ["toy"]
    assert first.get("/api/models/toy-weighted").json()["state"] == "loaded"  # node-a serves


def job_metrics(http: httpx.Client) -> dict[str, float]:
    """The job samples of a replica's /metrics, by their line's name and labels."""
    samples = {}
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(("modelgallery_job", "modelgallery_model", "modelgallery_queue")):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_versions_added_through_one_replica_are_fetched_checked_and_adopted_in_place_by_both_nodes(
    cluster: Cluster,
) -> None:
    first, second = cluster.http
    body = {
        "id": "byo-toy",
        "title": "A toy added from the dashboard",
        "task": "image-to-image",
        "family": "tests.support.toy_models:ToyInvert",
        "group": "toy",
    }
    assert first.post("/api/admin/catalog", json=body, headers=cluster.admin).status_code == 201
    files = [
        ("weights", ("factor.txt", b"0.25", "text/plain")),
        ("example", ("tile.png", png_bytes(), "image/png")),
    ]
    added = first.post("/api/admin/catalog/byo-toy/versions", files=files, headers=cluster.admin)
    assert added.status_code == 202, added.text
    version = added.json()

    def state() -> str:
        model = second.get("/api/admin/catalog/byo-toy", headers=cluster.admin).json()
        return str(model["versions"][0]["state"])

    wait_until(lambda: state() == "ready", 120, "the version to validate")
    # Validated on a node's process of the group (the API replicas load no model): its
    # record names that process, one of those the heartbeats list, and what the example
    # found there (the toy says which process ran it).
    validation = second.get("/api/admin/catalog/byo-toy", headers=cluster.admin).json()["versions"][
        0
    ]["validation"]
    ran_on = validation["ran_on"]
    assert (ran_on["node"], ran_on["pid"]) in toy_processes(cluster), (ran_on, cluster.logs())
    assert ran_on["worker"] == f"{ran_on['node']}/toy pid {ran_on['pid']}"
    assert validation["example"]["pid"] == ran_on["pid"]
    assert ran_on["pid"] not in {api.process.pid for api in cluster.apis if api.process}
    live = second.post(
        f"/api/admin/catalog/byo-toy/versions/{version['id']}/live", headers=cluster.admin
    )
    assert live.status_code == 200, live.text
    wait_until(
        lambda: all(
            http.get("/api/models/byo-toy").json().get("state") == "loaded"
            and nodes_serving(http, "byo-toy", cluster.admin) == sorted(cluster.nodes)
            for http in (first, second)
        ),
        120,
        "both nodes to serve the new model, as both replicas see it",
    )
    ran_on: set[str] = set()
    for _ in range(12):
        for http in (first, second):
            job = wait_for(http, accepted(submit(http, model="byo-toy"))["id"])
            assert job["status"] == "succeeded" and job["model_version"] == 1, job
            ran_on.add(admin_view(cluster, job["id"])["worker"].split("/")[0])
        if ran_on == set(cluster.nodes):
            break
    assert ran_on == set(cluster.nodes), ran_on
    digest = version["weights"][0]["sha256"]
    for node in cluster.nodes.values():
        fetched = node.data_dir / "models" / version["weights"][0]["file"]
        assert hashlib.sha256(fetched.read_bytes()).hexdigest() == digest
        assert "fetched" in node.log() and "from object storage" in node.log()

    # Version 2 made live while jobs of version 1 run on both nodes and one waits: every
    # process adopts it in place between two jobs (the same pids), the jobs of version 1 end
    # on version 1, the next ones run version 2, and none is lost or run twice.
    processes = toy_processes(cluster)
    assert {node for node, _ in processes} == set(cluster.nodes), processes
    files[0] = ("weights", ("factor.txt", b"0.75", "text/plain"))
    newer = first.post("/api/admin/catalog/byo-toy/versions", files=files, headers=cluster.admin)
    assert newer.status_code == 202, newer.text

    def newer_state() -> str:
        model = second.get("/api/admin/catalog/byo-toy", headers=cluster.admin).json()
        return str(next(v for v in model["versions"] if v["number"] == 2)["state"])

    wait_until(lambda: newer_state() == "ready", 120, "version 2 to validate")
    older = [accepted(submit(http, model="byo-toy", params=LONG)) for http in cluster.http]
    for job in older:
        wait_for(first, job["id"], statuses=("running",), timeout_s=30)
    older.append(accepted(submit(first, model="byo-toy")))  # waits for a process
    switched = second.post(
        f"/api/admin/catalog/byo-toy/versions/{newer.json()['id']}/live", headers=cluster.admin
    )
    assert switched.status_code == 200, switched.text
    ran_on.clear()
    newer_jobs = []
    for _ in range(12):  # through the replica that made it live: its registry has it now
        job = wait_for(second, accepted(submit(second, model="byo-toy"))["id"])
        newer_jobs.append(job)
        ran_on.add(admin_view(cluster, job["id"])["worker"].split("/")[0])
        if ran_on == set(cluster.nodes):
            break
    assert ran_on == set(cluster.nodes), ran_on
    for job in newer_jobs:
        assert job["status"] == "succeeded" and job["model_version"] == 2, job
        assert job["result"]["factor"] == 0.75  # version 2's weights ran it
    older_ended = [wait_for(first, job["id"], timeout_s=60) for job in older]
    for done in older_ended:
        assert done["status"] == "succeeded" and done["model_version"] == 1, (done, cluster.logs())
        assert done["result"]["factor"] == 0.25  # version 1's weights, kept beside version 2
        assert admin_view(cluster, done["id"])["attempts"] == 1
    wait_until(lambda: adopted(cluster, "byo-toy") == {2}, 60, "every process to serve version 2")
    assert toy_processes(cluster) == processes  # none restarted
    ran_in = {job["result"]["pid"] for job in newer_jobs + older_ended}
    assert ran_in <= {pid for _, pid in processes}, (ran_in, processes)


def test_a_canary_and_its_shadow_copies_run_on_the_nodes_through_either_replica(
    cluster: Cluster,
) -> None:
    """A release started through one replica routes uploads on both; its shadow copies run
    on the nodes in the background lane; promoting it through the other replica moves every
    new prediction to the candidate."""
    first, second = cluster.http
    body = {
        "id": "released-toy",
        "title": "A toy released in steps",
        "task": "image-to-image",
        "family": "tests.support.toy_models:ToyInvert",
        "group": "toy",
    }
    assert first.post("/api/admin/catalog", json=body, headers=cluster.admin).status_code == 201
    ids = []
    for factor in (b"0.25", b"0.75"):
        files = [
            ("weights", ("factor.txt", factor, "text/plain")),
            ("example", ("tile.png", png_bytes(), "image/png")),
        ]
        added = first.post(
            "/api/admin/catalog/released-toy/versions", files=files, headers=cluster.admin
        )
        assert added.status_code == 202, added.text
        ids.append(added.json()["id"])

    def states() -> list[str]:
        model = second.get("/api/admin/catalog/released-toy", headers=cluster.admin).json()
        return [str(v["state"]) for v in model["versions"]]

    wait_until(lambda: states() == ["ready", "ready"], 120, "both versions to validate")
    live = first.post(
        f"/api/admin/catalog/released-toy/versions/{ids[0]}/live", headers=cluster.admin
    )
    assert live.status_code == 200, live.text
    wait_until(
        lambda: all(
            nodes_serving(http, "released-toy", cluster.admin) == sorted(cluster.nodes)
            for http in (first, second)
        ),
        120,
        "both nodes to serve the model, as both replicas see it",
    )
    release = first.post(
        "/api/admin/catalog/released-toy/releases",
        json={"candidate": ids[1], "canary_share": 0.5, "shadow_share": 1.0},
        headers=cluster.admin,
    )
    assert release.status_code == 201, release.text
    release_id = release.json()["id"]

    def holding_candidate() -> list[str]:
        workers = first.get("/api/admin/models", headers=cluster.admin).json()["workers"]
        return sorted({w["node"] for w in workers if ids[1] in w["versions"]})

    # Each node's process loads the candidate ahead of the first job sent to it.
    wait_until(lambda: holding_candidate() == sorted(cluster.nodes), 60, "the candidate loaded")

    def upload_from(n: int, replica: int) -> dict[str, Any]:
        transport = httpx.HTTPTransport(local_address=f"127.0.0.{n}")
        url = cluster.apis[replica].url
        with httpx.Client(base_url=url, transport=transport, timeout=60) as visitor:
            return accepted(submit(visitor, model="released-toy"))

    # The other replica follows the release within a few seconds: once it has sent a
    # visitor to the candidate, it routes (and copies) as the first does.
    probes = iter(range(100, 250))
    wait_until(lambda: upload_from(next(probes), 1)["model_version"] == 2, 60, "replica 2 to route")
    versions: dict[int, set[float]] = {}
    sent = [upload_from(n, n % 2) for n in range(2, 26)]  # visitors, through either replica
    for job in sent:
        done = wait_for(first, job["id"], timeout_s=120)
        assert done["status"] == "succeeded", (done, cluster.logs())
        versions.setdefault(done["model_version"], set()).add(done["result"]["factor"])
    assert versions.get(1) == {0.25} and versions.get(2) == {0.75}, versions

    def shadows() -> list[dict[str, Any]]:
        return first.get(
            "/api/admin/predictions",
            params={"release": release_id, "lane": "shadow", "limit": 500},
            headers=cluster.admin,
        ).json()["data"]

    baseline_jobs = {j["id"] for j in sent if j["model_version"] == 1}
    wait_until(
        lambda: {s["source_job"] for s in shadows() if s["status"] == "succeeded"} >= baseline_jobs,
        120,
        f"a shadow copy of every prediction of version 1 to run: {shadows()}",
    )
    for shadow in shadows():
        assert shadow["model_version"] == 2 and shadow["result"]["factor"] == 0.75, shadow
        assert shadow["worker"].split("/")[0] in cluster.nodes
        assert first.get(f"/api/predictions/{shadow['id']}").status_code == 404
    compared = second.get(
        f"/api/admin/catalog/released-toy/releases/{release_id}/comparison",
        headers=cluster.admin,
    )
    assert compared.status_code == 200, compared.text
    assert compared.json()["candidate"]["number"] == 2

    promoted = second.post(
        f"/api/admin/catalog/released-toy/releases/{release_id}/promote", headers=cluster.admin
    )
    assert promoted.status_code == 200, promoted.text
    wait_until(
        lambda: all(
            wait_for(http, accepted(submit(http, model="released-toy"))["id"])["model_version"] == 2
            for http in (first, second)
        ),
        60,
        "every replica to send new predictions to version 2",
    )


def test_a_version_whose_group_no_node_serves_fails_validation_and_says_which_to_start(
    cluster: Cluster,
) -> None:
    """The nodes serve group toy only: a version of a model of group toyq cannot be tried
    anywhere, and says so at once rather than waiting (the API replicas never load it)."""
    first, second = cluster.http
    body = {
        "id": "byo-toyq",
        "title": "A toy of a group no node serves",
        "task": "image-to-image",
        "family": "tests.support.toy_models:ToyInvert",
        "group": "toyq",
    }
    assert first.post("/api/admin/catalog", json=body, headers=cluster.admin).status_code == 201
    files = [("weights", ("factor.txt", b"0.5", "text/plain"))]
    added = first.post("/api/admin/catalog/byo-toyq/versions", files=files, headers=cluster.admin)
    assert added.status_code == 202, added.text

    def version() -> dict[str, Any]:
        model = second.get("/api/admin/catalog/byo-toyq", headers=cluster.admin).json()
        return dict(model["versions"][0])

    wait_until(lambda: version()["state"] != "validating", 30, "the validation to end")
    assert version()["state"] == "failed", version()
    assert version()["reason"] == (
        "no worker node serves the group 'toyq'; start one with `modelgallery worker --groups toyq`"
    )


def toy_processes(cluster: Cluster) -> set[tuple[str, int]]:
    """The live processes of group toy, by node and pid."""
    workers = cluster.http[0].get("/api/admin/models", headers=cluster.admin).json()["workers"]
    return {(w["node"], w["pid"]) for w in workers if w["group"] == "toy"}


def adopted(cluster: Cluster, model: str) -> set[int | None]:
    """The live version numbers of `model` that the processes of group toy serve, as their
    heartbeats in Redis say."""
    client = redis.Redis.from_url(cluster.redis.url, decode_responses=True)
    try:
        beats = [Beat.loads(v) for k in client.scan_iter(f"{PROC_PREFIX}*") if (v := client.get(k))]
    finally:
        client.close()
    return {b.versions.get(model) for b in beats if b.group == "toy"}


def test_every_replica_shows_the_jobs_that_ended_on_any_node(cluster: Cluster) -> None:
    first, second = cluster.http
    before = [job_metrics(http) for http in (first, second)]
    assert submit(first, wait=30).json()["status"] == "succeeded"
    assert submit(second, params={"behaviour": "fail"}, wait=30).json()["status"] == "failed"
    for http, earlier in zip((first, second), before, strict=True):
        now = job_metrics(http)

        def grew(name: str, now: dict[str, float] = now, was: dict[str, float] = earlier) -> float:
            return now[name] - was.get(name, 0.0)

        assert grew('modelgallery_jobs_total{model="toy",status="succeeded"}') == 1
        assert grew('modelgallery_jobs_total{model="toy",status="failed"}') == 1
        assert grew('modelgallery_job_queue_seconds_count{model="toy"}') == 2
        assert grew('modelgallery_job_duration_seconds_count{model="toy"}') == 2
        assert grew('modelgallery_model_duration_seconds_count{model="toy"}') == 1
    depth = 'modelgallery_queue_depth{group="toy"}'  # each replica reads it once a second
    wait_until(lambda: job_metrics(second)[depth] == 0, 30, "the toy queue to be seen empty")


def test_a_rolling_upgrade_drains_each_part_and_loses_or_refuses_nothing(
    cluster: Cluster,
) -> None:
    """docs/scaling.md, "Rolling upgrade": a node stopped with SIGTERM finishes its job and
    takes no new one while the others serve; then each API replica in turn."""
    first, second = cluster.http
    running = accepted(submit(first, params=LONG))
    wait_for(first, running["id"], statuses=("running",), timeout_s=30)
    victim = admin_view(cluster, running["id"])["worker"].split("/")[0]
    draining = threading.Thread(target=cluster.nodes[victim].stop)
    draining.start()
    meanwhile = [accepted(submit(second, params={"sleep_s": 0.2})) for _ in range(3)]
    for job in meanwhile:
        done = wait_for(second, job["id"], timeout_s=60)
        assert done["status"] == "succeeded", (done["error"], cluster.logs())
        assert not admin_view(cluster, job["id"])["worker"].startswith(victim + "/")
    draining.join()
    done = wait_for(first, running["id"], timeout_s=60)
    assert done["status"] == "succeeded", (done["error"], cluster.logs())
    record = admin_view(cluster, running["id"])
    assert record["attempts"] == 1 and record["worker"].startswith(victim + "/")
    cluster.ensure_nodes()  # the node comes back (in an upgrade: its new release)
    for index in (0, 1):
        cluster.apis[index].stop()
        other = cluster.http[1 - index]
        assert submit(other, wait=30).json()["status"] == "succeeded"
        cluster.apis[index].start(timeout_s=120)
    cluster.ensure_nodes()


# The release before this one's last change to the cluster (protocol 2): a node of it must
# serve beside a node of this checkout. Move it forward when a release changes the cluster.
EARLIER_RELEASE = "487a317"


def test_nodes_of_two_releases_serve_together(
    cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
) -> None:
    first, second = cluster.http
    code = release_checkout(EARLIER_RELEASE, tmp_path_factory.mktemp("release") / "code")
    current = cluster.nodes["node-b"]
    current.stop()
    earlier = WorkerNode("node-b", current.data_dir, current.env, groups="toy", code=code)
    cluster.nodes["node-b"] = earlier.start()
    try:
        cluster.ensure_nodes()
        # Two jobs at once on two nodes of one process each: one runs on each release.
        jobs = [accepted(submit(http, params={"sleep_s": 2, "steps": 4})) for http in cluster.http]
        workers = set()
        for job in jobs:
            done = wait_for(first, job["id"], timeout_s=60)
            assert done["status"] == "succeeded", (done["error"], cluster.logs())
            record = admin_view(cluster, job["id"])
            assert record["attempts"] == 1
            workers.add(record["worker"].split("/")[0])
        assert workers == {"node-a", "node-b"}
        nodes = second.get("/api/admin/nodes", headers=cluster.admin).json()
        assert {n["name"]: n["protocol"] for n in nodes} == {"node-a": 2, "node-b": 2}
    finally:
        earlier.stop()
        cluster.nodes["node-b"] = current
        cluster.ensure_nodes()


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
    made = submit(first, params={"sleep_s": 60, "steps": 100})
    job = made.json()
    wait_for(first, job["id"], statuses=("running",), timeout_s=30)
    # The visitor's owner token, sent back as an API client does.
    owner = {"X-Owner-Token": made.headers["X-Owner-Token"]}
    cancel = second.post(f"/api/predictions/{job['id']}/cancel", headers=owner)
    assert cancel.status_code == 200, cancel.text
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


def test_while_redis_is_away_every_path_that_needs_it_says_so_and_recovers_at_once(
    cluster: Cluster,
) -> None:
    first, second = cluster.http
    user = signed_up(second, "redis-away@example.org")
    job = submit(first, wait=30).json()
    # Logging in below would take this visitor's job into the admin's account (it would
    # then be private): `first` logs in as a fresh browser.
    first.cookies.clear()
    message = {
        "name": "Ada",
        "email": "ada@example.org",
        "subject": "Hi",
        "message": "Hello, is anyone there?",
    }
    paths = {  # each needs Redis: the queue, quotas, log-in throttles, contact limits, events
        "anonymous upload": lambda: submit(first),
        "user upload": lambda: submit(second, headers=user),
        "log-in": lambda: first.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ),
        "wrong log-in": lambda: second.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": "not the password"}
        ),
        "contact": lambda: first.post("/api/contact", json=message),
        "events": lambda: second.get(f"/api/predictions/{job['id']}/events"),
    }
    cluster.redis.stop()
    try:
        wait_until(lambda: first.get("/api/ready").status_code == 503, 30, "not ready")
        for what, call in paths.items():
            refused = call()
            assert refused.status_code == 503, (what, refused.text)
            assert "Redis" in refused.json()["detail"], (what, refused.text)
            assert int(refused.headers["retry-after"]) >= 1, what
        assert "(Redis is away)" in submit(first).json()["detail"]
    finally:
        cluster.redis.start()
    # What needs Redis for each request works with the first request after it is back.
    for what in ("log-in", "wrong log-in", "contact", "events"):
        assert paths[what]().status_code in (200, 202, 401), what
    first.cookies.clear()  # the log-in's session: the clients stay anonymous
    wait_until(lambda: first.get("/api/ready").status_code == 200, 60, "ready again")
    assert submit(first, wait=30).json()["status"] == "succeeded"
    assert submit(second, wait=30, headers=user).json()["status"] == "succeeded"


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
