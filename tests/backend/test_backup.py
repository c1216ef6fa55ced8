"""`modelgallery backup` and `restore` through the real CLI and the real server: a backup
taken while the server runs restores into a fresh folder, and a server started there serves
the old predictions, files and messages; damaged archives and occupied folders are refused."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import login
from tests.support.jobs import png_bytes, submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, REPO, BackendServer

MESSAGE = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "subject": "Backups",
    "message": "Are my results kept when the server moves?",
}


def _cli(server: BackendServer, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    environ.update(server.env, PYTHONPATH=str(REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "modelgallery", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _files(http: httpx.Client, job: dict, headers: dict[str, str]) -> dict[str, str]:
    """sha256 of every input and result file of a job, by URL."""
    urls = [f["url"] for f in job["inputs"]] + [a["url"] for a in job["artifacts"]]
    sums = {}
    for url in urls:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, (url, response.text)
        sums[url] = hashlib.sha256(response.content).hexdigest()
    return sums


def _tampered(archive: Path, out: Path, member_name: str) -> None:
    """A copy of the archive with one byte of one file's data changed."""
    with tarfile.open(archive) as tar:
        offset = tar.getmember(member_name).offset_data
    data = bytearray(archive.read_bytes())
    data[offset] ^= 0xFF
    out.write_bytes(bytes(data))


def _without(archive: Path, out: Path, member_name: str) -> None:
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        for member in source:
            if member.name != member_name:
                target.addfile(member, source.extractfile(member))


@contextmanager
def _submitting(server: BackendServer) -> Iterator[None]:
    """Submits predictions one after another on a second connection until the block ends."""
    stop = threading.Event()

    def run() -> None:
        with server.client() as http:
            while not stop.is_set():
                if submit(http, name="during.png").status_code != 202:
                    time.sleep(0.05)  # the queue is full: let it drain

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(60)


def test_backup_restores_into_a_fresh_folder(tmp_path: Path) -> None:
    server = BackendServer(tmp_path / "data").start()
    try:
        with server.client() as http:
            admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
            done = [
                submit(http, content=png_bytes(color=(10 * i, 80, 200)), wait=30, headers=admin)
                for i in range(3)
            ]
            anonymous = submit(http, name="mine.png", wait=30).json()
            jobs = [r.json() for r in done] + [anonymous]
            assert all(j["status"] == "succeeded" for j in jobs), jobs
            # still running while the backup is taken: it runs again after the restore
            running = submit(http, params={"sleep_s": 3, "steps": 30}, headers=admin).json()
            wait_for(http, running["id"], ("running",), headers=admin)
            assert http.post("/api/contact", json=MESSAGE).status_code == 202
            before = {j["id"]: _files(http, j, admin) for j in jobs}

            archive = tmp_path / "backups" / "nightly.tar"
            archive.parent.mkdir()
            with _submitting(server):  # uploads and results keep arriving meanwhile
                made = _cli(server, "backup", "--out", str(archive))
            assert made.returncode == 0, made.stderr
            print(made.stdout)
            again = _cli(server, "backup", "--out", str(archive))
            assert again.returncode == 1 and "exists already" in again.stderr
    finally:
        server.stop()

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = tar.getnames()
    total = manifest["counts"]["jobs"]
    assert total >= 5 and manifest["store"] == "sqlite"
    assert f"{total} predictions" in made.stdout and "1 contact message" in made.stdout
    assert names[0] == "modelgallery.sqlite3" and names[-1] == "manifest.json"
    assert not any(n.startswith(f"jobs/{running['id']}/output/") for n in names)
    assert (archive.stat().st_mode & 0o777) == 0o600

    restored = tmp_path / "restored"
    result = _cli(server, "restore", str(archive), "--data-dir", str(restored))
    assert result.returncode == 0, result.stderr
    assert f"{total} predictions" in result.stdout and "1 contact message" in result.stdout

    with BackendServer(restored) as second, second.client() as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        mine = http.get("/api/predictions", headers=admin).json()
        assert {j["id"] for j in mine["data"]} == {j["id"] for j in jobs[:3]} | {running["id"]}
        for job in jobs:
            again = http.get(f"/api/predictions/{job['id']}", headers=admin).json()
            assert again["status"] == "succeeded" and again["result"] == job["result"]
            assert _files(http, again, admin) == before[job["id"]]
        assert wait_for(http, running["id"], headers=admin)["status"] == "succeeded"
        # every prediction in the backup, those submitted during it too, has its files
        everything = http.get("/api/admin/predictions?limit=500", headers=admin).json()
        assert everything["count"] == total
        for job in everything["data"]:
            final = wait_for(http, job["id"], headers=admin)
            assert final["status"] == "succeeded", final
            _files(http, final, admin)
        messages = http.get("/api/admin/messages", headers=admin).json()["data"]
        assert [m["subject"] for m in messages] == [MESSAGE["subject"]]

    # a restore never writes over a folder in use without being told to
    occupied = _cli(server, "restore", str(archive), "--data-dir", str(restored))
    assert occupied.returncode == 1 and "is not empty" in occupied.stderr
    forced = _cli(server, "restore", str(archive), "--data-dir", str(restored), "--force")
    assert forced.returncode == 0, forced.stderr


