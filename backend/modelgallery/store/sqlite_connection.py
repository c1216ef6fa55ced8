"""The SQLite store's way into its file: two connections, one for each kind of statement.

A statement on one record by its key (read, insert or update one row) runs on the event
loop's own thread. In WAL mode it takes tens of microseconds, less than handing it to another
thread and waking the loop when that thread is done (measured in docs/performance.md).
Anything that may scan (a page, a count, the statistics, a delete of many rows) runs on
aiosqlite's thread, so that it never holds the loop.

The order in which statements were issued is kept: while one waits on the thread, the short
ones queue behind it there. A short statement that finds the file locked by another process
goes to the thread as well, where the busy timeout waits instead of the loop. The loop's
connection never checkpoints the WAL itself; the thread does, every `CHECKPOINT_CHANGES` rows
written on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)
# Values bound to `?` placeholders.
SqlValue = str | int | float | None
Row = sqlite3.Row  # what aiosqlite declares; the rows are tuples (no row factory)

# Brings a freshly opened connection's schema up to date (the store's migrations).
Migrate = Callable[[aiosqlite.Connection], Awaitable[None]]

# A job's three writes add about 50 KB to the WAL: 240 rows is about SQLite's own default
# (a checkpoint once the WAL holds 1,000 pages of 4 KB).
CHECKPOINT_CHANGES = 240
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Connection:
    def __init__(self, here: sqlite3.Connection, thread: aiosqlite.Connection) -> None:
        self._here = here
        self._thread = thread
        self._waiting = 0  # statements handed to the thread and not finished
        self._checkpointed = 0  # `total_changes` of the loop's connection at the last one
        self._checkpoints: set[asyncio.Task[None]] = set()

    @classmethod
    async def open(
        cls, path: Path, functions: dict[str, Callable[[str | None], str | None]], migrate: Migrate
    ) -> Connection:
        # isolation_level=None: autocommit; every write here is a single statement.
        thread = await aiosqlite.connect(path, isolation_level=None)
        here: sqlite3.Connection | None = None
        try:
            await thread.execute("PRAGMA busy_timeout = 5000")
            await thread.execute("PRAGMA journal_mode = WAL")
            await thread.execute("PRAGMA synchronous = NORMAL")
            await thread.execute("PRAGMA foreign_keys = ON")
            for name, function in functions.items():
                await thread.create_function(name, 1, function, deterministic=True)
            await migrate(thread)
            here = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            here.execute("PRAGMA busy_timeout = 0")
            here.execute("PRAGMA synchronous = NORMAL")
            here.execute("PRAGMA foreign_keys = ON")
            here.execute("PRAGMA wal_autocheckpoint = 0")
            for name, function in functions.items():
                here.create_function(name, 1, function, deterministic=True)
        except BaseException:
            if here is not None:
                here.close()
            await thread.close()
            raise
        return cls(here, thread)

    async def rows(self, sql: str, params: Iterable[SqlValue] = ()) -> list[Row]:
        """All rows of a statement, run on the thread."""
        self._waiting += 1
        try:
            return list(await self._thread.execute_fetchall(sql, params))
        finally:
            self._waiting -= 1

    async def changed(self, sql: str, params: Iterable[SqlValue] = ()) -> int:
        """How many rows a statement changed, run on the thread."""
        self._waiting += 1
        try:
            async with self._thread.execute(sql, params) as cursor:
                return cursor.rowcount
        finally:
            self._waiting -= 1

    async def short(self, sql: str, params: tuple[SqlValue, ...] = ()) -> list[Row]:
        """All rows of a statement on one record by its key: on the loop's thread when nothing
        waits on the other one and the file is not locked, else on the thread."""
        if not self._waiting:
            try:
                rows = self._here.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if exc.sqlite_errorcode & 0xFF not in _BUSY:
                    raise
            else:
                if self._here.total_changes - self._checkpointed >= CHECKPOINT_CHANGES:
                    self._checkpoint()
                return rows
        return await self.rows(sql, params)

    async def setting(self, pragma: str) -> None:
        """A per-connection PRAGMA (`max_page_count = 100`), on both connections."""
        self._here.execute(f"PRAGMA {pragma}")
        await self.changed(f"PRAGMA {pragma}")

    def _checkpoint(self) -> None:
        # PASSIVE copies what it can without blocking a writer, on the thread; a statement
        # that meets it there still runs, the loop's connection does not wait for it.
        self._checkpointed = self._here.total_changes
        task = asyncio.create_task(self._passive_checkpoint())
        self._checkpoints.add(task)
        task.add_done_callback(self._checkpoints.discard)

    async def _passive_checkpoint(self) -> None:
        try:
            async with self._thread.execute("PRAGMA wal_checkpoint(PASSIVE)"):
                pass
        except sqlite3.Error as exc:  # the next one copies what this one could not
            log.warning("WAL checkpoint failed: %s", exc)

    async def settled(self) -> None:
        """Waits for the checkpoints under way."""
        await asyncio.gather(*self._checkpoints)

    async def close(self) -> None:
        await self.settled()
        self._here.close()
        await self._thread.close()
