"""`modelgallery backup` and `restore` for the embedded mode (SQLite and the data folder).

A backup is one uncompressed tar: the images and videos in it are compressed already, and a
changed byte is then named by the file it falls in. It holds

- `modelgallery.sqlite3`: a copy made with SQLite's online backup API (safe while the server
  runs; the copy is one consistent moment of the database), in rollback-journal mode so that
  it is one self-contained file;
- `secret.key` when the data folder has one (the generated JWT key: sessions stay valid);
- `jobs/<id>/input/<file>` of every job in the copied database, and `jobs/<id>/output/<file>`
  of the files its finished jobs recorded. The files are chosen from the copy, so a job that
  starts after it is not half in the backup; a job that had not finished runs again after a
  restore (as after a restart), and a deferred annotated image is drawn again on demand;
- `models/<file>`: the weights the store's model versions name in the models folder
  (`MODELS_DIR`), each checked against the sha256 the store records, and
  `model-examples/<version>/<file>`, their example inputs (`cli/backup_models.py`); weights
  that `fetch-models` fetches again are left out, and a weight that is missing or differs from
  its record is named instead, the rest of the backup going on;
- `manifest.json` last: format, app version, time, record counts, the weights left out, and
  the size and sha256 of every other file.

A restore reads the archive twice: once to check every file against the manifest before
anything is written, then to write into a staging folder inside the target, which replaces
the target's database, key and job files only once all of it is written and checked again;
the weights go into the models folder beside the files already there (a different file of the
same name is replaced only with `--force`). An archive of format 1 (before the weights were
in it) restores as before. Files are streamed in 1 MiB blocks; none is held in memory whole.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tarfile
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..core.release import app_version
from ..files.storage import JobFiles, UnsafePathError
from ..store.model_records import ModelVersion
from ..store.sqlite import SCHEMA_VERSION
from . import backup_models
from .backup_models import EXAMPLES, LeftOut, ModelFile

FORMAT = "modelgallery-backup"
FORMAT_VERSION = 2  # 2: model files (models/, model-examples/); 1 restores too
MANIFEST = "manifest.json"
DATABASE = "modelgallery.sqlite3"
SECRET_KEY = "secret.key"
# table: (one, many), as the summaries say them
_TABLES = {
    "users": ("user", "users"),
    "jobs": ("prediction", "predictions"),
    "messages": ("contact message", "contact messages"),
    "audit": ("audit entry", "audit entries"),
}
_TERMINAL = {"succeeded", "failed", "cancelled"}
_BLOCK = 1 << 20
_MAX_MANIFEST = 256 << 20
_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


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


class BackupError(Exception):
    """A reason a person can act on; the CLI prints it as it is."""


@dataclass
class Entry:
    path: str
    size: int
    sha256: str


@dataclass
class Summary:
    """What a backup holds or a restore wrote."""

    path: Path
    counts: dict[str, int]
    files: int
    bytes: int
    seconds: float = 0.0
    missing: list[str] = field(default_factory=list)
    # backup: the weights not in the archive; restore: those not in the models folder after it
    left_out: list[LeftOut] = field(default_factory=list)
    weights: int = 0  # weight files in the archive (of `files`)
    weight_bytes: int = 0
    weights_present: int = 0  # restore: already in the models folder, as they were

    def describe(self) -> str:
        records = ", ".join(
            f"{n} {_TABLES[t][n != 1]}" for t, n in self.counts.items() if t in _TABLES
        )
        text = f"{records}; {self.files} files ({_human(self.bytes)})"
        if self.weights:
            text += f", {self.weights} of them weights ({_human(self.weight_bytes)})"
        return text


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
        raise _os_error(exc, out) from None
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
            raise _os_error(OSError(errno.ENOSPC, str(exc)), out) from None
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
        counts = {t: int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in _TABLES}
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
        if status in _TERMINAL:
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


def _os_error(exc: OSError, target: Path) -> BackupError:
    if exc.errno in _NO_SPACE:
        where = target if target.is_dir() else target.parent
        return BackupError(
            f"not enough space in {where}; nothing was kept there."
            " Free some space or choose another place"
        )
    return BackupError(f"{exc.filename or target}: {exc.strerror or exc}")


# --- restore ------------------------------------------------------------------------------


def restore_backup(archive: Path, data_dir: Path, models_dir: Path, force: bool = False) -> Summary:
    started = time.monotonic()
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file")
    manifest = verify_archive(archive)
    for folder in (data_dir, models_dir):
        if folder.exists() and not folder.is_dir():
            raise BackupError(f"{folder} is not a folder")
    if data_dir.is_dir() and any(data_dir.iterdir()) and not force:
        raise BackupError(
            f"{data_dir} is not empty; restore into an empty folder, or add --force to replace"
            " its database, secret key and job files (stop the server first)"
        )
    expected = {e["path"]: Entry(**e) for e in manifest["files"]}
    weights = {
        file: entry
        for name, entry in expected.items()
        if (file := backup_models.weight_file(name)) is not None
    }
    present = _weights_in_place(weights, models_dir, force)
    needed = sum(e.size for e in expected.values())
    weights_needed = sum(e.size for f, e in weights.items() if f not in present)
    data_needed = needed - sum(e.size for e in weights.values())
    _check_space([(data_dir, data_needed), (models_dir, weights_needed)])
    staging = data_dir / ".restore-partial"
    weight_staging = models_dir / ".restore-partial-weights"
    created = [d for d in (data_dir, models_dir) if not d.exists()]

    def destination(name: str) -> Path | None:
        file = backup_models.weight_file(name)
        if file is None:
            return staging / name
        return None if file in present else weight_staging / file

    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        if len(present) < len(weights):
            models_dir.mkdir(parents=True, exist_ok=True)
            shutil.rmtree(weight_staging, ignore_errors=True)
            weight_staging.mkdir()
        _extract(archive, expected, destination)
        counts, versions = _check_database(staging / DATABASE, manifest)
        unrecorded = backup_models.unrecorded(versions, {f: e.sha256 for f, e in weights.items()})
        if unrecorded:
            raise BackupError(f"{archive} does not hold what its database records: {unrecorded}")
        # the weights first: a restored database never names a file not there yet
        for file in weights.keys() - present:
            os.replace(weight_staging / file, models_dir / file)
        _replace(staging, data_dir, examples=manifest["format_version"] >= 2)
    except OSError as exc:
        raise _os_error(exc, data_dir) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(weight_staging, ignore_errors=True)
        for folder in sorted(created, key=lambda d: len(d.parts), reverse=True):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # a failed restore leaves no empty folder behind either
    return Summary(
        data_dir,
        counts,
        len(expected),
        needed,
        time.monotonic() - started,
        list(manifest["missing"]),
        left_out=backup_models.not_in_place(versions, models_dir),
        weights=len(weights),
        weight_bytes=sum(e.size for e in weights.values()),
        weights_present=len(present),
    )


def _weights_in_place(weights: dict[str, Entry], models_dir: Path, force: bool) -> set[str]:
    """The weights the models folder holds already as the archive does (not written again).
    A different file of the same name is refused, unless `force` replaces it."""
    present, different = set(), []
    for file, entry in weights.items():
        same = backup_models.same_file(models_dir / file, entry.size, entry.sha256)
        if same:
            present.add(file)
        elif same is False:
            different.append(file)
    if different and not force:
        more = f" (and {len(different) - 1} more)" if len(different) > 1 else ""
        raise BackupError(
            f"{models_dir} holds {different[0]}{more} already, with other content than the"
            " backup's; move it away, or add --force to replace it"
        )
    return present


def _check_space(needs: list[tuple[Path, int]]) -> None:
    """Room for each folder's share, added up where folders share a file system."""
    by_device: dict[int, tuple[Path, int]] = {}
    for folder, size in needs:
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        device = existing.stat().st_dev
        where, total = by_device.get(device, (existing, 0))
        by_device[device] = (where, total + size)
    for where, needed in by_device.values():
        free = shutil.disk_usage(where).free
        if free < needed:
            raise BackupError(
                f"not enough space in {where}: the backup needs {_human(needed)},"
                f" {_human(free)} are free"
            )


