"""Predictions: what a route asks of a job once it exists: who may see it, following it,
cancelling and deleting it, and which file a download is (submitting one: `intake.py`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..core.disk import out_of_space
from ..core.settings import Settings
from ..core.shared import SharedStateUnavailable
from ..files.storage import JobFiles, Kind, ObjectStoreError, UnsafePathError
from ..jobs.lifecycle.events import EventBus
from ..jobs.lifecycle.retention import Retention
from ..jobs.lifecycle.service import JobService
from ..media import deferred_video
from ..media.annotate import draw_result
from ..store.base import JobRepo
from ..store.records import Job, JobQuery, JobStatus, Page, Role, User
from ..vision.registry import ModelSpec, Registry
from .errors import NO_FILE_STORAGE, Forbidden, Gone, InsufficientStorage, NotFound, Unavailable
from .owners import digest, may_change

log = logging.getLogger(__name__)

_GONE = "no such prediction (it may have been deleted)"
_NOT_YOURS = (
    "Only the browser that made this prediction, or its owner's account, can cancel or "
    "delete it; its link lets others view it."
)


@dataclass(frozen=True)
class Download:
    """A file of a job as it may be served."""

    path: Path
    media_type: str
    name: str  # the name to save it under


class PredictionService:
    def __init__(
        self,
        settings: Settings,
        jobs: JobService,
        records: JobRepo,
        files: JobFiles,
        registry: Registry,
        bus: EventBus,
        retention: Retention,
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.records = records
        self.files = files
        self.registry = registry
        self.bus = bus
        self.retention = retention
        self._drawing: dict[str, asyncio.Lock] = {}

    # --- models ----------------------------------------------------------------------

    def model(self, name: str) -> ModelSpec:
        spec = self.registry.models.get(name)
        if spec is None or not spec.enabled:
            raise NotFound(f"there is no model named '{name}'")
        return spec

    def legacy_model(self, service: str) -> ModelSpec:
        spec = self.registry.legacy(service)
        if spec is None or not spec.enabled:
            raise NotFound(f"there is no service called '{service}'")
        return spec

    # --- reading ---------------------------------------------------------------------

    async def visible(self, job_id: str, user: User | None) -> Job:
        """The job if this caller may see it. Anonymous jobs are reachable by their
        unguessable id; a signed-in user's jobs only by that user and administrators; the
        background jobs of releases and replays only by administrators."""
        job = await self.records.get(job_id) if len(job_id) == 32 else None
        admin = user is not None and user.role == Role.admin
        if job is None or (
            not admin
            and (
                job.lane.background
                or (job.user_id is not None and (user is None or user.id != job.user_id))
            )
        ):
            raise NotFound(_GONE)
        return job

    async def mine(self, user: User, offset: int, limit: int) -> Page[Job]:
        return await self.records.query(JobQuery(user_id=user.id, offset=offset, limit=limit))

    async def followable(self, job_id: str, user: User | None) -> Job:
        """The job, if this caller may see it and its changes can reach them now."""
        job = await self.visible(job_id, user)
        if not await self.bus.available():
            raise SharedStateUnavailable("this prediction's progress cannot be followed")
        return job

    async def follow(self, job: Job) -> AsyncIterator[Job]:
        """The job's state now, then at every change until it ends."""
        async with self.bus.subscribe(job.id) as mailbox:
            job = await self.records.get(job.id) or job
            while True:
                yield job
                if job.status.terminal:
                    return
                job = await mailbox.get()

    # --- changing --------------------------------------------------------------------

    async def _changeable(self, job_id: str, user: User | None, owner: str | None) -> None:
        job = await self.visible(job_id, user)
        if not may_change(job, user, owner):
            raise Forbidden(_NOT_YOURS)

    async def cancel(self, job_id: str, user: User | None, owner: str | None) -> Job:
        """Stop a queued or running prediction; `owner`: the caller's owner token."""
        await self._changeable(job_id, user, owner)
        job = await self.jobs.cancel(job_id)
        if job is None:
            raise NotFound(_GONE)
        return job

    async def delete(self, job_id: str, user: User | None, owner: str | None) -> None:
        """Delete a prediction with its files (stopping it first if it is running)."""
        await self._changeable(job_id, user, owner)
        await self.jobs.delete(job_id)

    async def adopt(self, owner: str | None, user: User) -> int:
        """The anonymous predictions made with this owner token join the user's history."""
        if owner is None:
            return 0
        moved = await self.records.adopt(digest(owner), user.id, user.email)
        if moved:
            log.info("%d anonymous predictions joined account %s", moved, user.id)
        return moved

    async def delete_mine(self, user: User) -> int:
        """Delete every prediction of this user with its files (stopping the ones queued or
        running first); returns how many. Others' predictions are never touched."""
        deleted = 0
        while True:
            page = await self.records.query(JobQuery(user_id=user.id, limit=200))
            done = sum([await self.jobs.delete(job.id) for job in page.data])
            deleted += done
            if done == 0:  # nothing left, or nothing deletable: do not spin
                return deleted

    # --- files -----------------------------------------------------------------------

    async def output(self, job: Job, name: str, save_as: str | None = None) -> Download:
        """A file the model wrote (only recorded artifacts are ever served), to be saved
        as `<model>-<name>` unless `save_as` says otherwise. A deferred annotated image is
        drawn from the job's input and items on its first download."""
        artifact = next((a for a in job.artifacts if a.name == name), None)
        if artifact is None:
            raise NotFound(f"this prediction has no file named '{name}'")
        self._not_expired(job)
        path = await self._local(job, "output", artifact.name)
        if artifact.deferred and not path.is_file():
            await self._draw(job, path)
        return Download(path, artifact.media_type, save_as or f"{job.model}-{artifact.name}")

    async def _draw(self, job: Job, target: Path) -> None:
        """One drawing per file, however many ask for it at once; with object storage it is
        stored there too, for the other replicas."""
        lock = self._drawing.setdefault(str(target), asyncio.Lock())
        try:
            async with lock:
                if not job.inputs or not job.result or job.result_kind is None:
                    raise NotFound("this prediction has no result to draw")
                if await asyncio.to_thread(target.is_file):  # drawn while this one waited
                    return
                source = await self._local(job, "input", job.inputs[0].stored)
                items = job.result.get("items", [])
                try:
                    if deferred_video.can_draw(job.result_kind):
                        for name in deferred_video.READS:  # read beside the target
                            await self._local(job, "output", name)
                        await deferred_video.draw(source, target, job.result_kind)
                    else:
                        await asyncio.to_thread(draw_result, source, job.result_kind, items, target)
                except deferred_video.StillDrawing as exc:
                    retry = deferred_video.RETRY_AFTER_S
                    raise Unavailable(str(exc), retry_after_s=retry) from None
                except (OSError, ValueError, KeyError) as exc:
                    if out_of_space(exc):
                        raise InsufficientStorage() from exc
                    raise NotFound(f"the annotated file cannot be drawn: {exc}") from None
                try:
                    await self.files.publish_outputs(job.id, [target.name])
                except ObjectStoreError as exc:  # served from here; drawn again elsewhere
                    log.warning("job %s: %s not stored: %s", job.id, target.name, exc)
        finally:
            if not lock.locked():
                self._drawing.pop(str(target), None)

    async def input(self, job: Job, stored: str) -> Download:
        item = next((f for f in job.inputs if f.stored == stored), None)
        if item is None:
            raise NotFound(f"this prediction has no input named '{stored}'")
        self._not_expired(job)
        path = await self._local(job, "input", item.stored)
        return Download(path, item.media_type, item.name)

    async def legacy_output(self, spec: ModelSpec, file_name: str, user: User | None) -> Download:
        """`<job id>_<artifact>` as the legacy predict route named it; `<job id>_` alone
        is the job's main output."""
        job_id, _, artifact_name = file_name.partition("_")
        job = await self.visible(job_id, user)
        if job.model != spec.name:
            raise NotFound("no such file for this service")
        if not artifact_name:
            primary = main_output(job)
            if primary is None:
                raise NotFound(f"no file named '{file_name}'")
            return await self.output(job, primary, save_as=primary)
        if not any(a.name == artifact_name for a in job.artifacts):
            raise NotFound(f"no file named '{file_name}'")
        return await self.output(job, artifact_name, save_as=artifact_name)

    def _not_expired(self, job: Job) -> None:
        if job.files_expired_at is not None:
            raise Gone(self.retention.expired_message(job))

    async def _local(self, job: Job, kind: Kind, name: str) -> Path:
        """The file's path on this machine, fetched from object storage when only it has
        the file; a path to nothing when neither has it (the download answers 404)."""
        try:
            return await self.files.local_file(job.id, kind, name)
        except UnsafePathError:
            noun = "input" if kind == "input" else "file"
            raise NotFound(f"this prediction has no {noun} named '{name}'") from None
        except FileNotFoundError:
            return self.files.path(job.id, kind, name)
        except ObjectStoreError as exc:
            log.warning("job %s: %s %s not fetched: %s", job.id, kind, name, exc)
            raise Unavailable(NO_FILE_STORAGE, retry_after_s=30) from None


_PRIMARY_ROLES = ("annotated", "mask", "archive")


Outcome = Literal["found", "nothing_found"]


def outcome(job: Job) -> Outcome | None:
    """A finished job's outcome: `nothing_found` when the model found nothing in the file
    to work on (its result says so, and `finding` says why: a skull-stripped volume for the
    skin model), else `found`; None until it succeeded."""
    if job.status != JobStatus.succeeded:
        return None
    result = job.result or {}
    # `skin_found`: the skin model's results from before `nothing_found` was written
    nothing = result.get("nothing_found") is True or result.get("skin_found") is False
    return "nothing_found" if nothing else "found"


def main_output(job: Job) -> str | None:
    """The artifact a person most wants: the annotated file, the mask or the archive."""
    ranked = sorted(job.artifacts, key=lambda a: a.role not in _PRIMARY_ROLES)
    return ranked[0].name if ranked else None
