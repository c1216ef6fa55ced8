"""A MongoDB wire-protocol server for tests: mongoeco, run in its own Python 3.13 process.

mongoeco needs Python 3.13 while the app runs on 3.11, so it lives in a separate venv
(`.venv-mongoeco`, or the interpreter named by MONGOECO_PYTHON) and `mongo_server.py` is
started with it as a subprocess. The server picks a free port and prints its URI.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, NoReturn, Self

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("mongo_server.py")


def mongoeco_python() -> Path:
    configured = os.environ.get("MONGOECO_PYTHON")
    return Path(configured) if configured else REPO / ".venv-mongoeco" / "bin" / "python"


class MongoTestServer:
    """Start with `start()` (or `with MongoTestServer() as server:`); `uri` is then set.

    `on_disk` keeps the data in mongoeco's SQLite engine in a temporary folder instead of in
    memory.
    """

    def __init__(self, *, on_disk: bool = True, startup_timeout: float = 30.0):
        self.on_disk = on_disk
        self.startup_timeout = startup_timeout
        self.uri: str | None = None
        self._process: subprocess.Popen[str] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._stderr: IO[str] | None = None

    @property
    def stderr(self) -> str:
        """What the server has written to stderr so far (for diagnosing a failure)."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()

    def start(self) -> str:
        if self._process is not None:
            raise RuntimeError("MongoTestServer already started")
        python = mongoeco_python()
        if not python.exists():
            raise RuntimeError(
                f"no Python with mongoeco at {python}; create .venv-mongoeco (Python 3.13 with"
                " mongoeco and pymongo) or set MONGOECO_PYTHON"
            )
        command = [str(python), str(SCRIPT), "--exit-with-stdin"]
        if self.on_disk:
            self._tmp = tempfile.TemporaryDirectory(prefix="mongoeco-")
            command += ["--db", str(Path(self._tmp.name) / "mongoeco.sqlite")]
        # stderr goes to a file, not a pipe: nobody reads it while the server runs, and a
        # full pipe would block the server. stop() closes it.
        self._stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,  # closes when this process dies: the server then stops
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        try:
            self.uri = self._read_uri()
        except BaseException:
            self.stop()
            raise
        return self.uri

    def _read_uri(self) -> str:
        assert self._process is not None and self._process.stdout is not None
        deadline = time.monotonic() + self.startup_timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._process.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if selector.select(timeout=left):
                    line = self._process.stdout.readline().strip()
                    if line.startswith("mongodb://"):
                        return line
                    self._fail(f"expected a mongodb:// URI, got {line!r}" if line else "it exited")
        self._fail(f"no URI within {self.startup_timeout:.0f} s")

    def _fail(self, reason: str) -> NoReturn:
        assert self._process is not None
        self._process.kill()
        self._process.wait()
        raise RuntimeError(
            f"mongoeco test server did not start: {reason}"
            f" (exit code {self._process.returncode}).\nstderr:\n{self.stderr}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for pipe in (process.stdin, process.stdout):
                if pipe is not None:
                    pipe.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        self.uri = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
