"""Job folders on local disk: `<data>/jobs/<id>/input/` and `<data>/jobs/<id>/output/`,
and, with STORAGE_URL, the same files in object storage (`<prefix>/jobs/<id>/input/<name>`,
`.../output/<name>`) so that every machine sees them: the local folders are then each
machine's working copy. No name from a request is ever used as a path or key without passing
`_inside`.

With STORAGE_URL the working copies are a cache: `local_copies` measures them and `set_aside`
takes one out of use, for the sweep of each API replica (`jobs/copies.py`); `local_file`
touches the job's folder, so that a download counts as a use."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

log = logging.getLogger(__name__)

Kind = Literal["input", "output"]

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_SET_ASIDE = ".removing-"  # a folder being removed: never a job id, so never a job's folder


class UnsafePathError(ValueError):
    pass


class ObjectStoreError(Exception):
    """The bucket cannot be used now: a sentence naming STORAGE_URL and why."""


@dataclass(frozen=True)
class LocalCopy:
    """A job's folder on this machine: the bytes of its files and when it was last used,
    the newest modification time of the folder, its files and its subfolders (seconds since
    the epoch; `local_file` touches the folder)."""

    job_id: str
    bytes: int
    last_used: float


@dataclass(frozen=True)
class JobFolder:
    """A job's two folders on this machine."""

    job_id: str
    inputs: Path
    outputs: Path


class Remote(Protocol):
    """A bucket, as `objects.ObjectFiles` reaches one: what the job files need of it."""

    async def ping(self) -> None: ...

    async def put(self, key: str, source: Path) -> None: ...

    async def get(self, key: str, target: Path) -> None: ...

    async def delete_under(self, prefix: str) -> int: ...


