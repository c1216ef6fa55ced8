"""The Celery path against the local executor, in one run, on the toy model.

    .venv/bin/python -m benchmarks.cluster [--jobs 40] [--burst 24] [--work-s 0.5]

Starts the test cluster's real parts (tests/support: redis-server, mongoeco, moto's S3
server) and measures:

- per-job overhead: `--jobs` sequential `POST /api/models/toy/predictions?wait=30` of a
  32x24 PNG with no work (the toy model inverts it), median client latency and the median
  of each stage the job records; the local executor and the Celery path both on MongoDB
  (mongoeco), the Celery path with its files in S3 (moto), as a cluster runs;
- throughput: `--burst` jobs of `--work-s` seconds each (the toy sleeps: the work does not
  take a core, so that two nodes on this 2-core machine are not measured against each other
  for the CPU), 8 in flight, with one worker node and with two (one process each).

Prints markdown; asserts nothing."""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import login
from tests.support.cluster import WorkerNode, cluster_env, wait_until
from tests.support.jobs import png_bytes
from tests.support.mongo import MongoTestServer
from tests.support.redis_server import RedisTestServer
from tests.support.s3_server import S3TestServer
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

PNG = png_bytes()


def run_job(http: httpx.Client, params: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    response = http.post(
        "/api/models/toy/predictions",
        params={"wait": 30},
        files={"file": ("p.png", PNG, "image/png")},
        data={k: str(v) for k, v in params.items()},
    )
    elapsed = (time.perf_counter() - started) * 1000
    job = response.json()
    if job.get("status") != "succeeded":
        raise RuntimeError(f"job did not succeed: {job}")
    return elapsed, job


def sequential(http: httpx.Client, count: int) -> dict[str, float]:
    run_job(http, {})  # warm: connections, first imports
    latencies: list[float] = []
    stages: dict[str, list[float]] = defaultdict(list)
    for _ in range(count):
        elapsed, job = run_job(http, {})
        latencies.append(elapsed)
        for stage, ms in job["timings"]["stages"].items():
            stages[stage].append(ms)
    return {"latency": statistics.median(latencies)} | {
        stage: statistics.median(values) for stage, values in stages.items()
    }


def burst(http: httpx.Client, count: int, work_s: float) -> float:
    params = {"sleep_s": work_s, "steps": 2}
    started = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: run_job(http, params), range(count)))
    return count / (time.perf_counter() - started)


@contextmanager
def local_server(root: Path, mongo_uri: str) -> Iterator[httpx.Client]:
    env = {
        "MONGODB_URI": mongo_uri,
        "MONGODB_DB": "local",
        "WORKER_GROUPS": '{"toy": 1}',
        "QUEUE_SIZE": "64",
    }
    with BackendServer(root / "local", env) as server, server.client() as http:
        yield http


@contextmanager
def cluster(root: Path, env: dict[str, str], nodes: int) -> Iterator[httpx.Client]:
    workers = [WorkerNode(f"bench-{i}", root / f"node-{i}", env, "toy") for i in range(nodes)]
    with ExitStack() as stack:
        for node in workers:
            node.start()
            stack.callback(node.stop)
        server = stack.enter_context(BackendServer(root / f"api-{nodes}", env))
        http = stack.enter_context(server.client())

        def serving() -> bool:
            listed = http.get("/api/models/toy").json()
            return listed["state"] == "loaded" and len(_ready(server)) == nodes

        wait_until(serving, 120, f"{nodes} node(s) to serve toy")
        yield http


def _ready(server: BackendServer) -> list[str]:
    with server.client() as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        workers = http.get("/api/admin/models", headers=admin).json()["workers"]
    return [w["node"] for w in workers if w["ready"]]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--burst", type=int, default=24)
    parser.add_argument("--work-s", type=float, default=0.5)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp,
        RedisTestServer() as redis,
        MongoTestServer() as mongo,
        S3TestServer() as s3,
    ):
        root = Path(tmp)
        assert mongo.uri is not None
        env = cluster_env(redis.url, mongo.uri, {**s3.env, "STORAGE_URL": s3.url("bench")})
        with local_server(root, mongo.uri) as http:
            local = sequential(http, args.jobs)
            local_rate = burst(http, args.burst, args.work_s)
        with cluster(root, env, 1) as http:
            celery = sequential(http, args.jobs)
            one_node = burst(http, args.burst, args.work_s)
        with cluster(root, env, 2) as http:
            two_nodes = burst(http, args.burst, args.work_s)

    print(f"## Per-job overhead: toy model, no work, median of {args.jobs} sequential jobs\n")
    print("| ms | local executor | Celery + S3 | difference |")
    print("|---|---|---|---|")
    for stage in ["latency", *sorted((set(local) | set(celery)) - {"latency"})]:
        a, b = local.get(stage), celery.get(stage)
        diff = f"{b - a:+.1f}" if a is not None and b is not None else ""
        print(f"| {stage} | {_ms(a)} | {_ms(b)} | {diff} |")
    print(f"\n## Throughput: {args.burst} jobs of {args.work_s} s each, 8 in flight\n")
    print("| | jobs/s | over one node |")
    print("|---|---|---|")
    print(f"| local executor, 1 process | {local_rate:.2f} | |")
    print(f"| Celery, 1 node x 1 process | {one_node:.2f} | 1.00 |")
    print(f"| Celery, 2 nodes x 1 process | {two_nodes:.2f} | {two_nodes / one_node:.2f} |")


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


if __name__ == "__main__":
    main()