def verify_archive(archive: Path) -> dict[str, Any]:
    """The manifest, once every file of the archive matches it; else a BackupError that
    names the file."""
    found: dict[str, Entry] = {}
    manifest_bytes: bytes | None = None

    def check(name: str, stream: IO[bytes]) -> None:
        nonlocal manifest_bytes
        if name in found or (name == MANIFEST and manifest_bytes is not None):
            raise BackupError(f"{archive} holds {name} twice")
        if name == MANIFEST:
            manifest_bytes = stream.read(_MAX_MANIFEST)
        else:
            found[name] = _hash_stream(stream, name)

    _walk(archive, check)
    if manifest_bytes is None:
        after = f" after {list(found)[-1]}" if found else ""
        raise BackupError(
            f"{archive} ends{after} without its {MANIFEST}: it is damaged or cut short there,"
            " or not a Model Gallery backup"
        )
    manifest = _parse_manifest(manifest_bytes, archive)
    listed = {e["path"]: Entry(**e) for e in manifest["files"]}
    for name, entry in listed.items():
        _check_name(name, archive)
        got = found.get(name)
        if got is None:
            raise BackupError(f"{archive} is damaged: {name} is missing from it")
        if got != entry:
            raise BackupError(
                f"{archive} is damaged: {name} does not match its checksum"
                f" ({got.size} bytes, sha256 {got.sha256[:12]}…; the manifest says"
                f" {entry.size} bytes, {entry.sha256[:12]}…)"
            )
    extra = sorted(set(found) - set(listed))
    if extra:
        raise BackupError(f"{archive} holds {extra[0]}, which its manifest does not list")
    if DATABASE not in listed:
        raise BackupError(f"{archive} holds no {DATABASE}")
    return manifest


