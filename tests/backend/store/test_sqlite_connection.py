"""The SQLite store's two connections: a statement on one record runs on the event loop's
thread, unless that would reorder it after one still waiting on aiosqlite's thread or wait
on a lock there; the WAL is checkpointed on the thread, not by the loop's writes."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Coroutine
from contextlib import closing
from pathlib import Path
from typing import Any

import aiosqlite
import pytest

from modelgallery.store import sqlite_connection
from modelgallery.store.sqlite import SqliteStore
from modelgallery.store.sqlite_connection import Connection

INSERT = "INSERT INTO migrations (name, applied_at) VALUES (?, '2026-01-01T00:00:00.000Z')"


def _finishes_without_waiting(coro: Coroutine[Any, Any, Any]) -> bool:
    """Whether a coroutine ends on its first step, never handing the loop anything to await."""
    try:
        coro.send(None)
    except StopIteration:
        return True
    coro.close()
    return False


def _names(path: Path, *, main_file_only: bool = False) -> list[str]:
    uri = f"file:{path}?mode=ro" + ("&immutable=1" if main_file_only else "")
    with closing(sqlite3.connect(uri, uri=True)) as db:
        return [r[0] for r in db.execute("SELECT name FROM migrations ORDER BY name")]


async def test_a_statement_on_one_record_runs_on_the_loops_thread(
    sqlite_store: SqliteStore,
) -> None:
    assert _finishes_without_waiting(sqlite_store.db.short(INSERT, ("a",)))
    assert _finishes_without_waiting(sqlite_store.db.short("SELECT name FROM migrations"))
    assert not _finishes_without_waiting(sqlite_store.db.rows("SELECT name FROM migrations"))
    assert await sqlite_store.migrations.applied("a")


async def test_a_short_statement_queues_behind_one_waiting_on_the_thread(
    sqlite_store: SqliteStore,
) -> None:
    scan = asyncio.create_task(sqlite_store.db.rows("SELECT COUNT(*) FROM jobs"))
    await asyncio.sleep(0)  # the scan is handed to the thread
    assert not _finishes_without_waiting(sqlite_store.db.short("SELECT name FROM migrations"))
    await scan
    assert _finishes_without_waiting(sqlite_store.db.short("SELECT name FROM migrations"))


async def test_a_lock_held_by_another_process_is_waited_for_on_the_thread(
    sqlite_store: SqliteStore,
) -> None:
    other = sqlite3.connect(sqlite_store.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        other.execute(INSERT, ("first",))
        write = asyncio.create_task(sqlite_store.db.short(INSERT, ("second",)))
        tick = asyncio.Event()
        asyncio.get_running_loop().call_soon(tick.set)
        await tick.wait()  # the loop kept running while the write waits
        assert not write.done()
        other.execute("COMMIT")
        await write
    finally:
        other.close()
    assert _names(sqlite_store.path) == ["first", "second"]


async def test_the_loops_writes_are_checkpointed_on_the_thread(
    sqlite_store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_connection, "CHECKPOINT_CHANGES", 5)
    await sqlite_store.db.rows("PRAGMA wal_checkpoint(TRUNCATE)")  # the schema, in the main file
    before = _names(sqlite_store.path, main_file_only=True)
    for name in "abcd":
        await sqlite_store.db.short(INSERT, (name,))
    await sqlite_store.db.settled()
    assert _names(sqlite_store.path, main_file_only=True) == before  # still only in the WAL
    await sqlite_store.db.short(INSERT, ("e",))
    await sqlite_store.db.settled()
    assert _names(sqlite_store.path, main_file_only=True) == sorted([*before, *"abcde"])


async def test_a_setting_applies_to_both_connections(sqlite_store: SqliteStore) -> None:
    db: Connection = sqlite_store.db
    await db.setting("cache_size = -1234")
    assert (await db.rows("PRAGMA cache_size"))[0][0] == -1234
    assert (await db.short("PRAGMA cache_size"))[0][0] == -1234


async def test_an_open_that_fails_closes_what_it_had_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[aiosqlite.Connection] = []

    def refuse(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    async def migrate(thread: aiosqlite.Connection) -> None:
        threads.append(thread)
        monkeypatch.setattr(sqlite3, "connect", refuse)  # the loop's connection, opened next

    with pytest.raises(sqlite3.OperationalError):
        await Connection.open(tmp_path / "app.sqlite", {}, migrate)
    with pytest.raises(ValueError, match="no active connection"):
        await threads[0].execute("SELECT 1")
