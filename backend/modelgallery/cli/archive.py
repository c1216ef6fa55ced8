"""The backup archive of the embedded mode (`modelgallery backup` and `restore`), as both
sides read it: its format, its manifest, and checking an archive against it.

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

Files are streamed in 1 MiB blocks; none is held in memory whole.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import json
import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..files.storage import JobFiles, UnsafePathError
from . import backup_models
from .backup_models import LeftOut

FORMAT = "modelgallery-backup"
FORMAT_VERSION = 2  # 2: model files (models/, model-examples/); 1 restores too
MANIFEST = "manifest.json"
DATABASE = "modelgallery.sqlite3"
SECRET_KEY = "secret.key"
# table: (one, many), as the summaries say them
TABLES = {
    "users": ("user", "users"),
    "jobs": ("prediction", "predictions"),
    "messages": ("contact message", "contact messages"),
    "audit": ("audit entry", "audit entries"),
}
TERMINAL = {"succeeded", "failed", "cancelled"}
BLOCK = 1 << 20
MAX_MANIFEST = 256 << 20
NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


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
            f"{n} {TABLES[t][n != 1]}" for t, n in self.counts.items() if t in TABLES
        )
        text = f"{records}; {self.files} files ({human(self.bytes)})"
        if self.weights:
            text += f", {self.weights} of them weights ({human(self.weight_bytes)})"
        return text


def os_error(exc: OSError, target: Path) -> BackupError:
    if exc.errno in NO_SPACE:
        where = target if target.is_dir() else target.parent
        return BackupError(
            f"not enough space in {where}; nothing was kept there."
            " Free some space or choose another place"
        )
    return BackupError(f"{exc.filename or target}: {exc.strerror or exc}")


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
            manifest_bytes = stream.read(MAX_MANIFEST)
        else:
            found[name] = hash_stream(stream, name)

    walk(archive, check)
    if manifest_bytes is None:
        after = f" after {list(found)[-1]}" if found else ""
        raise BackupError(
            f"{archive} ends{after} without its {MANIFEST}: it is damaged or cut short there,"
            " or not a Model Gallery backup"
        )
    manifest = parse_manifest(manifest_bytes, archive)
    listed = {e["path"]: Entry(**e) for e in manifest["files"]}
    for name, entry in listed.items():
        check_name(name, archive)
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


def walk(archive: Path, handle: Callable[[str, IO[bytes]], None]) -> None:
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


def hash_stream(stream: IO[bytes], name: str, out: IO[bytes] | None = None) -> Entry:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(BLOCK):
        digest.update(chunk)
        size += len(chunk)
        if out is not None:
            out.write(chunk)
    return Entry(name, size, digest.hexdigest())


def parse_manifest(content: bytes, archive: Path) -> dict[str, Any]:
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


def check_name(name: str, archive: Path) -> None:
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


def human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
