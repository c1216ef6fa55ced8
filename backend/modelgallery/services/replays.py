"""Replays: a filtered set of past predictions run again on a version, in the background
lane (behind every live job), as an offline test before any user sees the version. The set
is chosen once, with the filters of the predictions list, among the finished live
predictions whose inputs are still kept; a feeder sends them while the lane has room, and
after a restart goes on from where it stopped. The comparison reads the results."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..catalog.registry import version_spec
from ..core.settings import Settings
from ..jobs.lifecycle.executor import Executor
from ..jobs.lifecycle.periodic import Periodic
from ..store.base import Store
from ..store.model_records import VersionState
from ..store.records import JobLane, JobQuery, JobStatus, User, utcnow
from ..store.release_records import Replay, ReplayState
from ..vision.registry import ModelSpec, RegistryError
from . import audit
from .errors import Conflict, Invalid, NotFound
from .rerun import LaneFull, NotRerun, Rerun
from .stored_models import version_record

log = logging.getLogger(__name__)

MAX_REPLAY = 1000
_LANE_FULL_WAIT_S = 1.0
_PAGE = 200
_FINISH_S = 1.0  # how soon a replay whose last job ended reads as done


class Replays:
    def __init__(self, settings: Settings, store: Store, executor: Executor, rerun: Rerun) -> None:
        self._settings, self._store, self._executor, self._rerun = settings, store, executor, rerun
        self._feeders: dict[str, asyncio.Task[None]] = {}
        self._finisher = Periodic("replays-finish", self.finish_ended, lambda: _FINISH_S)

    async def begin(
        self, actor: User, name: str, version_id: str, filters: JobQuery, limit: int
    ) -> Replay:
        if not 1 <= limit <= MAX_REPLAY:
            raise Invalid(f"a replay takes between 1 and {MAX_REPLAY} predictions")
        version = await version_record(self._store, name, version_id)
        if version.state not in (VersionState.ready, VersionState.live, VersionState.retired):
            raise Conflict(f"version {version.number} is {version.state}: it cannot run jobs")
        spec = await self._spec(name, version_id)
        chosen = await self._choose(name, filters, limit)
        if not chosen:
            raise Invalid("no finished prediction with its files still kept matches the filters")
        replay = await self._store.replays.create(
            Replay(
                model=name,
                version=version.id,
                version_number=version.number,
                filters=filters.model_dump(mode="json", exclude_defaults=True),
                sources=chosen,
                created_by=actor.email,
            )
        )
        await audit.record(
            self._store.audit,
            actor,
            "replay.start",
            name,
            replay=replay.id,
            version=version.number,
            predictions=len(chosen),
        )
        self._feed(replay, spec)
        return replay

    async def of_model(self, name: str) -> list[tuple[Replay, dict[str, int]]]:
        """Each replay with how many of its jobs are in each state."""
        return [(r, await self.progress(r)) for r in await self._store.replays.of_model(name)]

    async def one(self, name: str, replay_id: str) -> tuple[Replay, dict[str, int]]:
        replay = await self._store.replays.get(replay_id)
        if replay is None or replay.model != name:
            raise NotFound(f"model '{name}' has no replay '{replay_id}'")
        return replay, await self.progress(replay)

    async def progress(self, replay: Replay) -> dict[str, int]:
        """How many of its jobs are in each state (a read: `finish_ended` ends a replay)."""
        return {
            str(status): (
                await self._store.jobs.query(
                    JobQuery(release=replay.id, lane=JobLane.replay, status=status, limit=1)
                )
            ).count
            for status in JobStatus
        }

    async def finish_ended(self) -> None:
        """Mark done each running replay (of any replica) that has sent every chosen
        prediction and whose jobs have all ended."""
        for replay in await self._store.replays.running():
            if replay.total + replay.skipped < len(replay.sources):
                continue  # its feeder is still sending
            counts = await self.progress(replay)
            if sum(counts[str(s)] for s in JobStatus if s.terminal) >= replay.total:
                await self._store.replays.update(
                    replay.id,
                    {"state": ReplayState.done, "finished_at": utcnow()},
                    only_if_state=[ReplayState.running],
                )

    async def cancel(self, actor: User, name: str, replay_id: str) -> Replay:
        replay, _ = await self.one(name, replay_id)
        if replay.state is not ReplayState.running:
            raise Conflict(f"the replay is {replay.state}")
        feeder = self._feeders.pop(replay.id, None)
        if feeder is not None:
            feeder.cancel()
        updated = await self._store.replays.update(
            replay.id,
            {"state": ReplayState.cancelled, "finished_at": utcnow()},
            only_if_state=[ReplayState.running],
        )
        if updated is None:
            raise Conflict("the replay has ended meanwhile")
        await audit.record(self._store.audit, actor, "replay.cancel", name, replay=replay.id)
        return updated

    # --- starting and stopping ------------------------------------------------------------

    async def start(self) -> None:
        """Replays still running: their version offered to the executor (before the jobs
        accepted before a restart are queued again), and their feeders resumed; then the
        sweep that marks ended replays done."""
        for replay in await self._store.replays.running():
            try:
                spec = await self._spec(replay.model, replay.version)
            except (NotFound, Conflict) as exc:
                log.error("replay %s cannot go on: %s", replay.id, exc)
                continue
            if replay.total + replay.skipped < len(replay.sources):
                self._feed(replay, spec)
        self._finisher.start()

    async def stop(self) -> None:
        await self._finisher.stop()
        feeders = list(self._feeders.values())
        for task in feeders:
            task.cancel()
        await asyncio.gather(*feeders, return_exceptions=True)

    # --- helpers ----------------------------------------------------------------------------

    async def _spec(self, name: str, version_id: str) -> ModelSpec:
        try:
            spec = await version_spec(self._store, name, version_id, self._settings.models_dir)
        except LookupError as exc:
            raise NotFound(str(exc)) from None
        except RegistryError as exc:
            raise Conflict(f"the version cannot run here: {exc}") from None
        self._executor.add_version(spec)
        return spec

    async def _choose(self, name: str, filters: JobQuery, limit: int) -> list[str]:
        query = filters.model_copy(
            update={"model": name, "lane": JobLane.live, "status": JobStatus.succeeded}
        )
        chosen: list[str] = []
        offset = 0
        while len(chosen) < limit:
            page = await self._store.jobs.query(
                query.model_copy(update={"offset": offset, "limit": _PAGE})
            )
            chosen += [j.id for j in page.data if j.files_expired_at is None and j.inputs]
            offset += _PAGE
            if offset >= page.count:
                break
        return chosen[:limit]

    def _feed(self, replay: Replay, spec: ModelSpec) -> None:
        task = asyncio.create_task(self._send(replay, spec), name=f"replay-{replay.id}")
        self._feeders[replay.id] = task
        task.add_done_callback(lambda _: self._feeders.pop(replay.id, None))

    async def _send(self, replay: Replay, spec: ModelSpec) -> None:
        sent, skipped = replay.total, replay.skipped
        for source_id in replay.sources[sent + skipped :]:
            source = await self._store.jobs.get(source_id)
            while True:
                try:
                    if source is None:
                        raise NotRerun("it was deleted")
                    await self._rerun.submit(source, spec, JobLane.replay, replay.id)
                    sent += 1
                except LaneFull:
                    await asyncio.sleep(_LANE_FULL_WAIT_S)
                    continue
                except NotRerun as exc:
                    log.info("replay %s: job %s skipped: %s", replay.id, source_id, exc)
                    skipped += 1
                break
            changes: dict[str, Any] = {"total": sent, "skipped": skipped}
            await self._store.replays.update(replay.id, changes)
