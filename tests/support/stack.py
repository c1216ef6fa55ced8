"""Runs the production process manager for tests: `supervisord -c supervisord/supervisord.conf`
(the file the backend image runs), with temporary folders and free ports, and Debian's nginx
in front (tests/support/nginx.py). Only the environment differs from the container."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.nginx import NginxServer
from tests.support.server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    NO_QUOTAS,
    REPO,
    TOY_REGISTRY,
    free_port,
    log_tail,
    stop_process,
)

CONF = REPO / "supervisord" / "supervisord.conf"
BIN = Path(sys.executable).parent  # the venv: supervisord, modelgallery, jupyter


class SupervisorStack:
    def __init__(
        self,
        tmp: Path,
        site: Path,
        jupyter_token: str | None = None,
        env: dict[str, str] | None = None,
        max_upload_mb: int = 200,
    ) -> None:
        self.tmp = tmp
        self.port = free_port()
        self.jupyter_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "supervisord.out"
        self.env = {
            "MG_APP_DIR": str(REPO),
            "MG_RUN_DIR": str(tmp / "run"),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": str(REPO),  # the toy model family lives in tests/support
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "DATA_DIR": str(tmp / "data"),
            "MODELS_FILE": str(TOY_REGISTRY),
            "MODELS_DIR": str(tmp / "models"),
            "FRONTEND_DIST": str(site),
            "ADMIN_EMAIL": ADMIN_EMAIL,
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "WORKER_GROUPS": '{"toy": 1, "toyq": 1}',
            "JUPYTER_IP": "127.0.0.1",
            "JUPYTER_PORT": str(self.jupyter_port),
            "NOTEBOOK_DIR": str(REPO / "notebooks"),
            "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
            "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
            "JUPYTER_RUNTIME_DIR": str(tmp / "jupyter-runtime"),
            "IPYTHONDIR": str(tmp / "ipython"),
            **NO_QUOTAS,
            **(env or {}),
        }
        if jupyter_token:
            self.env["JUPYTER_TOKEN"] = jupyter_token
        self.proxy = NginxServer(
            tmp / "nginx",
            f"127.0.0.1:{self.port}",
            site,
            max_upload_mb=max_upload_mb,
            jupyter_addr=f"127.0.0.1:{self.jupyter_port}",
        )
        self.process: subprocess.Popen[bytes] | None = None

    def _environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("MONGODB_URI", "JUPYTER_TOKEN")}
        env.update(self.env)
        return env

    def start(self, timeout_s: float = 60) -> SupervisorStack:
        (self.tmp / "run").mkdir(parents=True, exist_ok=True)
        # the process keeps its own copy of the file; ours is closed at once
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "supervisord"), "-c", str(CONF)],
                cwd=REPO,
                env=self._environ(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.proxy.start()
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited:\n{self.log()}")
            try:
                if httpx.get(f"{self.api_url}/api/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the API was not ready within {timeout_s} s:\n{self.log()}")

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(BIN / "supervisorctl"), "-c", str(CONF), *args],
            env=self._environ(),
            capture_output=True,
            text=True,
            timeout=60,
        )

    def pid(self, program: str) -> int:
        return int(self.ctl("pid", program).stdout.strip() or 0)

    def stop(self, timeout_s: float = 60) -> int | None:
        self.proxy.stop()
        if self.process is None:
            return None
        code = stop_process(self.process, signal.SIGTERM, timeout_s)
        self.process = None
        return code

    def log(self) -> str:
        return log_tail(self.log_path)

    def __enter__(self) -> SupervisorStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