class JobFiles:
    def __init__(self, root: Path, remote: Remote | None = None) -> None:
        self.root = root.absolute()
        self.remote = remote

    @property
    def shared(self) -> bool:
        """Whether the files are in object storage, seen by every machine."""
        return self.remote is not None

    def job_dir(self, job_id: str) -> Path:
        if not _JOB_ID.fullmatch(job_id):  # fullmatch: `$` would let a final newline by
            raise UnsafePathError("not a job id")
        return self.root / job_id

    def input_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "input"

    def output_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "output"

    def input_path(self, job_id: str, name: str) -> Path:
        return self._inside(self.input_dir(job_id), name)

    def output_path(self, job_id: str, name: str) -> Path:
        return self._inside(self.output_dir(job_id), name)

    def path(self, job_id: str, kind: Kind, name: str) -> Path:
        """`input_path` or `output_path`, by kind."""
        return self.input_path(job_id, name) if kind == "input" else self.output_path(job_id, name)

    def folder(self, job_id: str) -> JobFolder:
        job_dir = self.job_dir(job_id)
        return JobFolder(job_id, job_dir / "input", job_dir / "output")

    def create(self, job_id: str | None = None) -> JobFolder:
        """The job's folders, made; a new job's under a new id when `job_id` is None."""
        folder = self.folder(secrets.token_hex(16) if job_id is None else job_id)
        folder.inputs.mkdir(parents=True, exist_ok=True)
        folder.outputs.mkdir(parents=True, exist_ok=True)
        return folder

    def remove(self, job_id: str) -> None:
        """Remove this machine's folder of the job (what is in object storage stays)."""
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    # --- the working copies, for the sweep of each replica (jobs/copies.py) ------------

    def local_copies(self) -> list[LocalCopy]:
        """Every job folder on this machine, measured without following links (a link is
        neither a job's folder nor a file counted). Blocking: run it in a thread."""
        try:
            with os.scandir(self.root) as entries:
                names = [
                    e.name
                    for e in entries
                    if _JOB_ID.fullmatch(e.name) and e.is_dir(follow_symlinks=False)
                ]
        except FileNotFoundError:
            return []
        copies = []
        for name in names:
            measured = _measure(self.root / name)
            if measured is not None:  # None: removed meanwhile
                copies.append(LocalCopy(name, *measured))
        return copies

    def set_aside(self, job_id: str, used_before: float | None = None) -> LocalCopy | None:
        """Take the job's folder out of use, as it is now, unless it was used at or after
        `used_before` (None: however recently): renamed at once to a hidden name that
        `empty_trash` removes, so that a download after this fetches from object storage
        again. None when there is no folder or it was used since. Call it on the event
        loop, where `local_file` touches the folder: no download comes between the check and
        the rename."""
        folder = self.job_dir(job_id)
        if folder.is_symlink():
            return None
        measured = _measure(folder)
        if measured is None:
            return None
        copy = LocalCopy(job_id, *measured)
        if used_before is not None and copy.last_used >= used_before:
            return None
        try:
            folder.rename(self.root / f"{_SET_ASIDE}{job_id}-{secrets.token_hex(4)}")
        except FileNotFoundError:
            return None
        return copy

    def empty_trash(self) -> None:
        """Remove every folder `set_aside` renamed, this run's or an earlier one's.
        Blocking: run it in a thread."""
        try:
            with os.scandir(self.root) as entries:
                aside = [e.path for e in entries if e.name.startswith(_SET_ASIDE)]
        except FileNotFoundError:
            return
        for path in aside:
            shutil.rmtree(path, ignore_errors=True)

    # --- with object storage (each a no-op or a local check without it) --------------

    async def check(self) -> None:
        """Raise ObjectStoreError, naming STORAGE_URL, when the bucket does not answer."""
        if self.remote is not None:
            await self.remote.ping()

    async def publish_inputs(self, job_id: str) -> None:
        """Upload every file of the job's input folder."""
        if self.remote is None:
            return
        folder = self.input_dir(job_id)
        names = sorted(
            p.name for p in folder.iterdir() if _FILE_NAME.fullmatch(p.name) and p.is_file()
        )
        await self._publish(self.remote, job_id, "input", names)

    async def fetch_inputs(self, job_id: str, names: list[str]) -> None:
        """Make the job's folders on this machine and download the inputs it lacks. Raises
        FileNotFoundError when one is nowhere."""
        await asyncio.to_thread(self.create, job_id)
        await asyncio.gather(*(self.local_file(job_id, "input", name) for name in names))

    async def publish_outputs(self, job_id: str, names: list[str]) -> None:
        """Upload these files of the job's output folder (FileNotFoundError if one is
        missing)."""
        if self.remote is not None:
            await self._publish(self.remote, job_id, "output", names)

    async def local_file(self, job_id: str, kind: Kind, name: str) -> Path:
        """The file on this machine, downloaded first when only object storage has it.
        Raises FileNotFoundError when neither has it, UnsafePathError for a bad name."""
        path = self.path(job_id, kind, name)
        if self.remote is not None:
            self._touch(job_id)  # first: the sweep spares a copy used in its last minute
        if path.is_file():
            return path
        if self.remote is None:
            raise FileNotFoundError(f"the job has no {kind} file named {name!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        await self.remote.get(_key(job_id, kind, name), path)
        return path

    async def purge(self, job_id: str) -> bool:
        """Delete the job's files for good: this machine's folder and every object under
        the job's prefix. False, with a warning in the log naming what is left, when the
        bucket did not answer (the callers' records are gone or marked already)."""
        await asyncio.to_thread(self.remove, job_id)
        if self.remote is None:
            return True
        try:
            await self.remote.delete_under(f"jobs/{job_id}")
        except ObjectStoreError as exc:
            log.warning("the objects under jobs/%s were not deleted: %s", job_id, exc)
            return False
        return True

    def _touch(self, job_id: str) -> None:
        """Mark the job's folder used now (its own time, not a file's: a file's time is its
        download's `Last-Modified` and ETag). Nothing when there is no folder yet, or when
        its time cannot be set: a download never fails for it."""
        try:
            os.utime(self.job_dir(job_id), follow_symlinks=False)
        except OSError:
            pass

    async def _publish(self, remote: Remote, job_id: str, kind: Kind, names: list[str]) -> None:
        paths = {name: self.path(job_id, kind, name) for name in names}  # all checked first
        await asyncio.gather(
            *(remote.put(_key(job_id, kind, name), path) for name, path in paths.items())
        )

    @staticmethod
    def _inside(folder: Path, name: str) -> Path:
        if not _FILE_NAME.fullmatch(name) or ".." in name:
            raise UnsafePathError(f"not a valid file name: {name!r}")
        # The name has no separator, so the path is in the folder unless it is a link (one
        # lstat here, where resolving both paths cost a dozen on every file of every job).
        path = folder / name
        if path.is_symlink():
            raise UnsafePathError(f"not a valid file name: {name!r}")
        return path


def _measure(folder: Path) -> tuple[int, float] | None:
    """The bytes of the regular files under `folder` and the newest modification time of
    the folder and everything in it, links not followed; None when there is no folder."""
    try:
        newest = folder.lstat().st_mtime
    except FileNotFoundError:
        return None
    size = 0
    pending = [folder]
    while pending:
        try:
            with os.scandir(pending.pop()) as scan:
                entries = list(scan)
        except (FileNotFoundError, NotADirectoryError):  # removed or replaced meanwhile
            continue
        for entry in entries:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            newest = max(newest, info.st_mtime)
            if stat.S_ISDIR(info.st_mode):
                pending.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode):
                size += info.st_size
    return size, newest


def _key(job_id: str, kind: Kind, name: str) -> str:
    """The object's key under the bucket's prefix (both parts already checked as paths)."""
    return f"jobs/{job_id}/{kind}/{name}"
