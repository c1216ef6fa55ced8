"""`modelgallery restore` for the embedded mode. A restore reads the archive
(`cli/archive.py`) twice: once to check every file against the manifest before anything is
written, then to write into a staging folder inside the target, which replaces the target's
database, key and job files only once all of it is written and checked again; the weights go
into the models folder beside the files already there (a different file of the same name is
replaced only with `--force`). An archive of format 1 (before the weights were in it)
restores as before."""

from __future__ import annotations

import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ..files.storage import JobFiles, UnsafePathError
from ..store.model_records import ModelVersion
from ..store.sqlite import SCHEMA_VERSION
from . import backup_models
from .archive import (
    DATABASE,
    MANIFEST,
    TABLES,
    BackupError,
    Entry,
    Summary,
    hash_stream,
    human,
    os_error,
    verify_archive,
    walk,
)
from .backup_models import EXAMPLES


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
        raise os_error(exc, data_dir) from None
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
                f"not enough space in {where}: the backup needs {human(needed)},"
                f" {human(free)} are free"
            )


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
            written = hash_stream(stream, name, out)
        if written != entry:
            raise BackupError(f"{archive} changed while it was restored ({name} differs)")

    walk(archive, write)


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
        counts = {t: int(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]) for t in TABLES}
        job_ids = [row[0] for row in db.execute("SELECT id FROM jobs")]
        versions = backup_models.versions_of(db)
    except (sqlite3.DatabaseError, ValueError) as exc:  # ValueError: a version record
        raise BackupError(f"the backup's database cannot be read: {exc}") from None
    finally:
        db.close()
    if counts != {t: manifest["counts"].get(t) for t in TABLES}:
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
