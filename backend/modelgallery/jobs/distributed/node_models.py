"""What one node process serves, and what it says of it: the live versions of its group's
models as the store has them (`catalog/registry.live_registry`), loaded once, and its
heartbeat (`cluster.Beat`).

A change (a version made live, a model added, edited, disabled, removed, unloaded or loaded)
bumps the cluster's generation. The process then adopts it in place, between two jobs:
it reads the registry again, fetches the weights it lacks from object storage (checked
against their sha256), loads only what changed and drops what is gone, while its other
models keep their state. A model replaced by a new version stays loaded beside it, for the
jobs submitted to it before the switch (`held.py`). Only an administrator's reload of a
model (`RESTARTS`: the process may then give a framework's memory back) or a group left
with nothing to run restarts the process, when it is idle."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Callable

import redis.asyncio as aioredis

from ...catalog.registry import live_registry, version_spec
from ...core.settings import Settings
from ...files.storage import ObjectStoreError, Remote
from ...files.weights import fetch_weights
from ...store.base import Store
from ...store.records import Job
from ...vision.model import Model
from ...vision.registry import ModelSpec, Registry, RegistryError
from ..held import HeldModels
from ..lifecycle.executor import ModelState
from ..runner import ModelReport
from .cluster import GENERATION, MISSED_BEATS, RESTARTS, UNLOADED, Beat, proc_key, state_fields
from .loop import LoopThread

log = logging.getLogger("modelgallery.jobs.distributed.node_process")

_CLOSE_WAIT_S = 10.0


def missing_reason(node: str, model: str, missing: list[str]) -> str:
    return (
        f"weights missing on node {node} ({', '.join(missing)}): run "
        f"`modelgallery fetch-models {model}` there, then restart the node"
    )


class NodeModels:
    def __init__(
        self,
        settings: Settings,
        beat: Beat,
        names: list[str] | None,  # None: every model of the group, as the store has them
        loop: LoopThread,
        redis: aioredis.Redis,
        store: Store,
        remote: Remote | None,
        consume: Callable[[str, bool], None],
    ) -> None:
        self.settings, self.beat, self.names, self.loop = settings, beat, names, loop
        self.redis, self.store, self.remote, self.consume = redis, store, remote, consume
        self.held = HeldModels()
        self.registry = Registry(path=settings.models_file, models={})
        # Held while a job runs or the models change: a change waits for the job at hand.
        self.lock = threading.Lock()
        self._consuming: dict[str, bool] = {}  # what the node was last told, by model
        self._not_fetched: set[str] = set()  # digests warned about (tried at every change)
        self._wake = threading.Event()
        self._closing = False
        self._stop_beating = asyncio.Event()
        self._restarts = 0

    def start(self) -> None:
        """Load what the group serves now, beating meanwhile; then adopt changes."""
        self._restarts = self._restart_count()
        self._beating = self.loop.spawn(self._heartbeat())
        with self.lock:
            self.adopt()
        self.beat.ready = True
        self.announce()
        threading.Thread(target=self._adopting, name="node-adopt", daemon=True).start()

    def close(self) -> None:
        """Between two jobs: after a change being adopted, with the last beat sent."""
        self._closing = True
        self._wake.set()
        self.lock.acquire(timeout=_CLOSE_WAIT_S)
        self.loop.call(self._halt())

    async def _halt(self) -> None:
        self._stop_beating.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.wrap_future(self._beating), _CLOSE_WAIT_S)

    # --- adopting a change -----------------------------------------------------------

    def adopt(self) -> bool:
        """The registry of live versions again, with the administrator's unloads: what
        changed loads, what is gone is dropped, the rest serves on. The caller holds the
        lock. True when the process held models and now has none to load (its group is gone,
        disabled or unloaded)."""
        generation = int(self.loop.call(self.redis.get(GENERATION)) or 0)
        if self._restart_count() != self._restarts:
            self._wake.set()  # a reload asked for: the adopting thread restarts when idle
        settings = self.settings
        registry = self.loop.call(
            live_registry(self.store, settings.models_file, settings.models_dir)
        )
        unloaded = {str(m) for m in self.loop.call(self.redis.smembers(UNLOADED))}
        group = self.beat.group
        names = self.names
        if names is None:
            names = [s.name for s in registry.models.values() if s.group == group]
        wanted: list[ModelSpec] = []
        serves: set[str] = set()
        for name in names:
            spec = registry.models.get(name)
            if spec is None or not spec.enabled or spec.group != group:
                continue
            serves.add(name)
            if name in unloaded:
                self._report(name, ModelState("unloaded", "unloaded by an administrator"))
                continue
            self.fetch_missing(spec)
            if missing := spec.missing_weights():
                reason = missing_reason(self.beat.node, name, missing)
                self._report(name, ModelState("unavailable", reason))
            else:
                wanted.append(spec)
        self.beat.models = {n: f for n, f in self.beat.models.items() if n in serves}
        had = bool(self.held.live)
        changing = self.held.changed(wanted)
        for spec in changing:  # only these load; the others keep their state
            again = "loading its new version" if spec.name in self.held.live else None
            self._report(spec.name, ModelState("loading", again))
        if changing and self.beat.ready:
            loads = ", ".join(f"{s.name} version {s.version_number}" for s in changing)
            log.info("%s adopts %s in place", self.beat.worker, loads)
        self.announce()
        self.held.adopt(wanted, self._loaded)
        self.registry = registry
        live = self.held.live
        self._load_candidates(live)
        self.beat.versions = {name: model.spec.version_number for name, model in live.items()}
        for name in sorted(serves | set(self._consuming)):
            self._consume(name, name in live)
        self.beat.generation = generation
        self.announce()
        return had and not wanted

    def model_for(self, job: Job) -> tuple[Model | None, ModelSpec | None, str | None]:
        """What runs `job`: the model of the version it was submitted to, with its spec;
        (None, spec, None) when its model is not loaded here (another node may run it),
        (None, None or spec, reason) when it cannot run. The caller holds the lock."""
        version = job.model_version
        live = self.registry.models.get(job.model)
        if live is None or (version not in (None, live.version) and not self._held(version)):
            try:
                self.adopt()  # a change this process has not looked at yet
            except Exception as exc:  # the store or Redis away: the job runs on what is here
                log.warning("%s: the change is not adopted yet: %s", self.beat.worker, exc)
            live = self.registry.models.get(job.model)
        if live is None:
            return None, None, f"no model '{job.model}' on this node"
        if version is None or version == live.version:
            return self.held.live.get(job.model), live, None
        held = self.held.older(version)
        if held is not None:
            return held, held.spec, None
        try:
            spec = self.loop.call(self.version_spec(job.model, version))
        except (LookupError, RegistryError) as exc:
            return None, None, f"its version cannot run: {exc}"
        self.fetch_missing(spec)
        log.info("%s: loading version %s for job %s", job.model, spec.version_number, job.id)
        model, reason = self.held.load_older(spec)
        self.beat.held = self.held.older_versions
        if model is None:
            return None, spec, f"its version {spec.version_number} did not load: {reason}"
        return model, spec, None

    def _load_candidates(self, live: dict[str, Model]) -> None:
        """The candidate of each active release of a model served here, loaded ahead beside
        the live version (as the local workers do), so that its first canary or shadow job
        does not wait for the load. One that cannot load now loads with its first job."""
        try:
            releases = self.loop.call(self.store.releases.active())
        except Exception as exc:  # the store away: the candidates load with their first job
            log.warning("%s: active releases not read: %s", self.beat.worker, exc)
            releases = []
        for release in releases:
            serving = live.get(release.model)
            held = (serving.spec.version, *self.held.older_versions) if serving else ()
            if serving is None or release.candidate in held:
                continue
            try:
                spec = self.loop.call(self.version_spec(release.model, release.candidate))
            except (LookupError, RegistryError) as exc:
                log.warning("%s: release %s not loaded ahead: %s", release.model, release.id, exc)
                continue
            self.fetch_missing(spec)
            log.info("%s: loading version %s ahead", release.model, spec.version_number)
            _, reason = self.held.load_older(spec)
            if reason is not None:
                log.warning(
                    "%s: version %s did not load: %s", release.model, spec.version_number, reason
                )
        self.beat.held = self.held.older_versions

    def _held(self, version: str | None) -> bool:
        return version is not None and version in self.held.older_versions

    async def version_spec(self, name: str, version_id: str) -> ModelSpec:
        """A version other than the live one, as the store has it."""
        return await version_spec(self.store, name, version_id, self.settings.models_dir)

    def fetch_missing(self, spec: ModelSpec) -> None:
        """Weights of a version added at run time, from object storage by their sha256;
        a model whose weights stay missing is reported as such, not loaded."""
        for weight, path in zip(spec.weights, spec.weight_paths, strict=True):
            if self.remote is None or weight.sha256 is None or path.is_file():
                continue
            try:
                self.loop.call(fetch_weights(self.remote, weight.sha256, path))
                log.info("%s: fetched %s from object storage", spec.name, weight.file)
            except (ObjectStoreError, OSError) as exc:
                if weight.sha256 not in self._not_fetched:
                    log.warning("%s: %s not fetched: %s", spec.name, weight.file, exc)
                self._not_fetched.add(weight.sha256)

    def _consume(self, name: str, wanted: bool) -> None:
        if self._consuming.get(name) != wanted:
            self.consume(name, wanted)
            self._consuming[name] = wanted

    def _adopting(self) -> None:
        """Wakes when the generation changes (the heartbeat looks), and adopts the change
        once the job at hand has ended."""
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closing:
                return
            with self.lock:
                try:
                    if self._restart_count() != self._restarts:
                        self._restart("an administrator reloaded its group's models")
                    if self.adopt():
                        self._restart("its group has no model left to run")
                except Exception as exc:  # the store or Redis away: the next beat tries again
                    log.warning("%s: the change is not adopted yet: %s", self.beat.worker, exc)

    def _restart_count(self) -> int:
        return int(self.loop.call(self.redis.hget(RESTARTS, self.beat.group)) or 0)

    def _restart(self, why: str) -> None:
        """Idle (the lock is held): a fresh process, started by Celery, loads what is
        wanted now; the message of a job taken meanwhile goes back to its queue."""
        log.info("%s restarts: %s", self.beat.worker, why)
        self.loop.call(self.redis.delete(proc_key(self.beat.worker)))
        os._exit(0)

    # --- heartbeat -------------------------------------------------------------------

    def _loaded(self, report: ModelReport) -> None:
        state = ModelState(
            report.status,
            report.reason,
            report.load_ms,
            report.runtime,
            report.batch_speedup,
            report.classes,
        )
        self._report(report.name, state)
        self.announce()

    def _report(self, name: str, state: ModelState) -> None:
        # A new dict, never one changed in place: the loop's thread may be sending it.
        self.beat.models = {**self.beat.models, name: state_fields(state)}

    def announce(self) -> None:
        self.loop.call(self._announce())

    async def _announce(self) -> None:
        ttl = max(1, round(self.settings.node_heartbeat_s * MISSED_BEATS))
        try:
            await self.redis.set(proc_key(self.beat.worker), self.beat.dumps(), ex=ttl)
        except (OSError, aioredis.RedisError) as exc:
            log.warning("heartbeat not sent: %s", exc)

    async def _heartbeat(self) -> None:
        while True:
            await self._announce()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_beating.wait(), self.settings.node_heartbeat_s)
            if self._stop_beating.is_set():
                return
            try:
                generation = int(await self.redis.get(GENERATION) or 0)
            except (OSError, aioredis.RedisError):
                continue
            if generation != self.beat.generation and self.beat.ready:
                self._wake.set()  # what it serves changed: adopted after the job at hand
