"""Redis Sentinel (Debian's redis-sentinel) under a running cluster: the master is killed
while a job runs and others wait, the sentinels promote the replica, and every job still
ends once, on the same run. What the dead master had not yet passed to its replica would be
lost with it (Redis replicates asynchronously): the failover here waits for the replica to
catch up first, as `min-replicas-to-write` narrows in production (docs/scaling.md)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import login
from tests.support.cluster import WorkerNode, api_replica, cluster_env, nodes_serving, wait_until
from tests.support.jobs import submit, wait_for
from tests.support.mongo import MongoTestServer
from tests.support.redis_sentinel import RedisSentinelCluster
from tests.support.s3_server import S3TestServer
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

pytestmark = [pytest.mark.slow, pytest.mark.mongodb]


@dataclass
class SentinelCluster:
    redis: RedisSentinelCluster
    api: BackendServer
    node: WorkerNode
    http: httpx.Client
    admin: dict[str, str]


@pytest.fixture(scope="module")
def sentinel_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SentinelCluster]:
    root: Path = tmp_path_factory.mktemp("sentinel")
    with RedisSentinelCluster() as redis, MongoTestServer() as mongo, S3TestServer() as s3:
        assert mongo.uri is not None
        env = cluster_env(redis.url, mongo.uri, {**s3.env, "STORAGE_URL": s3.url("sentinel")})
        env["REDIS_SENTINEL_PASSWORD"] = redis.sentinel_password
        node = WorkerNode("node-s", root / "node-s", env, groups="toy")
        api = api_replica(root / "api", env)
        try:
            node.start()
            api.start(timeout_s=120)
            http = api.client()
            admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            wait_until(
                lambda: nodes_serving(http, "toy", admin) == ["node-s"], 60, "the node to serve"
            )
            yield SentinelCluster(redis, api, node, http, admin)
            http.close()
        finally:
            api.stop()
            node.stop()


def test_a_redis_failover_during_jobs_loses_none_and_runs_none_twice(
    sentinel_cluster: SentinelCluster,
) -> None:
    http, admin = sentinel_cluster.http, sentinel_cluster.admin
    jobs = [submit(http, params={"sleep_s": 3, "steps": 30}).json()]
    wait_for(http, jobs[0]["id"], statuses=("running",), timeout_s=30)
    jobs += [submit(http, params={"sleep_s": 0.2}).json() for _ in range(3)]
    old, new = sentinel_cluster.redis.fail_over()
    assert old != new
    for job in jobs:
        done = wait_for(http, job["id"], timeout_s=120)
        logs = (sentinel_cluster.node.log()[-3000:], sentinel_cluster.api.log()[-3000:])
        assert done["status"] == "succeeded", (done["error"], done["message"], logs)
        record = http.get(f"/api/admin/predictions/{job['id']}", headers=admin).json()
        assert record["attempts"] == 1
    # Every Redis client follows the new master: the queue, events, heartbeats, throttles.
    assert submit(http, wait=60).json()["status"] == "succeeded"
    wrong = {"email": ADMIN_EMAIL, "password": "not the password"}
    assert http.post("/api/auth/login", json=wrong).status_code == 401
