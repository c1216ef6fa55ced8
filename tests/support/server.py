"""Runs the real backend (`python -m modelgallery serve`) in a subprocess for tests, the way
people run it, and talks to it over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
TOY_REGISTRY = REPO / "tests" / "support" / "toy_models.toml"
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery"
# The real registries' groups at one worker each: the default (one per core) costs test
# machines memory and start-up time without testing anything more.
ONE_WORKER_EACH = '{"torch": 1, "tf": 1, "cpu": 1}'
# Every test client is 127.0.0.1: the visitors' quotas are off but where a test tries them
# (tests/backend/api/test_quotas.py).
NO_QUOTAS = {
    f"{quota}_{tier}": "0"
    for quota in ("UPLOADS_PER_MINUTE", "UPLOAD_MB_PER_DAY", "ACTIVE_JOBS")
    for tier in ("ANONYMOUS", "USER")
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen[bytes], sig: int, timeout_s: float) -> int:
    """Signal a process started with `start_new_session`; its whole group is killed if it
    has not exited within `timeout_s` (or at once for SIGKILL)."""
    if process.poll() is None:
        if sig == signal.SIGKILL:
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.send_signal(sig)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return process.returncode


def terminate(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited within 10 s."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def log_tail(path: Path, chars: int = 6000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else ""


class BackendServer:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self.env = {
            "DATA_DIR": str(data_dir),
            "MODELS_FILE": str(TOY_REGISTRY),
            "MODELS_DIR": str(data_dir / "models"),
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WORKER_GROUPS": '{"toy": 2, "toyq": 1}',
            "QUEUE_SIZE": "3",
            "SMTP_RETRY_BASE_S": "0.2",
            "LOG_JSON": "true",
            "FRONTEND_DIST": str(data_dir / "no-frontend"),
            **NO_QUOTAS,
            **(env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 60) -> BackendServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI",)}
        env.update(self.env)
        # The toy model family lives in tests/support; backend/ first so that a second
        # worktree runs its own code, not the one the shared venv's editable install names.
        extra = [self.env["PYTHONPATH"]] if self.env.get("PYTHONPATH") else []
        env["PYTHONPATH"] = os.pathsep.join([str(REPO / "backend"), str(REPO), *extra])
        # the process keeps its own copy of the file; ours is closed at once
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "modelgallery", "serve", "--port", str(self.port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so that a test can kill it with its workers
            )
        self.started_at = time.monotonic()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the backend exited at start:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/api/ready", timeout=2).status_code == 200:
                    self.ready_after_s = time.monotonic() - self.started_at
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the backend was not ready within {timeout_s} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> int | None:
        if self.process is None:
            return None
        code = stop_process(self.process, sig, timeout_s)
        self.process = None
        return code

    def log(self) -> str:
        return log_tail(self.log_path)

    def client(self, **kwargs) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def __enter__(self) -> BackendServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
