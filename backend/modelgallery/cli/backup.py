"""`modelgallery backup` for the embedded mode (SQLite and the data folder): the archive
described in `cli/archive.py`, and for MongoDB and object storage, how to back them up with
their own tools."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..core.release import app_version
from ..files.storage import JobFiles, UnsafePathError
from . import backup_models
from .archive import (
    DATABASE,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SECRET_KEY,
    TABLES,
    TERMINAL,
    BackupError,
    Entry,
    Summary,
    os_error,
)
from .backup_models import LeftOut, ModelFile


def mongodb_howto(
    db: str, data_dir: Path, storage_url: str | None, secret_in_settings: bool
) -> str:
    """What to back up where the data lives in MongoDB, for this deployment: the database,
    the job files (the data folder, or the bucket, of which the folder keeps only working
    copies) and the sessions' key (the data folder's, unless SECRET_KEY sets it)."""
    folder = [] if secret_in_settings else ["secret.key"]
    if not storage_url:
        folder.insert(0, "jobs")
    lines = [
        "MONGODB_URI is set: the records live in MongoDB, which `modelgallery backup` does "
        "not dump. Back up with MongoDB's own tools:",
        f'  mongodump --uri "$MONGODB_URI" --db {db} --archive=mongo.archive.gz --gzip',
    ]
    if folder:
        lines.append(f"  tar -C {data_dir} -cf data.tar {' '.join(folder)}")
    if storage_url:
        lines += _bucket_howto(storage_url)
    if secret_in_settings:
        lines.append(
            "SECRET_KEY is set in the environment: keep it with your other secrets (sessions "
            "and sign-in links need the same key after a restore)."
        )
    lines += [
        "Restore with",
        '  mongorestore --uri "$MONGODB_URI" --drop --archive=mongo.archive.gz --gzip',
    ]
    if folder:
        lines.append(f"  tar -C {data_dir} -xf data.tar")
    lines.append(
        "(deploy/backup.sh and deploy/restore.sh do this for the Docker stack; see "
        "docs/deployment.md)."
    )
    return "\n".join(lines)


def _bucket_howto(storage_url: str) -> list[str]:
    scheme = storage_url.split("://", 1)[0]
    copy = (
        f"  aws s3 sync {storage_url} ./jobs-backup"
        if scheme == "s3"
        else f"  gcloud storage rsync --recursive {storage_url} ./jobs-backup"
    )
    return [
        f"The job files are in the bucket STORAGE_URL={storage_url} (each machine's data "
        "folder only keeps working copies): copy it with the provider's tools, or rely on "
        "the bucket's versioning, e.g.",
        copy,
    ]


def default_archive_name(now: datetime) -> str:
    return f"modelgallery-backup-{now.strftime('%Y%m%dT%H%M%SZ')}.tar"


# --- backup -------------------------------------------------------------------------------


def create_backup(data_dir: Path, out: Path, models_dir: Path) -> Summary:
    started = time.monotonic()
    database = data_dir / DATABASE
    if not database.is_file():
        raise BackupError(
            f"there is no database at {database}: nothing to back up (is DATA_DIR right?)"
        )
    if out.exists() or out.is_symlink():
        raise BackupError(
            f"{out} exists already; a backup never overwrites a file: choose another --out"
        )
    if not out.parent.is_dir():
        raise BackupError(f"the folder {out.parent} does not exist")
    partial = out.with_name(f".{out.name}.partial")
    snapshot = out.with_name(f".{out.name}.sqlite3")
    try:
        taken = datetime.now(UTC)
        _copy_database(database, snapshot)
        summary = _write_archive(data_dir, models_dir, snapshot, partial, taken)
        if out.exists():
            raise BackupError(f"{out} appeared while the backup ran; it was left as it is")
        os.replace(partial, out)
    except OSError as exc:
        raise os_error(exc, out) from None
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            raise os_error(OSError(errno.ENOSPC, str(exc)), out) from None
        raise BackupError(f"the database {database} could not be copied: {exc}") from None
    finally:
        for leftover in (partial, snapshot, snapshot.with_name(snapshot.name + "-journal")):
            leftover.unlink(missing_ok=True)
    summary.path = out
    summary.seconds = time.monotonic() - started
    return summary


def _copy_database(database: Path, snapshot: Path) -> None:
    # The file is known to exist, so connect() does not create one. The online backup copies
    # one consistent state while the server keeps reading and writing (WAL mode).
    source = sqlite3.connect(database, timeout=30)
    try:
        target = sqlite3.connect(snapshot)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()
    finally:
        source.close()


def _write_archive(
    data_dir: Path, models_dir: Path, snapshot: Path, partial: Path, taken: datetime
) -> Summary:
    files = JobFiles(data_dir / "jobs")
    entries: list[Entry] = []
    missing: list[str] = []
    db = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        counts = {t: int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}
        schema = int(db.execute("PRAGMA user_version").fetchone()[0])
        versions = backup_models.versions_of(db)
        model_files, left_out = backup_models.to_back_up(versions, models_dir, data_dir)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with (
            os.fdopen(fd, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            entries.append(_add_file(tar, snapshot, DATABASE))
            if (data_dir / SECRET_KEY).is_file():
                entries.append(_add_file(tar, data_dir / SECRET_KEY, SECRET_KEY))
            for job_id, status, data in db.execute("SELECT id, status, data FROM jobs ORDER BY id"):
                for path, name in _job_files(files, job_id, status, data):
                    try:
                        entries.append(_add_file(tar, path, name))
                    except FileNotFoundError:
                        missing.append(name)  # deleted after the copy: the record stays
            for model_file in model_files:
                entry, why = _add_model_file(tar, raw, model_file)
                entries += [entry] if entry else []
                left_out += [why] if why else []
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": app_version(),
                "created_at": taken.isoformat(timespec="seconds"),  # when the copy began
                "store": "sqlite",
                "schema_version": schema,
                "counts": counts,
                "missing": missing,
                "models_left_out": [vars(w) for w in left_out],
                "files": [vars(e) for e in entries],
            }
            _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
    finally:
        db.close()
    weights = [e for e in entries if backup_models.weight_file(e.path) is not None]
    return Summary(
        partial,
        counts,
        len(entries),
        sum(e.size for e in entries),
        missing=missing,
        left_out=left_out,
        weights=len(weights),
        weight_bytes=sum(e.size for e in weights),
    )


def _add_model_file(
    tar: tarfile.TarFile, raw: IO[bytes], file: ModelFile
) -> tuple[Entry | None, LeftOut | None]:
    """A weight or an example into the archive, or why not. A weight is hashed as it is
    copied: one whose content is not what the store records, or that changes while it is
    read, is taken back out (the archive is cut back to where its member began), so that
    it is named and the backup of the rest goes on."""
    start = tar.offset  # where tarfile writes the next member (the file's position too)
    try:
        entry = _add_file(tar, file.path, file.name)
    except FileNotFoundError:
        return None, _left_out(file, "missing")
    except PermissionError as exc:  # raised on opening it: nothing was written yet
        return None, _left_out(file, "missing", f"cannot be read ({exc.strerror})")
    except BackupError:  # it changed while it was read
        entry = None
    why = (
        backup_models.mismatch(file, entry.sha256)
        if entry
        else _left_out(file, "mismatch", "it changed while it was read; not backed up")
    )
    if why is not None:
        raw.seek(start)
        raw.truncate()
        tar.offset = start
        return None, why
    return entry, None


def _left_out(file: ModelFile, reason: str, detail: str = "") -> LeftOut:
    name = backup_models.weight_file(file.name) or file.name
    return LeftOut(name, reason, file.versions, detail)


def _job_files(files: JobFiles, job_id: str, status: str, data: str) -> Iterator[tuple[Path, str]]:
    job: dict[str, Any] = json.loads(data)
    try:
        for item in job.get("inputs", []):
            yield files.input_path(job_id, item["stored"]), f"jobs/{job_id}/input/{item['stored']}"
        if status in TERMINAL:
            for art in job.get("artifacts", []):
                if not art.get("deferred"):
                    yield (
                        files.output_path(job_id, art["name"]),
                        f"jobs/{job_id}/output/{art['name']}",
                    )
    except UnsafePathError:
        return  # a record no file could belong to; the server would not serve one either


class _Hashing(io.RawIOBase):
    """Reads through to a file, hashing what passes."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.source.read(size)
        self.sha256.update(chunk)
        return chunk


def _add_file(tar: tarfile.TarFile, path: Path, name: str) -> Entry:
    with path.open("rb") as fh:
        stat = os.fstat(fh.fileno())
        size = stat.st_size
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = size, 0o600, int(stat.st_mtime)
        reader = _Hashing(fh)
        try:
            tar.addfile(info, reader)
        except OSError as exc:
            if exc.errno is None:  # tarfile: the file shrank while it was read
                raise BackupError(
                    f"{path} changed while it was copied; run the backup again"
                ) from None
            raise
    return Entry(name, size, reader.sha256.hexdigest())


def _add_bytes(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(content), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(content))
