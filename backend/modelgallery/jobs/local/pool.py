"""The local executor's worker processes: a slot per process of a group, and how a process
is started, watched, stopped and described when it dies."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ...core.settings import Settings
from ...vision.registry import ModelSpec, Registry
from ..lifecycle.executor import JobListener, JobRun, ModelState
from ..runner import ModelReport
from .lanes import LaneQueue
from .messages import Inbox, Stop, WorkerDied, WorkerReady
from .pipe import PipeReader
from .process import run as worker_main

log = logging.getLogger("modelgallery.jobs.local.executor")

RESPAWN_BACKOFF_S = (0.5, 2.0, 5.0, 15.0)
CANCEL_GRACE_S = 5.0  # a cancelled job's worker is stopped when it has not ended by then
MAX_FAILED_STARTS = 3  # starts of a group's workers that die while loading, in a row


@dataclass
class Slot:
    group: Group
    index: int
    process: Any = None  # multiprocessing Process
    conn: Any = None
    inbox: asyncio.Queue[Inbox] = field(default_factory=asyncio.Queue)
    cancel: Any = None  # multiprocessing Event
    cancel_deadline: float | None = None
    generation: int = -1
    specs_version: int = -1  # the group's models its process holds (`Group.specs_version`)
    ready: bool = False  # its models are loaded
    job_id: str | None = None
    batch: set[str] = field(default_factory=set)  # the jobs it runs now
    cancelled: set[str] = field(default_factory=set)  # of a batch: they end cancelled
    jobs_done: int = 0
    restarts: int = 0
    failures_in_a_row: int = 0
    crashed: str | None = None  # why its last process stopped unexpectedly, until one is ready
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    preloaded: int = -1  # the group's `candidates_version` its process has loaded
    versions: tuple[str, ...] = ()  # besides the live ones, as its process last said
    loop_task: asyncio.Task[None] | None = None
    name: str = field(init=False)  # the worker's name in job records and logs

    def __post_init__(self) -> None:
        self.name = f"{self.group.name}-{self.index}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    @property
    def cancelling(self) -> bool:
        """A cancel was asked for (set by `cancel`, while `_execute` waits)."""
        return self.cancel_deadline is not None


@dataclass
class Group:
    name: str
    specs: list[ModelSpec]
    limit: int
    queue: LaneQueue = field(default_factory=LaneQueue)
    slots: list[Slot] = field(default_factory=list)
    generation: int = 0  # bumped to restart its workers
    specs_version: int = 0  # bumped when its models change: workers adopt them in place
    runnable: dict[str, ModelSpec] = field(default_factory=dict)  # as last told its workers
    # Versions about to take jobs (releases' candidates), by model: loaded ahead.
    candidates: dict[str, ModelSpec] = field(default_factory=dict)
    candidates_version: int = 0
    avg_job_s: float = 5.0
    failed_starts: int = 0  # in a row, over its slots; reset by a start that succeeds
    first_start: asyncio.Lock = field(default_factory=asyncio.Lock)  # see `_spawn`

    def serving(self, besides: Slot | None = None) -> bool:
        return any(s.ready and s.alive for s in self.slots if s is not besides)


class Processes:
    """Starting and stopping the slots' processes, and what they report as they load."""

    # What LocalExecutor.__init__ sets (local/executor.py).
    _settings: Settings
    _registry: Registry
    _ctx: Any  # multiprocessing's spawn context
    _groups: dict[str, Group]
    _states: dict[str, ModelState]
    _running: dict[str, Slot]
    _listener: JobListener | None
    _cores: int
    _unloaded: set[str]
    _older_specs: dict[str, ModelSpec]

    def _runnable(self, specs: list[ModelSpec]) -> list[ModelSpec]:
        return [
            s
            for s in specs
            if s.enabled and not s.missing_weights() and s.name not in self._unloaded
        ]

    async def _back_off(self, slot: Slot) -> None:
        """Pause after a failed start, longer each time; a load, unload or reload of the
        group meanwhile (a new generation) tries again at once."""
        delay = RESPAWN_BACKOFF_S[min(slot.failures_in_a_row, len(RESPAWN_BACKOFF_S)) - 1]
        if slot.generation == slot.group.generation:
            slot.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(slot.wake.wait(), delay)

    async def _spawn(self, slot: Slot) -> bool:
        """While no worker of its group serves, the group's workers load one after another:
        on a small machine, every worker of every group loading at once (each importing its
        frameworks) delays each group's first worker, and so the time to ready, by as much
        as the others' loads. Once one serves, the others start together; a group with one
        worker, or one that serves, waits for nothing."""
        if not slot.group.serving(besides=slot):
            async with slot.group.first_start:
                if not slot.group.serving(besides=slot):
                    return await self._start(slot)
        return await self._start(slot)

    async def _start(self, slot: Slot) -> bool:
        group = slot.group
        specs = self._runnable(group.specs)
        slot.generation, slot.specs_version = group.generation, group.specs_version
        slot.preloaded, slot.versions = -1, ()  # a new process holds no other version yet
        if not group.serving(besides=slot) and group.failed_starts < MAX_FAILED_STARTS:
            reason = self._restarting(slot) if slot.crashed else None
            for spec in specs:
                self._states[spec.name] = ModelState("loading", reason)
        parent, child = self._ctx.Pipe(duplex=True)
        slot.cancel = self._ctx.Event()
        slot.inbox = asyncio.Queue()
        process = self._ctx.Process(
            target=worker_main,
            args=(child, slot.name, specs, self._max_threads, slot.cancel),
            name=f"modelgallery-{slot.name}",
            daemon=True,
        )
        await asyncio.to_thread(process.start)
        child.close()  # so that the parent sees EOF when the worker dies
        slot.process, slot.conn = process, parent
        self._start_reader(slot)
        log.info(
            "worker %s started (pid %s) for %s", slot.name, process.pid, [s.name for s in specs]
        )

        deadline = time.monotonic() + self._settings.worker_start_timeout_s
        while True:
            message: Inbox
            try:
                message = await asyncio.wait_for(slot.inbox.get(), deadline - time.monotonic())
            except TimeoutError:
                message = WorkerDied("it did not finish loading its models in time")
            match message:
                case WorkerReady():
                    slot.failures_in_a_row = group.failed_starts = 0
                    slot.crashed = None
                    slot.ready = True
                    return True
                case WorkerDied(reason):
                    slot.crashed = reason or self._exit_text(slot)
                    await self._shutdown(slot, graceful=False)
                    slot.failures_in_a_row += 1
                    group.failed_starts += 1
                    await self._failed_start(slot, specs)
                    return False
                case _:
                    await self._handle_side_message(message)

    async def _failed_start(self, slot: Slot, specs: list[ModelSpec]) -> None:
        """A worker died before it was ready: its models wait for the next start, unless
        the group's starts keep failing and no other worker serves them."""
        group = slot.group
        if group.serving():
            return
        waiting = [s.name for s in specs if self._states[s.name].status in ("loading", "loaded")]
        if group.failed_starts < MAX_FAILED_STARTS:
            for name in waiting:
                self._states[name] = ModelState("loading", self._restarting(slot))
            return
        reason = (
            f"its worker process stopped while loading {group.failed_starts} times in a row "
            f"(last: {slot.crashed}); it is tried again in the background"
        )
        for name in waiting:
            self._states[name] = ModelState(
                "unavailable", reason, retry_after_s=math.ceil(RESPAWN_BACKOFF_S[-1])
            )
        await self._fail_waiting(group, set(waiting), reason)

    @staticmethod
    def _restarting(slot: Slot) -> str:
        return f"restarting its worker ({slot.crashed})"

    async def _fail_waiting(self, group: Group, models: set[str], reason: str) -> None:
        """Jobs waiting in the group's queue for `models`, which cannot run, fail now."""
        assert self._listener is not None
        for run in take(group.queue, lambda t: t.model in models, group.queue.qsize()):
            await self._listener.on_failure(run.job_id, reason)

    @property
    def _max_threads(self) -> int:
        return self._settings.worker_threads or self._cores

    async def _handle_side_message(self, message: Inbox) -> None:
        if isinstance(message, ModelReport):
            self._states[message.name] = ModelState(
                message.status,
                message.reason,
                message.load_ms,
                message.runtime,
                message.batch_speedup,
                message.classes,
            )
            spec = self._registry.models.get(message.name)
            group = self._groups.get(spec.group) if spec else None
            if message.status == "unavailable" and group is not None:
                reason = f"the model could not be loaded: {message.reason}"
                await self._fail_waiting(group, {message.name}, reason)

    def _start_reader(self, slot: Slot) -> None:
        """The worker's messages go to the slot's inbox as the event loop reads them; the
        end of the pipe is how a crash is noticed at once (`pipe.py`)."""
        PipeReader(slot.conn, slot.inbox, asyncio.get_running_loop())

    async def _shutdown(self, slot: Slot, graceful: bool) -> None:
        process, conn = slot.process, slot.conn
        slot.process = slot.conn = None
        slot.ready = False
        if process is None:
            return
        if graceful and process.is_alive():
            with contextlib.suppress(BrokenPipeError, OSError):
                conn.send(Stop())
            await asyncio.to_thread(process.join, 10)
        if process.is_alive():
            process.kill()
            await asyncio.to_thread(process.join, 10)
            slot.restarts += 1
        elif not graceful:
            slot.restarts += 1
        with contextlib.suppress(OSError):
            conn.close()

    def _exit_text(self, slot: Slot) -> str:
        process = slot.process
        if process is None:
            return "it exited"
        process.join(2)
        code = process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            import signal

            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"

    def _crash_text(self, slot: Slot) -> str:
        return (
            f"the worker process stopped unexpectedly ({self._exit_text(slot)}) while running "
            "this job; it has been replaced, so you can submit the file again"
        )


def take(
    queue: asyncio.Queue[JobRun], wanted: Callable[[JobRun], bool], limit: int
) -> list[JobRun]:
    """Up to `limit` runs that are `wanted`, out of the queue; the others stay in their
    order. No await: nothing else touches the queue meanwhile."""
    waiting: list[JobRun] = []
    while True:
        try:
            waiting.append(queue.get_nowait())
        except asyncio.QueueEmpty:
            break
    taken: list[JobRun] = []
    for run in waiting:
        if len(taken) < limit and wanted(run):
            taken.append(run)
        else:
            queue.put_nowait(run)
    return taken
