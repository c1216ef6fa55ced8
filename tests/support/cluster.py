"""A cluster on one machine, from real parts: Redis (`redis-server`), MongoDB's wire
protocol (mongoeco), an S3 server (moto), API replicas (`modelgallery serve`) and worker
nodes (`modelgallery worker`), each with its own data folder: nothing is shared but what
production shares (Redis, the database, the bucket)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from .server import REPO, TOY_REGISTRY, BackendServer, log_tail, stop_process

HEARTBEAT_S = 1.0


def cluster_env(redis_url: str, mongo_uri: str, storage: dict[str, str]) -> dict[str, str]:
    return {
        "EXECUTOR": "celery",
        "REDIS_URL": redis_url,
        "MONGODB_URI": mongo_uri,
        "MONGODB_DB": "cluster",
        "NODE_HEARTBEAT_S": str(HEARTBEAT_S),
        "QUEUE_SIZE": "20",
        "SECRET_KEY": "a key the API replicas of this test cluster share",
        **storage,
    }


class WorkerNode:
    """`modelgallery worker` in its own session (SIGKILL takes its whole process tree)."""

    def __init__(
        self, name: str, data_dir: Path, env: dict[str, str], groups: str, code: Path = REPO
    ) -> None:
        self.name = name
        self.data_dir = data_dir
        self.groups = groups
        self.code = code  # the checkout it runs: this one, or an earlier release's
        self.log_path = data_dir / "worker.log"
        self.env = {
            "DATA_DIR": str(data_dir),
            "MODELS_FILE": str(TOY_REGISTRY),
            "MODELS_DIR": str(data_dir / "models"),
            "NODE_NAME": name,
            "WORKER_GROUPS": '{"toy": 1, "toyq": 1}',
            "LOG_JSON": "true",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerNode:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self.env}
        env["PYTHONPATH"] = os.pathsep.join([str(self.code / "backend"), str(self.code)])
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "modelgallery", "worker", "--groups", self.groups],
                cwd=self.code,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def kill(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGKILL, 10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process, signal.SIGTERM, 30)
            self.process = None

    def log(self) -> str:
        return log_tail(self.log_path)


def api_replica(data_dir: Path, env: dict[str, str]) -> BackendServer:
    return BackendServer(data_dir, env)


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll for an event (never a duration): fails naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def nodes_serving(http: httpx.Client, model: str, admin: dict[str, str]) -> list[str]:
    """The nodes whose live processes have `model` loaded, as the admin API lists them."""
    workers = http.get("/api/admin/models", headers=admin).json()["workers"]
    return sorted({w["node"] for w in workers if w["models"].get(model) == "loaded"})


def release_checkout(commit: str, target: Path) -> Path:
    """The backend and the test models of an earlier commit, from this repository's history,
    to run a node of that release beside this one (the venv is shared: the dependencies of
    both must be the same)."""
    target.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", commit, "backend/modelgallery", "tests", "models"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target