def test_damaged_archives_are_refused_naming_the_file(tmp_path: Path) -> None:
    with BackendServer(tmp_path / "data") as server, server.client() as http:
        job = submit(http, wait=30).json()
        assert job["status"] == "succeeded"
        archive = tmp_path / "backup.tar"
        assert _cli(server, "backup", "--out", str(archive)).returncode == 0
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        for entry in manifest["files"]:
            content = tar.extractfile(entry["path"]).read()
            assert len(content) == entry["size"]
            assert hashlib.sha256(content).hexdigest() == entry["sha256"]
        assert {e["path"] for e in manifest["files"]} == set(tar.getnames()) - {"manifest.json"}
    assert {"app_version", "created_at", "counts", "schema_version"} <= manifest.keys()

    output = f"jobs/{job['id']}/output/{job['artifacts'][0]['name']}"
    stored = job["inputs"][0]["url"].rsplit("/", 1)[1]
    damaged = {
        "changed": (_tampered, output),
        "missing": (_without, f"jobs/{job['id']}/input/{stored}"),
        "database": (_tampered, "modelgallery.sqlite3"),
    }
    for how, (damage, name) in damaged.items():
        copy = tmp_path / f"{how}.tar"
        damage(archive, copy, name)
        target = tmp_path / f"target-{how}"
        refused = _cli(server, "restore", str(copy), "--data-dir", str(target))
        assert refused.returncode == 1, (how, refused.stdout)
        assert name in refused.stderr and "damaged" in refused.stderr, (how, refused.stderr)
        assert not target.exists(), how  # nothing was written

    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    cut = _cli(server, "restore", str(truncated), "--data-dir", str(tmp_path / "t"))
    assert cut.returncode == 1 and "damaged" in cut.stderr, cut.stderr
    assert "Traceback" not in cut.stderr


def test_backup_points_mongodb_users_at_mongodump(tmp_path: Path) -> None:
    server = BackendServer(tmp_path / "data")  # not started: the CLI needs only its settings
    result = _cli(server, "backup", MONGODB_URI="mongodb://127.0.0.1:9/none")
    assert result.returncode == 2
    assert "mongodump" in result.stderr and "mongorestore" in result.stderr
    assert "cf data.tar jobs secret.key" in result.stderr
    missing = _cli(server, "backup", "--out", str(tmp_path / "x.tar"))
    assert missing.returncode == 1 and "no database" in missing.stderr


def test_backup_advice_for_a_cluster_names_the_bucket_and_no_key_file(tmp_path: Path) -> None:
    """With SECRET_KEY set there is no secret.key to copy, and with STORAGE_URL the job
    files are in the bucket (the data folder holds working copies only)."""
    server = BackendServer(tmp_path / "data")
    result = _cli(
        server,
        "backup",
        MONGODB_URI="mongodb://127.0.0.1:9/none",
        SECRET_KEY="a key shared by the replicas of this test",
        STORAGE_URL="s3://gallery-jobs/prod",
    )
    assert result.returncode == 2
    assert "secret.key" not in result.stderr and "data.tar" not in result.stderr
    assert "aws s3 sync s3://gallery-jobs/prod" in result.stderr
    assert "SECRET_KEY is set" in result.stderr
