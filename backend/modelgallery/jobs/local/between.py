"""What a slot asks of its idle worker process between two jobs: take the group's models as
they are now (a new version, a model added or gone), and load ahead the versions about to
take jobs (releases' candidates)."""

from __future__ import annotations

import asyncio
import time
from typing import TypeVar

from .messages import Adopt, Adopted, Inbox, Preload, Preloaded, ToWorker, WorkerDied
from .pool import Processes, Slot

M = TypeVar("M")


class BetweenJobs(Processes):
    async def _adopt_in_place(self, slot: Slot) -> None:
        """The group's models as they are now, taken by the slot's process between two jobs;
        a process that dies meanwhile is replaced (with them) by the slot's loop."""
        version = slot.group.specs_version
        adopt = Adopt(self._runnable(slot.group.specs))
        late = "it did not finish loading the new models in time"
        done = await self._between_jobs(slot, adopt, Adopted, late)
        if done is not None:
            slot.specs_version = version
            slot.versions = done.versions

    async def _between_jobs(
        self, slot: Slot, message: ToWorker, answer: type[M], late: str
    ) -> M | None:
        """Send `message` to the slot's idle process and wait for its `answer` (what it
        reports meanwhile is handled); None, with the process stopped, when it died or took
        longer than a start may (`late` says so)."""
        try:
            slot.conn.send(message)
        except (BrokenPipeError, OSError):
            reply: Inbox = WorkerDied()
        else:
            deadline = time.monotonic() + self._settings.worker_start_timeout_s
            while True:
                try:
                    reply = await asyncio.wait_for(slot.inbox.get(), deadline - time.monotonic())
                except TimeoutError:
                    reply = WorkerDied(late)
                if isinstance(reply, answer | WorkerDied):
                    break
                await self._handle_side_message(reply)
        if isinstance(reply, answer):
            return reply
        assert isinstance(reply, WorkerDied)
        slot.crashed = reply.reason or self._exit_text(slot)
        await self._shutdown(slot, graceful=False)
        return None

    async def _preload(self, slot: Slot) -> None:
        """The group's candidate versions loaded by the slot's process between two jobs
        (those that went live meanwhile are the live spec's already)."""
        version = slot.group.candidates_version
        specs = [
            s
            for s in slot.group.candidates.values()
            if s.version != getattr(self._registry.models.get(s.name), "version", None)
        ]
        if specs:
            late = "it did not finish loading a release's version in time"
            done = await self._between_jobs(slot, Preload(specs), Preloaded, late)
            if done is None:
                return
            slot.versions = done.versions
        slot.preloaded = version
