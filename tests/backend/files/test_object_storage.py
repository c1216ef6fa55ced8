"""Job files in object storage (STORAGE_URL), each test once per kind of bucket: s3:// against
a real S3-compatible server (moto's server mode over HTTP) and gs:// against a Google Cloud
Storage emulator (fake-gcs-server: tests/support/gcs_server.py says what it lacks). Two
machines with their own data folders see each other's files through the bucket, a large file
goes up in parts, and through the API a download comes back from the bucket once the local copy
is gone, until the prediction is deleted."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelgallery.files import open_job_files
from modelgallery.files.objects import PART_BYTES
from modelgallery.files.storage import JobFiles, ObjectStoreError, UnsafePathError
from tests.support.gcs_server import GCSTestServer
from tests.support.jobs import submit
from tests.support.s3_server import S3TestServer
from tests.support.server import BackendServer

JOB = "0123456789abcdef0123456789abcdef"
Bucket = S3TestServer | GCSTestServer
SERVERS: dict[str, type[Bucket]] = {"s3": S3TestServer, "gs": GCSTestServer}


@pytest.fixture(scope="module", params=list(SERVERS))
def bucket(request: pytest.FixtureRequest) -> Iterator[Bucket]:
    with SERVERS[request.param]() as server:
        yield server


@pytest.fixture
def bucket_env(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """The bucket's settings in this process's environment (without any other Google
    credentials: obstore refuses a key JSON and a key file together)."""
    for name in list(os.environ):
        if name.startswith("GOOGLE_"):
            monkeypatch.delenv(name)
    for name, value in bucket.env.items():
        monkeypatch.setenv(name, value)
    return bucket


def machines(bucket: Bucket, tmp_path: Path, prefix: str) -> tuple[JobFiles, JobFiles]:
    """An API replica and a worker node: each its own data folder, one bucket."""
    url = bucket.url(prefix)
    return open_job_files(tmp_path / "api", url), open_job_files(tmp_path / "node", url)


def parts_of(bucket: Bucket, key: str) -> int:
    """How many parts the object at `key` was uploaded in (1: a single PUT)."""
    if isinstance(bucket, GCSTestServer):
        return bucket.parts(key) or 1  # the emulator's proxy counts them
    # S3 gives an object uploaded in parts the ETag "<md5 of the parts' md5s>-<parts>"
    _, dash, parts = bucket.etag(key).rpartition("-")
    return int(parts) if dash else 1


async def test_files_cross_machines_through_the_bucket(bucket_env: Bucket, tmp_path: Path):
    api, node = machines(bucket_env, tmp_path, "round-trip")
    assert api.shared and node.shared
    await api.check()
    api.create(JOB)
    api.input_path(JOB, "input-0.png").write_bytes(b"picture")
    await api.publish_inputs(JOB)
    assert bucket_env.keys("round-trip/") == [f"round-trip/jobs/{JOB}/input/input-0.png"]

    await node.fetch_inputs(JOB, ["input-0.png"])
    assert node.input_path(JOB, "input-0.png").read_bytes() == b"picture"
    node.output_path(JOB, "result.json").write_text("{}")
    await node.publish_outputs(JOB, ["result.json"])

    fetched = await api.local_file(JOB, "output", "result.json")
    assert fetched == api.output_path(JOB, "result.json") and fetched.read_text() == "{}"
    assert sorted(p.name for p in fetched.parent.iterdir()) == ["result.json"]  # no leftovers

    with pytest.raises(FileNotFoundError):
        await api.local_file(JOB, "output", "missing.png")
    with pytest.raises(FileNotFoundError):
        await node.fetch_inputs(JOB, ["input-1.png"])
    with pytest.raises(UnsafePathError):
        await api.local_file(JOB, "input", "../output/result.json")

    await api.purge(JOB)
    assert bucket_env.keys("round-trip/") == []
    assert not api.job_dir(JOB).exists()
    node.remove(JOB)
    with pytest.raises(FileNotFoundError):  # gone from the bucket: nowhere now
        await node.local_file(JOB, "output", "result.json")


async def test_local_disk_only_needs_no_bucket(tmp_path: Path) -> None:
    files = open_job_files(tmp_path / "jobs", None)
    assert not files.shared
    await files.check()
    files.create(JOB)
    files.input_path(JOB, "input-0.png").write_bytes(b"x")
    await files.publish_inputs(JOB)
    await files.fetch_inputs(JOB, ["input-0.png"])
    await files.publish_outputs(JOB, ["not-written.png"])
    assert await files.local_file(JOB, "input", "input-0.png") == files.input_path(
        JOB, "input-0.png"
    )
    with pytest.raises(FileNotFoundError):
        await files.local_file(JOB, "output", "not-written.png")
    await files.purge(JOB)
    assert not files.job_dir(JOB).exists()


async def test_a_large_file_goes_up_in_parts(bucket_env: Bucket, tmp_path: Path) -> None:
    api, node = machines(bucket_env, tmp_path, "large")
    node.create(JOB)
    video = node.output_path(JOB, "video.webm")
    with video.open("wb") as out:
        for _ in range(20):
            out.write(os.urandom(1024 * 1024))
    await node.publish_outputs(JOB, ["video.webm"])
    parts = -(-video.stat().st_size // PART_BYTES)
    assert parts > 1
    assert parts_of(bucket_env, f"large/jobs/{JOB}/output/video.webm") == parts
    fetched = await api.local_file(JOB, "output", "video.webm")
    assert _sha256(fetched) == _sha256(video)
    await api.purge(JOB)
    assert bucket_env.keys("large/") == []


async def test_a_bucket_that_cannot_be_used_is_named(bucket_env: Bucket, tmp_path: Path):
    url = bucket_env.url("jobs").replace(f"://{bucket_env.bucket}/", "://no-such-bucket/")
    missing = open_job_files(tmp_path, url)
    with pytest.raises(ObjectStoreError, match=re.escape(f"STORAGE_URL {url} cannot be reached: ")):
        await missing.check()
    with pytest.raises(ObjectStoreError, match="not a bucket URL"):
        open_job_files(tmp_path, "https://example.org/bucket")


def test_downloads_through_the_api_come_from_the_bucket(bucket: Bucket, tmp_path: Path):
    env = {**bucket.env, "STORAGE_URL": bucket.url("api")}
    with BackendServer(tmp_path / "data", env) as server, server.client() as http:
        job = submit(http, wait=30).json()
        assert job["status"] == "succeeded", job
        input_url, output_url = job["inputs"][0]["url"], job["artifacts"][0]["url"]
        prefix = f"api/jobs/{job['id']}/"
        assert bucket.keys(prefix) == sorted(
            [prefix + "input/" + input_url.rsplit("/", 1)[-1].split("?")[0]]
            + [prefix + "output/" + a["name"] for a in job["artifacts"]]
        )
        first = http.get(output_url)
        assert first.status_code == 200

        shutil.rmtree(tmp_path / "data" / "jobs" / job["id"])  # as on another replica
        again = http.get(output_url)
        assert again.status_code == 200 and again.content == first.content
        assert again.headers["x-content-type-options"] == "nosniff"
        assert http.get(input_url).status_code == 200

        assert http.delete(f"/api/predictions/{job['id']}").status_code == 204
        assert bucket.keys(prefix) == []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
