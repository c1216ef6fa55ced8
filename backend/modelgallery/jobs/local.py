"""The local executor: a pool of worker processes per worker group on this machine.

Each worker process loads its group's models once and runs one job at a time. A slot (an
asyncio task in the API process) owns one worker process: it takes the next job from the
group's queue, sends it over the pipe, relays progress, enforces the time limit, and
replaces the process when it dies. Loading, unloading and reloading models restart the
group's workers one by one after their current job; restarting is the only reliable way to
give a framework's memory back.

While a group's workers restart its models stay `loading` (the reason says "restarting") and
jobs wait in the queue. Only when `MAX_FAILED_STARTS` worker starts in a row die before they
are ready (and no other worker of the group serves) do its models become `unavailable`: the
jobs waiting for them fail with that reason, new ones are refused, and the slots keep trying
in the background at the slowest backoff; the first start that succeeds serves them again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import multiprocessing as mp
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core.machine import usable_cores
from ..core.settings import Settings
from ..vision.registry import ModelSpec, Registry
from . import worker
from .executor import JobListener, ModelState, QueueFullError, Task, WorkerInfo
from .messages import (
    Cancelled,
    Failed,
    Inbox,
    ModelReport,
    Progressed,
    RunBatch,
    RunJob,
    Stop,
    Succeeded,
    Wake,
    WorkerDied,
    WorkerReady,
)

log = logging.getLogger(__name__)

_CANCEL_GRACE_S = 5.0
_RESPAWN_BACKOFF_S = (0.5, 2.0, 5.0, 15.0)
MAX_FAILED_STARTS = 3  # starts of a group's workers that die while loading, in a row


@dataclass
class _Slot:
    group: _Group
    index: int
    process: Any = None  # multiprocessing Process
    conn: Any = None
    inbox: asyncio.Queue[Inbox] = field(default_factory=asyncio.Queue)
    cancel: Any = None  # multiprocessing Event
    cancel_deadline: float | None = None
    generation: int = -1
    ready: bool = False  # its models are loaded
    job_id: str | None = None
    batch: set[str] = field(default_factory=set)  # the jobs it runs now
    cancelled: set[str] = field(default_factory=set)  # of a batch: they end cancelled
    jobs_done: int = 0
    restarts: int = 0
    failures_in_a_row: int = 0
    crashed: str | None = None  # why its last process stopped unexpectedly, until one is ready
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    loop_task: asyncio.Task[None] | None = None

    @property
    def name(self) -> str:
        return f"{self.group.name}-{self.index}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    @property
    def cancelling(self) -> bool:
        """A cancel was asked for (set by `cancel`, while `_execute` waits)."""
        return self.cancel_deadline is not None


@dataclass
class _Group:
    name: str
    specs: list[ModelSpec]
    limit: int
    queue: asyncio.Queue[Task] = field(default_factory=asyncio.Queue)
    slots: list[_Slot] = field(default_factory=list)
    generation: int = 0
    avg_job_s: float = 5.0
    failed_starts: int = 0  # in a row, over its slots; reset by a start that succeeds

    def serving(self, besides: _Slot | None = None) -> bool:
        return any(s.ready and s.alive for s in self.slots if s is not besides)


class LocalExecutor:
    def __init__(self, settings: Settings, registry: Registry) -> None:
        self._settings = settings
        self._registry = registry
        self._ctx = mp.get_context("spawn")
        self._groups: dict[str, _Group] = {}
        self._states: dict[str, ModelState] = {}
        self._unloaded: set[str] = set()
        self._running: dict[str, _Slot] = {}
        self._listener: JobListener | None = None
        self._stopping = False
        self._cores = usable_cores()
        self._host = socket.gethostname()
        self._node = settings.node_name or self._host

    # --- lifecycle -------------------------------------------------------------------

    async def start(self, listener: JobListener) -> None:
        self._listener = listener
        self._adopt(self._registry, force_groups=set())

    async def stop(self) -> None:
        self._stopping = True
        for group in self._groups.values():
            for slot in group.slots:
                slot.wake.set()
        slots = [s for g in self._groups.values() for s in g.slots]
        for slot in slots:
            if slot.loop_task is not None:
                slot.loop_task.cancel()
        await asyncio.gather(*(s.loop_task for s in slots if s.loop_task), return_exceptions=True)
        # Jobs still running stay `running` in the store; the next start re-queues them.
        await asyncio.gather(*(self._shutdown(s, graceful=s.job_id is None) for s in slots))

    # --- the Executor protocol -------------------------------------------------------

    def check_room(self, model: str) -> None:
        group = self._group_of(model)
        if group.queue.qsize() >= group.limit:
            slots = max(1, len(group.slots))
            wait = math.ceil(group.queue.qsize() * group.avg_job_s / slots)
            raise QueueFullError(group.name, max(1, min(wait, 300)))

    def submit(self, task: Task, *, force: bool = False) -> None:
        if not force:
            self.check_room(task.model)
        self._group_of(task.model).queue.put_nowait(task)

    def _group_of(self, model: str) -> _Group:
        spec = self._registry.models.get(model)
        group = self._groups.get(spec.group) if spec else None
        if group is None:
            raise KeyError(f"no workers host the model '{model}'")
        return group

    async def cancel(self, job_id: str) -> bool:
        slot = self._running.get(job_id)
        if slot is None:
            return False
        if len(slot.batch) > 1:  # the others' results must not be lost: it ends cancelled
            slot.cancelled.add(job_id)
            return True
        slot.cancel.set()
        slot.cancel_deadline = time.monotonic() + _CANCEL_GRACE_S
        slot.inbox.put_nowait(Wake())
        return True

    async def cancel_requested(self, job_id: str) -> bool:
        slot = self._running.get(job_id)
        return slot is not None and (slot.cancelling or job_id in slot.cancelled)

    def worker_alive(self, worker: str) -> bool | None:
        return None

    def model_states(self) -> dict[str, ModelState]:
        return dict(self._states)

    async def set_loaded(self, model: str, loaded: bool) -> None:
        spec = self._registry.models[model]
        if loaded:
            self._unloaded.discard(model)
        else:
            self._unloaded.add(model)
        self._adopt(self._registry, force_groups={spec.group})

    async def reload(self, registry: Registry, models: list[str] | None = None) -> None:
        forced = {registry.models[m].group for m in models or [] if m in registry.models}
        self._adopt(registry, force_groups=forced)

    def queue_depths(self) -> dict[str, int]:
        return {name: g.queue.qsize() for name, g in self._groups.items()}

    def workers(self) -> list[WorkerInfo]:
        workers = []
        for g in self._groups.values():
            states = {m.name: self._states[m.name] for m in g.specs if m.name in self._states}
            workers += [
                WorkerInfo(
                    name=s.name,
                    group=g.name,
                    pid=s.process.pid if s.process is not None else None,
                    alive=s.alive,
                    job_id=s.job_id,
                    jobs_done=s.jobs_done,
                    restarts=s.restarts,
                    node=self._node,
                    ready=s.ready and s.alive,
                    models={name: state.status for name, state in states.items()},
                    host=self._host,
                    states=states,
                )
                for s in g.slots
            ]
        return workers

    def ready(self) -> tuple[bool, str]:
        for group in self._groups.values():
            if self._runnable(group.specs) and not any(s.ready and s.alive for s in group.slots):
                return False, f"no worker of group '{group.name}' is ready"
        return True, ""

    # --- registry → groups -----------------------------------------------------------

    def _runnable(self, specs: list[ModelSpec]) -> list[ModelSpec]:
        return [
            s
            for s in specs
            if s.enabled and not s.missing_weights() and s.name not in self._unloaded
        ]

    def _adopt(self, registry: Registry, force_groups: set[str]) -> None:
        """Point groups at the registry's specs; restart groups whose specs changed."""
        self._registry = registry
        previous = dict(self._states)
        by_group: dict[str, list[ModelSpec]] = {}
        for spec in registry.models.values():
            by_group.setdefault(spec.group, []).append(spec)
            self._states[spec.name] = self._initial_state(spec)
        for name in list(self._states):
            if name not in registry.models:
                del self._states[name]

        for name, specs in by_group.items():
            group = self._groups.get(name)
            if group is None:
                group = _Group(name=name, specs=specs, limit=self._settings.queue_size)
                self._groups[name] = group
                for index in range(self._settings.workers_for(name)):
                    slot = _Slot(group=group, index=index)
                    group.slots.append(slot)
                    slot.loop_task = asyncio.create_task(self._slot_loop(slot), name=slot.name)
                continue
            runnable_before = [s.model_dump() for s in self._runnable(group.specs)]
            group.specs = specs
            if name in force_groups or runnable_before != [
                s.model_dump() for s in self._runnable(specs)
            ]:
                group.generation += 1
                group.failed_starts = 0
                for slot in group.slots:
                    slot.wake.set()
            else:
                self._keep_states(group, previous)
        for name, group in self._groups.items():
            if name not in by_group:
                group.specs = []
                group.generation += 1
                for slot in group.slots:
                    slot.wake.set()

    def _initial_state(self, spec: ModelSpec) -> ModelState:
        if not spec.enabled:
            return ModelState("disabled", "disabled in the model registry")
        missing = spec.missing_weights()
        if missing:
            return ModelState(
                "unavailable",
                f"weights missing ({', '.join(missing)}): run `modelgallery fetch-models "
                f"{spec.name}`",
            )
        if spec.name in self._unloaded:
            return ModelState("unloaded", "unloaded by an administrator")
        previous = self._states.get(spec.name)
        return previous if previous and previous.status == "loaded" else ModelState("loading")

    def _keep_states(self, group: _Group, previous: dict[str, ModelState]) -> None:
        """A group that is not restarted keeps what its workers last said of its models
        (loaded, restarting, or unavailable after a failed load)."""
        for spec in group.specs:
            state, before = self._states.get(spec.name), previous.get(spec.name)
            if state and state.status == "loading" and before is not None:
                self._states[spec.name] = before

    # --- one slot --------------------------------------------------------------------

    async def _slot_loop(self, slot: _Slot) -> None:
        group = slot.group
        while not self._stopping:
            try:
                if slot.process is not None and slot.generation != group.generation:
                    await self._shutdown(slot, graceful=True)
                if not self._runnable(group.specs):
                    slot.generation = group.generation
                    slot.wake.clear()
                    await slot.wake.wait()
                    continue
                if slot.process is None:
                    if not await self._spawn(slot):
                        await self._back_off(slot)
                    continue
                task = await self._next_task(slot)
                if task is not None:
                    await self._execute(slot, await self._gather(slot, task))
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not silently stop a worker slot
                log.exception("worker slot %s failed; restarting it", slot.name)
                await self._shutdown(slot, graceful=False)
                await asyncio.sleep(1)

    async def _back_off(self, slot: _Slot) -> None:
        """Pause after a failed start, longer each time; a load, unload or reload of the
        group meanwhile (a new generation) tries again at once."""
        delay = _RESPAWN_BACKOFF_S[min(slot.failures_in_a_row, len(_RESPAWN_BACKOFF_S)) - 1]
        if slot.generation == slot.group.generation:
            slot.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(slot.wake.wait(), delay)

    async def _spawn(self, slot: _Slot) -> bool:
        group = slot.group
        specs = self._runnable(group.specs)
        slot.generation = group.generation
        if not group.serving(besides=slot) and group.failed_starts < MAX_FAILED_STARTS:
            reason = self._restarting(slot) if slot.crashed else None
            for spec in specs:
                self._states[spec.name] = ModelState("loading", reason)
        parent, child = self._ctx.Pipe(duplex=True)
        slot.cancel = self._ctx.Event()
        slot.inbox = asyncio.Queue()
        process = self._ctx.Process(
            target=worker.run,
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

    async def _failed_start(self, slot: _Slot, specs: list[ModelSpec]) -> None:
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
                "unavailable", reason, retry_after_s=math.ceil(_RESPAWN_BACKOFF_S[-1])
            )
        await self._fail_waiting(group, set(waiting), reason)

    @staticmethod
    def _restarting(slot: _Slot) -> str:
        return f"restarting its worker ({slot.crashed})"

    async def _fail_waiting(self, group: _Group, models: set[str], reason: str) -> None:
        """Jobs waiting in the group's queue for `models`, which cannot run, fail now."""
        assert self._listener is not None
        for task in _take(group.queue, lambda t: t.model in models, group.queue.qsize()):
            await self._listener.on_failure(task.job_id, reason)

    async def _next_task(self, slot: _Slot) -> Task | None:
        slot.wake.clear()
        getter = asyncio.ensure_future(slot.group.queue.get())
        waker = asyncio.ensure_future(slot.wake.wait())
        listener = asyncio.ensure_future(slot.inbox.get())
        done, pending = await asyncio.wait(
            {getter, waker, listener}, return_when=asyncio.FIRST_COMPLETED
        )
        for future in pending:
            future.cancel()
        if listener in done:
            message = listener.result()
            if isinstance(message, WorkerDied):
                slot.crashed = self._exit_text(slot)
                log.warning("worker %s died while idle (%s)", slot.name, slot.crashed)
                await self._shutdown(slot, graceful=False)
            else:
                await self._handle_side_message(message)
        if getter in done:
            task = getter.result()
            if slot.process is None:  # it died at the same moment: hand the job on
                slot.group.queue.put_nowait(task)
                return None
            return task
        return None

    async def _gather(self, slot: _Slot, first: Task) -> list[Task]:
        """`first`, with the one-image jobs of its model waiting behind it when its model
        batches and gains from it (up to its `max_batch`, waiting up to its
        `max_batch_wait_ms` for more to come)."""
        spec = self._registry.models.get(first.model)
        state = self._states.get(first.model)
        if (
            spec is None
            or spec.max_batch < 2
            or not _one_image(first)
            or state is None
            or not state.batches
        ):
            return [first]
        batch = [first]
        waited = False
        while True:
            batch += _take(
                slot.group.queue,
                lambda t: t.model == first.model and _one_image(t),
                spec.max_batch - len(batch),
            )
            if len(batch) >= spec.max_batch or waited or spec.max_batch_wait_ms <= 0:
                return batch
            await asyncio.sleep(spec.max_batch_wait_ms / 1000)
            waited = True

    async def _execute(self, slot: _Slot, tasks: list[Task]) -> None:
        """Run one job, or a batch of one-image jobs, on the slot's worker and relay what
        it says until every job has ended."""
        assert self._listener is not None
        worker_name = f"{slot.name} (pid {slot.process.pid})"
        tasks = [
            t for t in tasks if await self._listener.on_start(t.job_id, worker_name) is not None
        ]
        if not tasks:
            return
        pending = {t.job_id: t for t in tasks}
        for task in tasks:
            self._running[task.job_id] = slot
        slot.job_id, slot.batch, slot.cancel_deadline = tasks[0].job_id, set(pending), None
        started = time.monotonic()
        deadline = started + max(t.timeout_s for t in tasks)
        threads = self._threads_for_next_job()
        try:
            try:
                if len(tasks) == 1:
                    slot.conn.send(RunJob(tasks[0], threads))
                else:
                    slot.conn.send(RunBatch(tasks, threads))
            except (BrokenPipeError, OSError):
                await self._end_all(slot, pending, self._crash_text(slot))
                return
            while pending:
                limit = slot.cancel_deadline or deadline
                try:
                    message = await asyncio.wait_for(
                        slot.inbox.get(), max(0.0, limit - time.monotonic())
                    )
                except TimeoutError:
                    if slot.cancelling:
                        await self._shutdown(slot, graceful=False)
                        for job_id in list(pending):
                            del pending[job_id]
                            await self._listener.on_cancelled(job_id)
                        return
                    limit_s = max(t.timeout_s for t in pending.values())
                    reason = f"stopped: it ran longer than the time limit of {limit_s:g} s"
                    await self._end_all(slot, pending, reason)
                    return
                match message:
                    case Progressed(job_id, fraction, text) if job_id in pending:
                        await self._listener.on_progress(job_id, fraction, text)
                    case Succeeded(job_id, outcome) if job_id in pending:
                        del pending[job_id]
                        if job_id in slot.cancelled:  # cancelled while its batch ran
                            await self._listener.on_cancelled(job_id)
                            continue
                        round_trip_ms = (time.monotonic() - started) * 1000
                        pipe_ms = round(max(0.0, round_trip_ms - outcome.model_ms), 2)
                        outcome.stages = {"pipe": pipe_ms, **outcome.stages}
                        await self._listener.on_success(job_id, outcome)
                    case Failed(job_id, error) if job_id in pending:
                        del pending[job_id]
                        await self._listener.on_failure(job_id, error)
                    case Cancelled(job_id) if job_id in pending:
                        del pending[job_id]
                        await self._listener.on_cancelled(job_id)
                    case WorkerDied():
                        await self._end_all(slot, pending, self._crash_text(slot))
                        return
                    case _:
                        await self._handle_side_message(message)
        finally:
            elapsed = time.monotonic() - started
            slot.group.avg_job_s = 0.8 * slot.group.avg_job_s + 0.2 * elapsed / len(tasks)
            for task in tasks:
                self._running.pop(task.job_id, None)
            slot.job_id, slot.cancel_deadline = None, None
            slot.batch, slot.cancelled = set(), set()
            slot.jobs_done += len(tasks)

    async def _end_all(self, slot: _Slot, pending: dict[str, Task], error: str) -> None:
        """The worker is gone or stuck: replace it, and fail what it was running."""
        assert self._listener is not None
        slot.crashed = "the last one was stopped" if slot.alive else self._exit_text(slot)
        await self._shutdown(slot, graceful=False)
        for job_id in list(pending):
            del pending[job_id]
            await self._listener.on_failure(job_id, error)

    @property
    def _max_threads(self) -> int:
        return self._settings.worker_threads or self._cores

    def _threads_for_next_job(self) -> int:
        """Unless pinned by the settings, the cores are shared among the jobs running now
        (this one included): alone it gets all of them (the best latency), and under load
        each gets one (the best throughput: N single-thread jobs beat one N-thread job). A
        job keeps its share until it ends; the next jobs are sized to what is left. Jobs
        waiting for an idle worker count as running: they start in a moment, and a job
        sized for an idle machine would then hold cores they need."""
        if self._settings.worker_threads:
            return self._settings.worker_threads
        busy = {id(slot) for slot in self._running.values()}  # a batch runs in one worker
        starting = sum(
            min(group.queue.qsize(), sum(1 for s in group.slots if s.alive and id(s) not in busy))
            for group in self._groups.values()
        )
        return max(1, self._cores // max(1, len(busy) + starting))

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

    # --- processes -------------------------------------------------------------------

    def _start_reader(self, slot: _Slot) -> None:
        """A thread per worker turns blocking pipe reads into inbox messages; EOF on the
        pipe is how a crash is noticed at once."""
        loop, conn, inbox = asyncio.get_running_loop(), slot.conn, slot.inbox

        def read() -> None:
            while True:
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    break
                with contextlib.suppress(RuntimeError):  # the loop is closed at exit
                    loop.call_soon_threadsafe(inbox.put_nowait, message)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(inbox.put_nowait, WorkerDied())

        threading.Thread(target=read, name=f"reader-{slot.name}", daemon=True).start()

    async def _shutdown(self, slot: _Slot, graceful: bool) -> None:
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

    def _exit_text(self, slot: _Slot) -> str:
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

    def _crash_text(self, slot: _Slot) -> str:
        return (
            f"the worker process stopped unexpectedly ({self._exit_text(slot)}) while running "
            "this job; it has been replaced, so you can submit the file again"
        )


def _one_image(task: Task) -> bool:
    return len(task.inputs) == 1 and task.inputs[0].kind == "image"


def _take(queue: asyncio.Queue[Task], wanted: Callable[[Task], bool], limit: int) -> list[Task]:
    """Up to `limit` tasks that are `wanted`, out of the queue; the others stay in their
    order. No await: nothing else touches the queue meanwhile."""
    waiting: list[Task] = []
    while True:
        try:
            waiting.append(queue.get_nowait())
        except asyncio.QueueEmpty:
            break
    taken: list[Task] = []
    for task in waiting:
        if len(taken) < limit and wanted(task):
            taken.append(task)
        else:
            queue.put_nowait(task)
    return taken
