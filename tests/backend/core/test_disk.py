"""Telling a full disk apart from other write errors, on real errors: a write to /dev/full
(ENOSPC) and an SQLite database that may not grow (SQLITE_FULL); and the reserve."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from modelgallery.core.disk import DiskGuard, Space, out_of_space

DEV_FULL = Path("/dev/full")


def enospc() -> OSError:
    if not DEV_FULL.exists():
        pytest.skip("needs /dev/full (Linux)")
    try:
        with DEV_FULL.open("wb") as fh:
            fh.write(b"x" * 65536)
    except OSError as exc:
        return exc
    raise AssertionError("a write to /dev/full succeeded")


def sqlite_full(path: Path) -> sqlite3.Error:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("CREATE TABLE t (x TEXT)")
        (pages,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {pages}")  # the file may not grow any more
        db.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    except sqlite3.Error as exc:
        return exc
    finally:
        db.close()
    raise AssertionError("the insert fitted")


def test_a_full_disk_is_recognised(tmp_path: Path) -> None:
    assert out_of_space(enospc())
    full = sqlite_full(tmp_path / "db.sqlite3")
    assert "full" in str(full)
    assert out_of_space(full)


def test_also_when_raised_from_or_while_handling_it() -> None:
    cause = enospc()
    try:
        raise ValueError("could not save the image") from cause
    except ValueError as exc:
        assert out_of_space(exc)
    try:
        try:
            raise cause
        except OSError:
            raise RuntimeError("cleanup failed") from None  # suppressed context is still there
    except RuntimeError as exc:
        assert out_of_space(exc)


def test_other_errors_are_not(tmp_path: Path) -> None:
    with pytest.raises(OSError) as missing:
        (tmp_path / "missing").read_bytes()
    assert not out_of_space(missing.value)
    with pytest.raises(sqlite3.Error) as syntax:
        sqlite3.connect(":memory:").execute("SELEC 1")
    assert not out_of_space(syntax.value)
    assert not out_of_space(ValueError("no"))


def test_the_reserve(tmp_path: Path) -> None:
    free = shutil.disk_usage(tmp_path).free
    assert DiskGuard(tmp_path, 0).room_for()
    assert not DiskGuard(tmp_path, 0).room_for(free * 2)  # does not fit at all
    huge = DiskGuard(tmp_path, free * 2)
    assert not huge.room_for()
    assert huge.space().low
    assert not Space(free_bytes=0, total_bytes=64 * 1024 * 1024, reserve_bytes=0).low
