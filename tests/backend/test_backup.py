"""`modelgallery backup` and `restore` through the real CLI and the real server: a backup
taken while the server runs restores into a fresh folder, and a server started there serves
the old predictions, files and messages; damaged archives and occupied folders are refused.
The weights of uploaded model versions travel with it, checked against the store's sha256."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from modelgallery.cli.archive import BackupError, verify_archive
from modelgallery.store.model_records import (
    ModelRecord,
    ModelVersion,
    StoredWeight,
    VersionState,
)
from modelgallery.store.sqlite import SqliteStore
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


# --- the weights of uploaded model versions ---------------------------------------------------

WEIGHTS = b"not a network, only bytes standing for one\n" * 2000  # 86 000 bytes
EXAMPLE = png_bytes(color=(1, 2, 3))


def _sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _records(database: Path, call: str, *args: object) -> object:
    """store.versions.<call>(*args) on the database of a data folder."""

    async def run() -> object:
        store = SqliteStore(database)
        await store.open()
        try:
            return await getattr(store.versions, call)(*args)
        finally:
            await store.close()

    return asyncio.run(run())


def _gallery_with_an_uploaded_version(data: Path, models: Path) -> list[ModelVersion]:
    """A store as an administrator's upload leaves it (what `VersionIntake` writes: the file
    `<sha16>-<name>` in the models folder, the version naming it with its sha256, the example
    in the data folder), beside a version of models.toml whose file fetch-models fetches."""
    sha = _sha(WEIGHTS)
    file = f"{sha[:16]}-cats.onnx"
    models.mkdir(parents=True, exist_ok=True)
    (models / file).write_bytes(WEIGHTS)

    async def records() -> list[ModelVersion]:
        store = SqliteStore(data / "modelgallery.sqlite3")
        await store.open()
        try:
            for name in ("cats", "dogs"):
                await store.models.create(
                    ModelRecord(
                        id=name, title=name, task="image-classification", family="x", group="g"
                    )
                )
            uploaded = await store.versions.create(
                ModelVersion(
                    model="cats",
                    number=1,
                    state=VersionState.ready,
                    weights=[StoredWeight(file=file, sha256=sha, size=len(WEIGHTS))],
                    options={"labels": ["cat", "not a cat"]},
                    example="example.png\nmy cat.png\nimage/png",
                    created_by=ADMIN_EMAIL,
                )
            )
            seeded = await store.versions.create(
                ModelVersion(
                    model="dogs",
                    number=1,
                    state=VersionState.live,
                    weights=[StoredWeight(file="dogs.pt", url="https://example.org/dogs.pt")],
                )
            )
            return [uploaded, seeded]
        finally:
            await store.close()

    versions = asyncio.run(records())
    examples = data / "model-examples" / versions[0].id
    examples.mkdir(parents=True)
    (examples / "example.png").write_bytes(EXAMPLE)
    return versions


def _offline(tmp_path: Path) -> BackendServer:
    """The CLI's settings for a gallery whose models folder is not inside its data folder (as
    in the Docker stack: /data and /models). Never started: the store is written directly."""
    return BackendServer(tmp_path / "data", env={"MODELS_DIR": str(tmp_path / "models")})


def _rewritten(
    archive: Path, out: Path, change: dict[str, bytes | None], **manifest: object
) -> None:
    """A copy of the archive with members replaced (None: left out) and the manifest made
    to agree: the kind of archive only a deliberate edit or another writer produces."""
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        old = json.load(source.extractfile("manifest.json"))
        files = []
        for member in source:
            if member.name == "manifest.json":
                continue
            content = change.get(member.name, source.extractfile(member).read())
            if content is None:
                continue
            files.append({"path": member.name, "size": len(content), "sha256": _sha(content)})
            member.size = len(content)
            target.addfile(member, io.BytesIO(content))
        new = {**old, "files": files, **manifest}
        new = {k: v for k, v in new.items() if v is not None}
        content = json.dumps(new).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(content)
        target.addfile(info, io.BytesIO(content))


def test_uploaded_weights_travel_with_the_backup(tmp_path: Path) -> None:
    server = _offline(tmp_path)
    uploaded, seeded = _gallery_with_an_uploaded_version(server.data_dir, tmp_path / "models")
    file = uploaded.weights[0].file
    archive = tmp_path / "backup.tar"

    started = time.monotonic()
    made = _cli(server, "backup", "--out", str(archive))
    took = time.monotonic() - started
    assert made.returncode == 0, made.stderr
    assert f"1 of them weights ({len(WEIGHTS) / 1024:.1f} KiB)" in made.stdout, made.stdout
    assert (
        "left out dogs.pt (dogs v1): from models.toml; `modelgallery fetch-models`" in made.stdout
    )
    print(f"backup: {archive.stat().st_size} bytes in {took:.2f} s (CLI process included)")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        assert tar.extractfile(f"models/{file}").read() == WEIGHTS
        assert tar.extractfile(f"model-examples/{uploaded.id}/example.png").read() == EXAMPLE
        assert "models/dogs.pt" not in tar.getnames()
    assert manifest["format_version"] == 2
    assert [(w["file"], w["reason"]) for w in manifest["models_left_out"]] == [
        ("dogs.pt", "refetch")
    ]

    data, models = tmp_path / "new" / "data", tmp_path / "new" / "models"
    started = time.monotonic()
    restored = _cli(
        server, "restore", str(archive), "--data-dir", str(data), "--models-dir", str(models)
    )
    took = time.monotonic() - started
    assert restored.returncode == 0, restored.stderr
    print(f"restore: {took:.2f} s (CLI process included)")
    assert f"1 weight files into {models}" in restored.stdout
    assert "`modelgallery fetch-models` fetches again: dogs.pt" in restored.stdout
    assert _sha((models / file).read_bytes()) == uploaded.weights[0].sha256
    assert sorted(p.name for p in models.iterdir()) == [file]  # no staging folder is left
    assert (data / "model-examples" / uploaded.id / "example.png").read_bytes() == EXAMPLE
    database = data / "modelgallery.sqlite3"
    assert _records(database, "get", uploaded.id) == uploaded
    assert _records(database, "get", seeded.id) == seeded

    # Into the same models folder again: the file there is the same and stays as it is.
    again = _cli(
        server,
        "restore",
        str(archive),
        "--data-dir",
        str(tmp_path / "d2"),
        "--models-dir",
        str(models),
    )
    assert again.returncode == 0, again.stderr
    assert "(1 were there already)" in again.stdout
    # A different file of that name is never replaced without --force.
    (models / file).write_bytes(b"someone else's file")
    refused = _cli(
        server,
        "restore",
        str(archive),
        "--data-dir",
        str(tmp_path / "d3"),
        "--models-dir",
        str(models),
    )
    assert refused.returncode == 1 and f"holds {file} already" in refused.stderr, refused.stderr
    assert not (tmp_path / "d3").exists()
    assert (models / file).read_bytes() == b"someone else's file"
    forced = _cli(
        server,
        "restore",
        str(archive),
        "--data-dir",
        str(tmp_path / "d3"),
        "--models-dir",
        str(models),
        "--force",
    )
    assert forced.returncode == 0, forced.stderr
    assert (models / file).read_bytes() == WEIGHTS


def test_a_tampered_weight_is_refused(tmp_path: Path) -> None:
    server = _offline(tmp_path)
    uploaded, _ = _gallery_with_an_uploaded_version(server.data_dir, tmp_path / "models")
    name = f"models/{uploaded.weights[0].file}"
    archive = tmp_path / "backup.tar"
    assert _cli(server, "backup", "--out", str(archive)).returncode == 0
    verify_archive(archive)

    changed = tmp_path / "changed.tar"
    _tampered(archive, changed, name)
    with pytest.raises(BackupError, match=f"damaged: {name} does not match its checksum"):
        verify_archive(changed)
    # the manifest made to agree with the changed file: the database's record still refuses it
    agreeing = tmp_path / "agreeing.tar"
    _rewritten(archive, agreeing, {name: WEIGHTS.replace(b"bytes", b"BYTES")})
    verify_archive(agreeing)
    for copy, said in ((changed, "damaged"), (agreeing, "the sha256 that cats v1 records")):
        data, models = tmp_path / f"{copy.stem}-data", tmp_path / f"{copy.stem}-models"
        refused = _cli(
            server, "restore", str(copy), "--data-dir", str(data), "--models-dir", str(models)
        )
        assert refused.returncode == 1, refused.stdout
        assert name in refused.stderr and said in refused.stderr, refused.stderr
        assert not data.exists() and not models.exists()  # nothing was written


def test_a_changed_or_missing_weight_is_named_and_the_rest_backed_up(
    tmp_path: Path,
) -> None:
    server = _offline(tmp_path)
    models = tmp_path / "models"
    uploaded, _ = _gallery_with_an_uploaded_version(server.data_dir, models)
    lost = StoredWeight(file="0123456789abcdef-lost.pt", sha256="0" * 64, size=1)
    _records(
        server.data_dir / "modelgallery.sqlite3",
        "create",
        ModelVersion(model="cats", number=2, weights=[lost], created_by=ADMIN_EMAIL),
    )
    file = uploaded.weights[0].file
    (models / file).write_bytes(WEIGHTS + b"!")  # changed after the upload

    archive = tmp_path / "backup.tar"
    made = _cli(server, "backup", "--out", str(archive))
    assert made.returncode == 3, (made.stdout, made.stderr)
    assert f"NOT BACKED UP: {file} (cats v1): its sha256 is {_sha(WEIGHTS + b'!')[:12]}" in (
        made.stderr
    )
    assert f"NOT BACKED UP: {lost.file} (cats v2): not in the models folder" in made.stderr
    manifest = verify_archive(archive)  # the weight taken back out left a sound archive
    names = {e["path"] for e in manifest["files"]}
    assert not any(n.startswith("models/") for n in names)
    assert {"modelgallery.sqlite3", f"model-examples/{uploaded.id}/example.png"} <= names
    assert {(w["file"], w["reason"]) for w in manifest["models_left_out"]} == {
        (file, "mismatch"),
        (lost.file, "missing"),
        ("dogs.pt", "refetch"),
    }
    data = tmp_path / "restored"
    restored = _cli(
        server, "restore", str(archive), "--data-dir", str(data), "--models-dir", str(data / "m")
    )
    assert restored.returncode == 0, restored.stderr
    assert f"not restored: {file} (cats v1): not in the models folder" in restored.stderr


def test_an_archive_from_before_the_weights_still_restores(tmp_path: Path) -> None:
    server = _offline(tmp_path)
    uploaded, _ = _gallery_with_an_uploaded_version(server.data_dir, tmp_path / "models")
    file = uploaded.weights[0].file
    archive = tmp_path / "backup.tar"
    assert _cli(server, "backup", "--out", str(archive)).returncode == 0
    # What format 1 wrote: the database, the key and the job files; no model files and no
    # `models_left_out` in the manifest.
    old = tmp_path / "format-1.tar"
    example = f"model-examples/{uploaded.id}/example.png"
    _rewritten(
        archive,
        old,
        {f"models/{file}": None, example: None},
        format_version=1,
        models_left_out=None,
    )
    with tarfile.open(old) as tar:
        assert json.load(tar.extractfile("manifest.json"))["format_version"] == 1
        assert tar.getnames() == ["modelgallery.sqlite3", "manifest.json"]

    data, models = tmp_path / "restored", tmp_path / "restored-models"
    restored = _cli(
        server, "restore", str(old), "--data-dir", str(data), "--models-dir", str(models)
    )
    assert restored.returncode == 0, restored.stderr
    assert _records(data / "modelgallery.sqlite3", "get", uploaded.id) == uploaded
    assert f"not restored: {file} (cats v1)" in restored.stderr  # said, to be copied by hand
    assert not models.exists()
    # Over a folder that has the example inputs (the same machine): they are kept, the
    # archive had none to replace them with.
    shutil.copytree(server.data_dir / "model-examples", data / "model-examples")
    forced = _cli(server, "restore", str(old), "--data-dir", str(data), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (data / "model-examples" / uploaded.id / "example.png").read_bytes() == EXAMPLE
