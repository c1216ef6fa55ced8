"""The sweep of an API replica's working copies, with STORAGE_URL: each replica keeps
`DATA_DIR/jobs/<id>/` as its copy of the bucket (uploads arrive there, downloads are
fetched there, deferred images are drawn there), and nothing else removes a copy once the
job is deleted or its files expired on another replica, or when the copies grow. Every
LOCAL_COPIES_SWEEP_MINUTES (and once at start), each replica

1. removes the copies of jobs whose record is gone or whose files expired (`files_expired_at`),
   but not a record-less folder used within `UNRECORDED_GRACE_S`: an upload has its folder
   before its record, while it arrives, is checked and goes to the bucket;
2. then, while the copies take more than LOCAL_COPIES_MB, removes the least recently used
   copies of ended jobs (their files are all in the bucket: a later download fetches them
   again), sparing one used within `RECENT_S`. Queued and running jobs keep theirs: with
   EXECUTOR=local their outputs are written there before they are published.

"Last used" is the newest modification time in the copy; `JobFiles.local_file` touches the
job's folder on every download. A copy is renamed out of the way on the event loop, where
that touch happens, and deleted in a thread. Without STORAGE_URL the folder is the storage
itself: nothing is ever swept."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...files.storage import JobFiles, LocalCopy
from .periodic import Periodic

if TYPE_CHECKING:
    from ...store.base import JobRepo
    from ...store.records import Job

log = logging.getLogger(__name__)

UNRECORDED_GRACE_S = 3600.0  # a record-less folder unused this long is no upload any more
RECENT_S = 60.0  # a copy used this recently is being served or fetched: the cap spares it
_MB = 1024 * 1024  # as LOCAL_COPIES_MB counts them


@dataclass
class Swept:
    """What one sweep did: job ids removed, bytes freed and what is left."""

    removed: list[str] = field(default_factory=list)  # deleted or expired jobs
    evicted: list[str] = field(default_factory=list)  # least recently used, past the cap
    freed_bytes: int = 0
    left_bytes: int = 0
    left_copies: int = 0
    over_cap: bool = False


class LocalCopies:
    def __init__(
        self,
        files: JobFiles,
        records: JobRepo,
        cap_bytes: int,
        every_s: float,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.files = files
        self.records = records
        self.cap_bytes = cap_bytes
        self.every_s = every_s
        self.now = now  # seconds since the epoch, as the files' modification times
        self._periodic = Periodic("local copies sweep", self.sweep, lambda: every_s)

    async def sweep(self) -> Swept:
        swept = Swept()
        if not self.files.shared:  # the folder is the storage itself
            return swept
        try:
            copies = await asyncio.to_thread(self.files.local_copies)
            now = self.now()
            kept = await self._remove_unwanted(copies, now, swept)
            self._evict_past_cap(kept, now, swept)
        finally:
            await asyncio.to_thread(self.files.empty_trash)
        log.info(
            "local copies: removed %d of deleted or expired jobs and %d least recently used "
            "(%.1f MB); %.1f MB left in %d (cap %.0f MB%s)",
            len(swept.removed),
            len(swept.evicted),
            swept.freed_bytes / _MB,
            swept.left_bytes / _MB,
            swept.left_copies,
            self.cap_bytes / _MB,
            ", still over it: the rest is in use, unfinished or not recorded yet"
            if swept.over_cap
            else "",
        )
        return swept

    async def _remove_unwanted(
        self, copies: list[LocalCopy], now: float, swept: Swept
    ) -> list[tuple[LocalCopy, Job | None]]:
        """Remove the copies of deleted and expired jobs; the others, with their records."""
        kept: list[tuple[LocalCopy, Job | None]] = []
        for copy in copies:
            job = await self.records.get(copy.job_id)
            if job is None:
                gone = self.files.set_aside(copy.job_id, used_before=now - UNRECORDED_GRACE_S)
            elif job.files_expired_at is not None:
                gone = self.files.set_aside(copy.job_id)
            else:
                kept.append((copy, job))
                continue
            if gone is not None:
                swept.removed.append(copy.job_id)
                swept.freed_bytes += gone.bytes
            elif job is None:  # an upload still arriving or being checked
                kept.append((copy, None))
        return kept

    def _evict_past_cap(
        self, kept: list[tuple[LocalCopy, Job | None]], now: float, swept: Swept
    ) -> None:
        """Remove the least recently used copies of ended jobs while past the cap."""
        total = sum(copy.bytes for copy, _ in kept)
        left = len(kept)
        if total > self.cap_bytes:
            ended = sorted(
                (copy for copy, job in kept if job is not None and job.status.terminal),
                key=lambda copy: copy.last_used,
            )
            for copy in ended:
                if total <= self.cap_bytes:
                    break
                gone = self.files.set_aside(copy.job_id, used_before=now - RECENT_S)
                if gone is None:  # used in the last minute, or gone meanwhile
                    continue
                swept.evicted.append(copy.job_id)
                swept.freed_bytes += gone.bytes
                total -= copy.bytes
                left -= 1
        swept.left_bytes, swept.left_copies = total, left
        swept.over_cap = total > self.cap_bytes

    def start(self) -> None:
        """Sweep now, then every `every_s`; nothing without STORAGE_URL."""
        if self.files.shared:
            self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()
