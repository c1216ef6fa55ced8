"""One cluster for the module: Redis, MongoDB (mongoeco), an S3 server, two API replicas
and two worker nodes, each with its own data folder (tests/support/cluster.py)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import login
from tests.support.cluster import WorkerNode, api_replica, cluster_env, nodes_serving, wait_until
from tests.support.mongo import MongoTestServer
from tests.support.redis_server import RedisTestServer
from tests.support.s3_server import S3TestServer
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

USER_JOBS_AT_ONCE = 2  # the only quota set: the signed-in user's jobs at once


@dataclass
class Cluster:
    redis: RedisTestServer
    apis: list[BackendServer]
    nodes: dict[str, WorkerNode]
    http: list[httpx.Client]  # one per API replica
    admin: dict[str, str]  # headers of an administrator (valid on both replicas)

    def serving(self, model: str = "toy", replica: int = 0) -> list[str]:
        return nodes_serving(self.http[replica], model, self.admin)

    def ensure_nodes(self) -> None:
        """Every node running and serving (a test may have stopped or killed some)."""
        for node in self.nodes.values():
            if node.process is None or node.process.poll() is not None:
                node.start()
        wait_until(
            lambda: all(self.serving(replica=i) == sorted(self.nodes) for i in (0, 1)),
            60,
            "both nodes to serve toy, as both replicas see it",
        )

    def logs(self) -> str:
        return "\n".join(f"--- {n.name}\n{n.log()[-1500:]}" for n in self.nodes.values())


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root: Path = tmp_path_factory.mktemp("cluster")
    with (
        RedisTestServer(persist=True) as redis,
        MongoTestServer() as mongo,
        S3TestServer() as s3,
    ):
        assert mongo.uri is not None
        env = cluster_env(redis.url, mongo.uri, {**s3.env, "STORAGE_URL": s3.url("cluster")})
        env["ACTIVE_JOBS_USER"] = str(USER_JOBS_AT_ONCE)
        nodes = {
            name: WorkerNode(name, root / name, env, groups="toy") for name in ("node-a", "node-b")
        }
        # Only node-a has the weights of toy-weighted: node-b must never take its jobs.
        (root / "node-a" / "models").mkdir(parents=True)
        (root / "node-a" / "models" / "toy-factor.txt").write_bytes(b"0.5")
        for node in nodes.values():
            node.start()
        apis = [api_replica(root / f"api-{i}", env) for i in (1, 2)]
        try:
            # Together, as a scaled compose file starts them: both may create the administrator.
            with ThreadPoolExecutor(len(apis)) as pool:
                list(pool.map(lambda api: api.start(timeout_s=120), apis))
            clients = [api.client() for api in apis]
            admin = login(clients[0], ADMIN_EMAIL, ADMIN_PASSWORD)
            running = Cluster(redis, apis, nodes, clients, admin)
            running.ensure_nodes()
            yield running
            for client in clients:
                client.close()
        finally:
            for api in apis:
                api.stop()
            for node in nodes.values():
                node.stop()
