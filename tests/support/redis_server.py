"""A real Redis for tests: Debian's `redis-server` on a free port, in its own folder.

`restart()` stops it and starts it again on the same port with the same folder: with
`persist=True` (append-only file, fsync always) what was queued survives, as in production.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.support.managed import ManagedServer
from tests.support.server import free_port, terminate


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    return found


class RedisTestServer(ManagedServer):
    def __init__(self, *, persist: bool = False, startup_timeout: float = 20.0) -> None:
        self.persist = persist
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def folder(self) -> Path:
        return Path(self._dir.name)

    def start(self) -> str:
        command = [
            redis_binary(),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", self._dir.name,
            "--save", "",
            "--appendonly", "yes" if self.persist else "no",
            "--appendfsync", "always",
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited: {self.log()}")
            if self._answers():
                return self.url
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer in time: {self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            terminate(process)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.folder / "redis.log"
        return path.read_text()[-2000:] if path.exists() else ""

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
