"""Free space of the data folder, and telling a full disk apart from other write errors.

Below the reserve (DISK_RESERVE_MB) the server takes no new uploads or contact messages, so
that the database, which lives in the same folder, keeps room to record the work it has
already accepted. A write that runs out of space anyway (ENOSPC, or SQLite's "database or
disk is full") is recognised by `out_of_space`, so that it answers 507, not 400 or 500."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_MB = 1024 * 1024


def out_of_space(exc: BaseException) -> bool:
    """Whether `exc`, or an error it was raised from or while handling, is a write that
    found the filesystem (or the user's quota) full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if isinstance(current, sqlite3.Error):
            code = getattr(current, "sqlite_errorcode", None)
            if code is not None and code & 0xFF == sqlite3.SQLITE_FULL:
                return True
        current = current.__cause__ or current.__context__
    return False


def megabytes(count: int) -> str:
    return f"{count / _MB:,.1f} MB"


@dataclass(frozen=True)
class Space:
    free_bytes: int
    total_bytes: int
    reserve_bytes: int

    @property
    def low(self) -> bool:
        return self.free_bytes < self.reserve_bytes


class DiskGuard:
    """The free space of the filesystem holding `folder`, against `reserve_bytes`."""

    def __init__(self, folder: Path, reserve_bytes: int) -> None:
        self.folder = folder
        self.reserve_bytes = reserve_bytes

    def space(self) -> Space:
        usage = shutil.disk_usage(self.folder)
        return Space(usage.free, usage.total, self.reserve_bytes)

    def room_for(self, incoming_bytes: int = 0) -> bool:
        """Whether `incoming_bytes` more still leave the reserve free."""
        return self.space().free_bytes - incoming_bytes >= self.reserve_bytes
