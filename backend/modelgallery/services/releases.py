"""Releasing a version safely: an administrator starts a release of a validated version
beside the live one, sends it a share of live predictions (canary) and a share of copies of
live inputs (shadow), then promotes it (it goes live) or rolls it back. Each is one action,
written to the audit log. At most one release per model is active.

The routing runs on every upload, so it reads the active releases from memory: this
replica's own changes at once, another replica's within a few seconds (`_WATCH_S`)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from typing import Any

from ..catalog.registry import version_spec
from ..core.settings import Settings
from ..jobs.lifecycle.executor import Executor
from ..jobs.lifecycle.periodic import Periodic
from ..store.base import Store
from ..store.model_records import VersionState
from ..store.records import Job, JobLane, JobQuery, JobStatus, User, utcnow
from ..store.release_records import Release, ReleaseState
from ..vision.registry import ModelSpec, RegistryError
from . import audit
from .errors import Conflict, Invalid, NotFound
from .model_manager import ModelManager
from .rerun import LaneFull, NotRerun, Rerun
from .stored_models import model_record, version_record

log = logging.getLogger(__name__)

_WATCH_S = 3.0


def share_point(release_id: str, key: str) -> float:
    """Where `key` (an account, a client address, a job) falls in [0, 1) for this release:
    the same key always falls at the same point, so a visitor stays with one version for
    the whole release, and a new release draws its canary afresh."""
    digest = hashlib.sha256(f"{release_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


class Releases:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        executor: Executor,
        manager: ModelManager,
        rerun: Rerun,
    ) -> None:
        self._settings, self._store, self._executor = settings, store, executor
        self._manager, self._rerun = manager, rerun
        self._active: dict[str, tuple[Release, ModelSpec]] = {}  # by model
        self._shadows: set[asyncio.Task[None]] = set()
        self._watch = Periodic("releases-watch", self.refresh, lambda: _WATCH_S)

    # --- the hot path ------------------------------------------------------------------

    def route(
        self, spec: ModelSpec, user: User | None, client: str
    ) -> tuple[ModelSpec, str | None]:
        """The version a new prediction of `spec`'s model runs on, with the release that
        chose it: the candidate for the canary's share of accounts (or, for visitors,
        client addresses), else the live version."""
        active = self._active.get(spec.name)
        if active is None:
            return spec, None
        release, candidate = active
        key = f"user:{user.id}" if user is not None else f"client:{client}"
        if share_point(release.id, key) < release.canary_share:
            return candidate, release.id
        return spec, None

    def shadow(self, job: Job) -> None:
        """Copy a live prediction on the live version to the release's candidate, for its
        shadow share of jobs, in the background (the prediction does not wait for it)."""
        active = self._active.get(job.model)
        if active is None or job.release is not None or job.lane is not JobLane.live:
            return
        release, candidate = active
        if share_point(release.id, f"job:{job.id}") >= release.shadow_share:
            return
        task = asyncio.create_task(self._copy(job, candidate, release.id))
        self._shadows.add(task)
        task.add_done_callback(self._shadows.discard)

    async def _copy(self, job: Job, candidate: ModelSpec, release_id: str) -> None:
        try:
            await self._rerun.submit(job, candidate, JobLane.shadow, release_id)
        except LaneFull:
            # Counted on the release: its comparison says how many copies it lacks.
            log.info("job %s: no shadow copy: the background lane is full", job.id)
            await self._store.releases.add_shadow_skipped(release_id)
        except NotRerun as exc:
            log.info("job %s: no shadow copy: %s", job.id, exc)
        except Exception:
            log.exception("job %s: the shadow copy failed", job.id)

    # --- administrators' actions ---------------------------------------------------------

    async def of_model(self, name: str) -> list[Release]:
        await model_record(self._store, name)
        return await self._store.releases.of_model(name)

    async def begin(
        self,
        actor: User,
        name: str,
        candidate_id: str,
        canary_share: float,
        shadow_share: float,
        note: str = "",
    ) -> Release:
        model = await model_record(self._store, name)
        if model.live_version is None:
            raise Conflict(f"'{name}' has no live version to release against: make one live")
        candidate = await version_record(self._store, name, candidate_id)
        if candidate.id == model.live_version:
            raise Conflict(f"version {candidate.number} is already live")
        if candidate.state not in (VersionState.ready, VersionState.retired):
            raise Conflict(
                f"version {candidate.number} is {candidate.state}: only a validated version "
                "can be released"
            )
        if any(r.state is ReleaseState.active for r in await self._store.releases.of_model(name)):
            raise Conflict(f"'{name}' already has an active release: promote or roll it back")
        baseline = await self._store.versions.get(model.live_version)
        _check_shares(canary_share, shadow_share)
        release = await self._store.releases.create(
            Release(
                model=name,
                candidate=candidate.id,
                candidate_number=candidate.number,
                baseline=model.live_version,
                baseline_number=baseline.number if baseline else 0,
                canary_share=canary_share,
                shadow_share=shadow_share,
                note=note,
                created_by=actor.email,
            )
        )
        await self._audit(actor, "release.start", release, canary=canary_share, shadow=shadow_share)
        await self.refresh()
        return release

    async def adjust(
        self, actor: User, name: str, release_id: str, changes: dict[str, Any]
    ) -> Release:
        release = await self._release(name, release_id)
        _check_shares(
            changes.get("canary_share", release.canary_share),
            changes.get("shadow_share", release.shadow_share),
        )
        updated = await self._store.releases.update(
            release.id, changes, only_if_state=[ReleaseState.active]
        )
        if updated is None:
            raise Conflict("the release has ended meanwhile")
        await self._audit(actor, "release.adjust", updated, **changes)
        await self.refresh()
        return updated

    async def promote(self, actor: User, name: str, release_id: str) -> Release:
        """The candidate goes live for every new prediction; the release ends."""
        release = await self._release(name, release_id)
        await self._manager.make_live(actor, name, release.candidate)
        return await self._end(actor, release, ReleaseState.promoted, "release.promote")

    async def roll_back(self, actor: User, name: str, release_id: str) -> Release:
        """New predictions go to the live version again; finished ones keep their results,
        and those already queued on the candidate still run there."""
        release = await self._release(name, release_id)
        return await self._end(actor, release, ReleaseState.rolled_back, "release.rollback")

    # --- starting, stopping, following other replicas --------------------------------

    async def start(self) -> None:
        """The active releases, and every version a job accepted before a restart was sent
        to, before those jobs are queued again; then other replicas' changes are followed."""
        await self.refresh()
        offered = {spec.version for _, spec in self._active.values()}
        for status in (JobStatus.queued, JobStatus.running):
            page = await self._store.jobs.query(JobQuery(status=status, lane=None, limit=500))
            for job in page.data:
                if job.model_version is None or job.model_version in offered:
                    continue
                offered.add(job.model_version)
                with contextlib.suppress(LookupError, RegistryError):  # recovery fails the job
                    self._executor.add_version(
                        await version_spec(
                            self._store, job.model, job.model_version, self._settings.models_dir
                        )
                    )
        self._watch.start()

    async def stop(self) -> None:
        await self._watch.stop()
        for task in list(self._shadows):
            task.cancel()
        await asyncio.gather(*self._shadows, return_exceptions=True)

    async def refresh(self) -> None:
        active: dict[str, tuple[Release, ModelSpec]] = {}
        for release in await self._store.releases.active():
            known = self._active.get(release.model)
            if known is not None and known[0].candidate == release.candidate:
                active[release.model] = (release, known[1])
                continue
            try:
                spec = await version_spec(
                    self._store, release.model, release.candidate, self._settings.models_dir
                )
            except (LookupError, RegistryError) as exc:
                log.error("release %s of %s is not routed: %s", release.id, release.model, exc)
                continue
            self._executor.preload(release.model, spec)  # its first canary job waits less
            active[release.model] = (release, spec)
        for ended in self._active.keys() - active.keys():
            self._executor.preload(ended, None)
        self._active = active

    # --- helpers -------------------------------------------------------------------------

    async def _end(
        self, actor: User, release: Release, state: ReleaseState, action: str
    ) -> Release:
        ended = await self._store.releases.update(
            release.id,
            {"state": state, "ended_at": utcnow(), "ended_by": actor.email},
            only_if_state=[ReleaseState.active],
        )
        if ended is None:
            raise Conflict("the release has ended meanwhile")
        await self._audit(actor, action, ended)
        await self.refresh()
        return ended

    async def _audit(self, actor: User, action: str, release: Release, **details: Any) -> None:
        await audit.record(
            self._store.audit,
            actor,
            action,
            release.model,
            release=release.id,
            candidate=release.candidate_number,
            baseline=release.baseline_number,
            **details,
        )

    async def _release(self, name: str, release_id: str) -> Release:
        release = await self._store.releases.get(release_id)
        if release is None or release.model != name:
            raise NotFound(f"model '{name}' has no release '{release_id}'")
        if release.state is not ReleaseState.active:
            raise Conflict(f"the release has ended ({release.state.replace('_', ' ')})")
        return release


def _check_shares(canary: float, shadow: float) -> None:
    for label, share in (("canary", canary), ("shadow", shadow)):
        if not 0 <= share <= 1:
            raise Invalid(f"the {label} share must be between 0 and 1 (0 % to 100 %)")
