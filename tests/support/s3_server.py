"""A real S3-compatible server for tests: moto's server mode in a subprocess on a free port,
spoken to over HTTP like any S3 endpoint. `env` holds what a process needs to reach it
(obstore reads the AWS_* variables); `keys` and `etag` look at the bucket directly.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx

from tests.support.managed import ManagedServer
from tests.support.server import free_port, terminate

_S3 = "{http://s3.amazonaws.com/doc/2006-03-01/}"


class S3TestServer(ManagedServer):
    def __init__(self, bucket: str = "gallery", *, startup_timeout: float = 30.0) -> None:
        self.bucket = bucket
        self.startup_timeout = startup_timeout
        self.port = free_port()
        self._dir = tempfile.TemporaryDirectory(prefix="moto-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        """The environment a server or node needs to use the bucket (with STORAGE_URL)."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1",
        }

    def url(self, prefix: str = "") -> str:
        """STORAGE_URL for the bucket, under `prefix`."""
        return f"s3://{self.bucket}/{prefix}".rstrip("/")

    def start(self) -> str:
        log = (Path(self._dir.name) / "moto.log").open("ab")
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the process keeps its own copy
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto exited: {self.log()}")
            try:
                created = httpx.put(f"{self.endpoint}/{self.bucket}", timeout=2)
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            created.raise_for_status()
            return self.endpoint
        self.stop()
        raise RuntimeError(f"moto did not answer in time: {self.log()}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            terminate(process)

    def keys(self, prefix: str = "") -> list[str]:
        """Every key in the bucket under `prefix` (moto answers unsigned requests)."""
        keys: list[str] = []
        token: str | None = None
        while True:
            params = {"list-type": "2", "prefix": prefix}
            if token:
                params["continuation-token"] = token
            answer = httpx.get(f"{self.endpoint}/{self.bucket}", params=params, timeout=10)
            answer.raise_for_status()
            root = ET.fromstring(answer.content)
            keys += [key.text or "" for key in root.iter(f"{_S3}Key")]
            token = root.findtext(f"{_S3}NextContinuationToken")
            if not token:
                return sorted(keys)

    def etag(self, key: str) -> str:
        answer = httpx.head(f"{self.endpoint}/{self.bucket}/{key}", timeout=10)
        answer.raise_for_status()
        return answer.headers["etag"].strip('"')

    def log(self) -> str:
        path = Path(self._dir.name) / "moto.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""
