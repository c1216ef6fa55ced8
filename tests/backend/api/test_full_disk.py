"""The storage guard on a real small filesystem: a 64 MB tmpfs, mounted by the test, is the
data folder of a real server (toy registry), and a filler file takes its space away.

Below the reserve, uploads and contact messages are refused with 507 and no leftover
folder, /api/ready says why it is not ready and the admin statistics show the free space;
once the filler goes, everything works again without a restart. With no reserve, the
writes themselves meet the full disk (ENOSPC): an upload while it streams, and a worker
writing its results; each fails with its own sentence and leaves no partial file.

Needs root (to mount); skipped otherwise."""

from __future__ import annotations

import io
import os
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from modelgallery.jobs.runner import OUT_OF_SPACE
from modelgallery.services.errors import OUT_OF_STORAGE
from tests.conftest import login
from tests.support.jobs import submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

MB = 1024 * 1024
SIZE_MB = 64
BOUNDARY = "mg-full-disk-boundary"
STATE_TIMEOUT_S = 30


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    mount = tmp_path / "data"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE_MB}m,mode=0755", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip() or done.returncode}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def start(data: Path, logs: Path, reserve_mb: int) -> BackendServer:
    server = BackendServer(data, {"DISK_RESERVE_MB": str(reserve_mb)})
    server.log_path = logs / "server.log"  # the log must not need the space the test takes
    return server.start()


def fill(data: Path, leave: int) -> Path:
    """A file taking all but `leave` bytes of the filesystem's free space."""
    filler = data / "filler"
    size = shutil.disk_usage(data).free - leave
    assert size > 0
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)
    return filler


def noise_png(nbytes: int) -> bytes:
    """A valid PNG of about `nbytes` that does not compress (nor does its inverse)."""
    side = int((nbytes / 3) ** 0.5)
    pixels = random.Random(nbytes).randbytes(side * side * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def multipart(content: bytes) -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.png"\r\n'
        f"Content-Type: image/png\r\n\r\n".encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def upload(http: httpx.Client, content: bytes, *, streamed: bool) -> httpx.Response:
    """Streamed: sent in chunks without a Content-Length, so that nothing can be refused
    before the body is read."""
    body = multipart(content)
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    if not streamed:
        return http.post("/api/models/toy/predictions", content=body, headers=headers)

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    return http.post("/api/models/toy/predictions", content=chunks(), headers=headers)


def job_folders(data: Path) -> list[str]:
    jobs = data / "jobs"
    return [p.name for p in jobs.iterdir()] if jobs.is_dir() else []


def assert_out_of_storage(response: httpx.Response) -> None:
    assert response.status_code == 507, response.text
    assert response.json() == {"detail": OUT_OF_STORAGE, "code": "insufficient_storage"}


def wait_ready(http: httpx.Client, ready: bool) -> dict:
    deadline = time.monotonic() + STATE_TIMEOUT_S
    while True:
        response = http.get("/api/ready")
        if (response.status_code == 200) == ready:
            return response.json()
        if time.monotonic() > deadline:
            raise AssertionError(f"/api/ready still answers {response.text}")
        time.sleep(0.05)


CONTACT = {
    "name": "Zoë",
    "email": "zoe@example.com",
    "subject": "Hello",
    "message": "Is anyone reading this?",
}


def test_below_the_reserve_the_server_refuses_new_data_and_recovers(
    small_fs: Path, tmp_path: Path
) -> None:
    reserve = 16 * MB
    server = start(small_fs, tmp_path, reserve // MB)
    try:
        with server.client() as http:
            admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            filler = fill(small_fs, leave=reserve // 2)

            assert_out_of_storage(submit(http))
            assert job_folders(small_fs) == []
            contact = http.post("/api/contact", json=CONTACT)
            assert contact.status_code == 507, contact.text
            assert "your message could not be stored" in contact.json()["detail"]
            ready = wait_ready(http, ready=False)
            assert ready["status"] == "not ready"
            assert ready["checks"]["storage"].startswith("low: ")
            assert "below the reserve of 16.0 MB" in ready["checks"]["storage"]
            assert ready["checks"]["database"] == "ok"
            # the database kept its room: reading and writing records still works
            stats = http.get("/api/admin/stats", headers=admin)
            assert stats.status_code == 200, stats.text
            storage = stats.json()["storage"]
            assert storage["low"] is True
            assert storage["reserve_bytes"] == reserve
            assert storage["free_bytes"] < reserve
            assert storage["total_bytes"] == SIZE_MB * MB

            filler.unlink()
            assert wait_ready(http, ready=True)["checks"]["storage"] == "ok"
            done = submit(http, wait=30)
            assert done.status_code == 200, done.text
            assert done.json()["status"] == "succeeded"
            assert http.post("/api/contact", json=CONTACT).status_code == 202

            # above the reserve, but an upload would take the free space below it
            before = set(job_folders(small_fs))
            picture = noise_png(int(1.9 * MB))
            filler = fill(small_fs, leave=reserve + MB // 2)
            assert_out_of_storage(upload(http, picture, streamed=False))  # by its length
            assert_out_of_storage(upload(http, picture, streamed=True))  # while it streams
            assert set(job_folders(small_fs)) == before
            filler.unlink()
            assert upload(http, picture, streamed=True).status_code == 202
    except BaseException:
        print(server.log())
        raise
    finally:
        server.stop()


def test_a_full_disk_fails_writes_clearly_and_leaves_no_partial_files(
    small_fs: Path, tmp_path: Path
) -> None:
    server = start(small_fs, tmp_path, reserve_mb=0)
    try:
        with server.client() as http:
            picture = noise_png(int(1.5 * MB))

            # the upload itself meets the full disk (ENOSPC) while it streams
            filler = fill(small_fs, leave=MB // 2)
            assert_out_of_storage(upload(http, picture, streamed=True))
            assert job_folders(small_fs) == []
            filler.unlink()

            # the upload fits; the worker's results do not
            filler = fill(small_fs, leave=len(picture) + 3 * MB // 4)
            failed = upload(http, picture, streamed=False)
            assert failed.status_code == 202, failed.text
            job = wait_for(http, failed.json()["id"], timeout_s=STATE_TIMEOUT_S)
            assert job["status"] == "failed", job
            assert job["error"] == OUT_OF_SPACE
            assert not (small_fs / "jobs" / job["id"] / "output").exists()
            filler.unlink()

            assert wait_ready(http, ready=True)["checks"]["storage"] == "ok"
            done = submit(http, content=picture, wait=30)
            assert done.status_code == 200, done.text
            assert done.json()["status"] == "succeeded"
    except BaseException:
        print(server.log())
        raise
    finally:
        server.stop()
