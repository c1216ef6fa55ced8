"""The local executor: a pool of worker processes per worker group on this machine.

Each worker process loads its group's models once and runs one job at a time. A slot (an
asyncio task in the API process) owns one worker process: it takes the next job from the
group's queue, sends it over the pipe, relays progress, enforces the time limit, and
replaces the process when it dies. A change to a group's models (a new version live, a model
added, removed, loaded or unloaded) is adopted by each worker in place after its current job:
only the models that changed load, and their siblings keep serving. An administrator's
"reload" restarts the group's workers, which is the only sure way to give a framework's
memory back. A job keeps the version it was submitted to: when that is no longer the live
one, its spec goes with it and the worker loads it beside the live one.

While a group's workers restart its models stay `loading` (the reason says "restarting") and
jobs wait in the queue. Only when `MAX_FAILED_STARTS` worker starts in a row die before they
are ready (and no other worker of the group serves) do its models become `unavailable`: the
jobs waiting for them fail with that reason, new ones are refused, and the slots keep trying
in the background at the slowest backoff; the first start that succeeds serves them again."""

from __future__ import annotations

import asyncio
import logging
import math
import multiprocessing as mp
import socket
import tempfile
import time
from pathlib import Path

from ...core.machine import usable_cores
from ...core.settings import Settings
from ...vision.model import InputItem
from ...vision.registry import ModelSpec, Registry
from ..lifecycle.executor import (
    JobListener,
    JobRun,
    ModelState,
    QueueFullError,
    Validated,
    WorkerInfo,
)
from ..validation import validate_apart
from .dispatch import Dispatch
from .messages import Wake
from .pool import CANCEL_GRACE_S, Group, Slot

log = logging.getLogger(__name__)

BACKGROUND_PER_SLOT = 10  # background runs kept waiting, per live run a group's queue takes