def _walk(archive: Path, handle: Callable[[str, IO[bytes]], None]) -> None:
    """Calls `handle` with each file of the archive, in order, as a stream."""
    current = "its start"
    try:
        with tarfile.open(archive, mode="r|*") as tar:  # streamed: .tar, or .tar.gz by hand
            for member in tar:
                current = member.name
                if not member.isfile():
                    raise BackupError(f"{archive} holds {member.name}, which is not a plain file")
                stream = tar.extractfile(member)
                assert stream is not None  # a regular file always has one
                handle(member.name, stream)
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise BackupError(f"{archive} is damaged or not a backup (at {current}): {exc}") from None
    except OSError as exc:
        if exc.errno is not None:
            raise
        # tarfile's "unexpected end of data": the archive was cut short
        raise BackupError(f"{archive} is damaged or cut short (at {current}): {exc}") from None


def _hash_stream(stream: IO[bytes], name: str, out: IO[bytes] | None = None) -> Entry:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_BLOCK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return Entry(name, size, digest.hexdigest())


def _parse_manifest(content: bytes, archive: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(content)
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError("not a Model Gallery backup manifest")
        if manifest["format_version"] > FORMAT_VERSION:
            raise BackupError(
                f"{archive} was written by a newer version ({manifest['app_version']}) in a"
                " format this one cannot read"
            )
        for entry in manifest["files"]:
            Entry(**entry)
        if not isinstance(manifest["counts"], dict) or not isinstance(manifest["missing"], list):
            raise ValueError("counts or missing")
        for item in manifest.setdefault("models_left_out", []):  # format 2
            LeftOut(**item)
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{archive} is damaged: {MANIFEST} cannot be read ({exc})") from None
    return manifest


def _check_name(name: str, archive: Path) -> None:
    if name in (DATABASE, SECRET_KEY) or backup_models.valid_name(name):
        return
    parts = name.split("/")
    try:
        if len(parts) != 4 or parts[0] != "jobs" or parts[2] not in ("input", "output"):
            raise UnsafePathError(name)
        files = JobFiles(Path("/jobs"))
        (files.input_path if parts[2] == "input" else files.output_path)(parts[1], parts[3])
    except UnsafePathError:
        raise BackupError(f"{archive} lists {name!r}, which is no file of a data folder") from None


def _extract(
    archive: Path, expected: dict[str, Entry], destination: Callable[[str], Path | None]
) -> None:
    """Writes each file of the archive where `destination` says (None: nowhere)."""

    def write(name: str, stream: IO[bytes]) -> None:
        if name == MANIFEST:
            return
        entry = expected.get(name)
        if entry is None:
            raise BackupError(f"{archive} changed while it was restored ({name} is new)")
        target = destination(name)
        if target is None:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            written = _hash_stream(stream, name, out)
        if written != entry:
            raise BackupError(f"{archive} changed while it was restored ({name} differs)")

    _walk(archive, write)


def _check_database(
    path: Path, manifest: dict[str, Any]
) -> tuple[dict[str, int], list[ModelVersion]]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        version_ = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version_ > SCHEMA_VERSION:
            raise BackupError(
                f"the backup's database has schema version {version_}; this version of Model"
                f" Gallery knows only up to {SCHEMA_VERSION}: restore with the newer version"
            )
        counts = {t: int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in _TABLES}
        job_ids = [row[0] for row in db.execute("SELECT id FROM jobs")]
        versions = backup_models.versions_of(db)
    except (sqlite3.DatabaseError, ValueError) as exc:  # ValueError: a version record
        raise BackupError(f"the backup's database cannot be read: {exc}") from None
    finally:
        db.close()
    if counts != {t: manifest["counts"].get(t) for t in _TABLES}:
        raise BackupError(
            f"the backup's database does not hold what its manifest counts ({counts})"
        )
    files = JobFiles(path.parent / "jobs")
    for job_id in job_ids:
        try:
            files.create(job_id)  # a job with no files yet still has its folders
        except UnsafePathError:
            continue
    return counts, versions


def _replace(staging: Path, data_dir: Path, examples: bool) -> None:
    """Moves what was staged into place; what it replaces goes only now. The versions'
    example inputs are replaced by an archive that holds them (format 2); one of format 1
    leaves those of the folder as they are."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        (data_dir / f"{DATABASE}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(data_dir / "jobs", ignore_errors=True)
    if examples:
        shutil.rmtree(data_dir / EXAMPLES, ignore_errors=True)
    for item in staging.iterdir():
        os.replace(item, data_dir / item.name)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