class LocalExecutor(Dispatch):
    def __init__(self, settings: Settings, registry: Registry) -> None:
        self._settings = settings
        self._registry = registry
        self._ctx = mp.get_context("spawn")
        self._groups: dict[str, Group] = {}
        self._states: dict[str, ModelState] = {}
        self._unloaded: set[str] = set()
        self._running: dict[str, Slot] = {}
        self._older_specs: dict[str, ModelSpec] = {}  # by version id, of versions not live
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
        waiting = group.queue.live_size()
        if waiting >= group.limit:
            slots = max(1, len(group.slots))
            wait = math.ceil(waiting * group.avg_job_s / slots)
            raise QueueFullError(group.name, max(1, min(wait, 300)))

    def submit(self, run: JobRun, *, force: bool = False) -> None:
        group = self._group_of(run.model)
        if run.background:
            if not force and group.queue.background_size() >= BACKGROUND_PER_SLOT * group.limit:
                raise QueueFullError(group.name, 60, "the background lane is full")
        elif not force:
            self.check_room(run.model)
        group.queue.put_nowait(run)

    def add_version(self, spec: ModelSpec) -> None:
        if spec.version is not None:
            self._older_specs[spec.version] = spec

    def preload(self, model: str, spec: ModelSpec | None) -> None:
        if spec is not None:
            self.add_version(spec)
        for group in self._groups.values():
            if spec is not None and group.name == spec.group:
                group.candidates[model] = spec
            elif group.candidates.pop(model, None) is None:
                continue
            group.candidates_version += 1
            for slot in group.slots:
                slot.wake.set()

    def _group_of(self, model: str) -> Group:
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
        slot.cancel_deadline = time.monotonic() + CANCEL_GRACE_S
        slot.inbox.put_nowait(Wake())
        return True

    async def cancel_requested(self, job_id: str) -> bool:
        slot = self._running.get(job_id)
        return slot is not None and (slot.cancelling or job_id in slot.cancelled)

    def worker_alive(self, worker: str) -> bool | None:
        return None

    async def validate(
        self, spec: ModelSpec, example: InputItem | None, timeout_s: float
    ) -> Validated:
        """In a process spawned for it on this machine, with the thread count of one of its
        group's workers; what the example's prediction writes is thrown away."""
        settings = self._settings
        threads = settings.worker_threads or max(1, self._cores // settings.workers_for(spec.group))
        with tempfile.TemporaryDirectory(prefix="validation-") as scratch:
            return await validate_apart(
                spec, example, Path(scratch) / "output", threads, timeout_s, node=self._node
            )

    def model_states(self) -> dict[str, ModelState]:
        return dict(self._states)

    async def set_loaded(self, model: str, loaded: bool) -> None:
        if loaded:
            self._unloaded.discard(model)
        else:
            self._unloaded.add(model)
        self._adopt(self._registry, force_groups=set())

    async def reload(
        self, registry: Registry, models: list[str] | None = None, *, announce: bool = True
    ) -> None:
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
                    versions=list(s.versions),
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

    def _adopt(self, registry: Registry, force_groups: set[str]) -> None:
        """Point groups at the registry's specs: `force_groups` restart their workers; the
        others adopt changed specs in place."""
        for old in self._registry.models.values():
            new = registry.models.get(old.name)
            if old.version and (new is None or new.version != old.version):
                self._older_specs[old.version] = old
        while len(self._older_specs) > 50:
            del self._older_specs[next(iter(self._older_specs))]
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
                group = Group(name=name, specs=specs, limit=self._settings.queue_size)
                group.runnable = {s.name: s for s in self._runnable(specs)}
                self._groups[name] = group
                for index in range(self._settings.workers_for(name)):
                    slot = Slot(group=group, index=index)
                    group.slots.append(slot)
                    slot.loop_task = asyncio.create_task(self._slot_loop(slot), name=slot.name)
                continue
            before = group.runnable
            group.specs = specs
            after = group.runnable = {s.name: s for s in self._runnable(specs)}
            if name in force_groups or not after:  # with nothing to run, its workers stop
                group.generation += 1
                group.failed_starts = 0
                for slot in group.slots:
                    slot.wake.set()
                continue
            self._keep_states(group, previous)
            if before != after:
                group.specs_version += 1
                for spec in after.values():  # only what changes loads; the siblings serve
                    if before.get(spec.name) != spec:
                        self._states[spec.name] = ModelState("loading", "loading its new version")
                for slot in group.slots:
                    slot.wake.set()
        for name, group in self._groups.items():
            if name not in by_group:
                group.specs, group.runnable = [], {}
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

    def _keep_states(self, group: Group, previous: dict[str, ModelState]) -> None:
        """A group that is not restarted keeps what its workers last said of its models
        (loaded, restarting, or unavailable after a failed load)."""
        for spec in group.specs:
            state, before = self._states.get(spec.name), previous.get(spec.name)
            if state and state.status == "loading" and before is not None:
                self._states[spec.name] = before

    # --- one slot --------------------------------------------------------------------

    async def _slot_loop(self, slot: Slot) -> None:
        group = slot.group
        while not self._stopping:
            try:
                if slot.process is not None and slot.generation != group.generation:
                    await self._shutdown(slot, graceful=True)
                if not group.runnable:  # kept current by `_adopt`: no stat per job
                    slot.generation = group.generation
                    slot.wake.clear()
                    await slot.wake.wait()
                    continue
                if slot.process is None:
                    if not await self._spawn(slot):
                        await self._back_off(slot)
                    continue
                if slot.specs_version != group.specs_version:
                    await self._adopt_in_place(slot)
                    continue
                if slot.preloaded != group.candidates_version:
                    await self._preload(slot)
                    continue
                run = await self._next_run(slot)
                if run is not None:
                    await self._execute(slot, await self._gather(slot, run))
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug here must not silently stop a worker slot
                log.exception("worker slot %s failed; restarting it", slot.name)
                await self._shutdown(slot, graceful=False)
                await asyncio.sleep(1)
