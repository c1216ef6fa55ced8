"""Predictions: what a route asks of a job. Submitting an upload (the checks every
prediction route shares), who may see a job, following it, and which file a download is."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.disk import DiskGuard, out_of_space
from ..core.settings import Settings
from ..core.shared import SharedStateUnavailable
from ..files.storage import JobFiles, Kind, ObjectStoreError, UnsafePathError
from ..jobs.lifecycle.events import EventBus
from ..jobs.lifecycle.executor import QueueFullError
from ..jobs.lifecycle.retention import Retention
from ..jobs.lifecycle.service import JobService, ModelUnavailableError
from ..media.annotate import draw_result
from ..media.check import check
from ..media.sniff import MediaError
from ..store.base import JobRepo
from ..store.records import InputFile, Job, JobQuery, Page, Role, Timings, User, new_id
from ..vision.params import ParamError, parse_params
from ..vision.registry import ModelSpec, Registry
from .errors import (
    Gone,
    InsufficientStorage,
    Invalid,
    NotAuthenticated,
    NotFound,
    Unavailable,
    UnsupportedMedia,
)
from .quotas import Quotas

log = logging.getLogger(__name__)

_GONE = "no such prediction (it may have been deleted)"
_NO_STORAGE = "The server cannot reach its file storage right now; please try again later."
Charge = Callable[[str, int], None]  # an accepted job's id and bytes, against its quotas


@dataclass
class UploadedFile:
    """A file of the request, received into the job's input folder."""

    name: str  # the user's file name, for display only
    path: Path
    size: int
    sha256: str


@dataclass(frozen=True)
class Download:
    """A file of a job as it may be served."""

    path: Path
    media_type: str
    name: str  # the name to save it under


class Upload:
    """A job being received: its folder exists; `submit` checks and queues what arrived."""

    def __init__(
        self,
        jobs: JobService,
        files: JobFiles,
        spec: ModelSpec,
        user: User | None,
        disk: DiskGuard,
        charge: Charge,
    ) -> None:
        self._jobs, self._files, self.spec, self.user, self._disk = jobs, files, spec, user, disk
        self._charge = charge
        self.job_id = new_id()
        self.folder = files.input_dir(self.job_id)
        self._opened = time.perf_counter()

    def check_room(self, incoming_bytes: int = 0) -> None:
        """Refuse (InsufficientStorage) when `incoming_bytes` more would take the data
        folder's free space below the reserve; called before and while the files arrive."""
        if not self._disk.room_for(incoming_bytes):
            raise InsufficientStorage()

    async def submit(self, files: list[UploadedFile], fields: dict[str, str]) -> Job:
        """Check what arrived and queue the job; its timings say how long the upload took
        to arrive (from this object's creation) and to check."""
        received = time.perf_counter()
        if not files:
            raise Invalid("attach a file in the form field 'file'")
        checked = [await self._check(index, f) for index, f in enumerate(files)]
        try:
            params = parse_params(self.spec.params, fields)
        except ParamError as exc:
            raise Invalid(str(exc)) from None
        stages = {
            "receive": round((received - self._opened) * 1000, 2),
            "checks": round((time.perf_counter() - received) * 1000, 2),
        }
        if self._files.shared:  # into object storage, for the node that runs it
            published = time.perf_counter()
            try:
                await self._files.publish_inputs(self.job_id)
            except ObjectStoreError as exc:
                log.warning("job %s: inputs not stored: %s", self.job_id, exc)
                raise Unavailable(_NO_STORAGE, retry_after_s=30) from None
            stages["publish"] = round((time.perf_counter() - published) * 1000, 2)
        job = Job(
            id=self.job_id,
            model=self.spec.name,
            user_id=self.user.id if self.user else None,
            user_email=self.user.email if self.user else None,
            inputs=[stored for stored, _ in checked],
            params=params,
            result_kind=self.spec.result_kind_for([kind for _, kind in checked]),
            message=self._jobs.waiting_message(self.spec),
            timings=Timings(stages=stages),
        )
        try:
            queued = await self._jobs.submit(job, self.spec)
        except QueueFullError as exc:
            raise _busy(exc) from None
        self._charge(queued.id, sum(f.size for f in files))
        return queued

    async def _check(self, index: int, received: UploadedFile) -> tuple[InputFile, str]:
        """The file as stored, and its kind (image, video, nifti, zip)."""
        name = received.name
        if received.size == 0:
            raise Invalid(f"'{name}' is empty")
        try:
            found = await asyncio.to_thread(check, received.path, self.spec.kinds)
        except MediaError as exc:
            raise UnsupportedMedia(f"'{name}': {exc}") from None
        stored = f"input-{index}{found.extension}"
        received.path.rename(self._files.input_path(self.job_id, stored))
        stored_file = InputFile(
            name=name,
            stored=stored,
            size=received.size,
            sha256=received.sha256,
            media_type=found.media_type,
        )
        return stored_file, found.kind


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
        disk: DiskGuard,
        quotas: Quotas,
    ) -> None:
        self.settings = settings
        self.jobs = jobs
        self.records = records
        self.files = files
        self.registry = registry
        self.bus = bus
        self.retention = retention
        self.disk = disk
        self.quotas = quotas
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

    # --- submitting ------------------------------------------------------------------

    @asynccontextmanager
    async def upload(
        self, spec: ModelSpec, user: User | None, client: str, declared_bytes: int | None = None
    ) -> AsyncIterator[Upload]:
        """A new job's folder to receive the files into, once the visitor is within their
        quotas (`client`: the address of an anonymous one; `declared_bytes`: the request's
        Content-Length), the model can take the job and the data folder has more free space
        than its reserve; the folder goes again when the upload fails for any reason."""
        if self.settings.require_login and user is None:
            raise NotAuthenticated("log in to use the models on this server")
        await self.quotas.admit(user, client, declared_bytes)
        try:
            self.jobs.check_can_take(spec)
        except ModelUnavailableError as exc:
            raise Unavailable(
                f"The model '{exc.model}' is {exc.status}: {exc.reason or 'try again later'}.",
                retry_after_s=exc.retry_after_s,
            ) from None
        except QueueFullError as exc:
            raise _busy(exc) from None

        def charge(job_id: str, received_bytes: int) -> None:
            self.quotas.charge(user, client, job_id, received_bytes)

        upload = Upload(self.jobs, self.files, spec, user, self.disk, charge)
        upload.check_room()
        try:
            self.files.create(upload.job_id)
            yield upload
        except BaseException as exc:
            await self.files.purge(upload.job_id)
            if isinstance(exc, Exception) and out_of_space(exc):  # a folder, a file, the record
                raise InsufficientStorage() from exc
            raise

    async def wait(self, job: Job, wait_s: float) -> Job:
        """The job when it has ended, or as it is after `wait_s` (capped by the settings)."""
        if wait_s <= 0:
            return job
        ended = await self.jobs.wait(job.id, min(wait_s, self.settings.max_wait_s))
        return ended or job

    # --- reading ---------------------------------------------------------------------

    async def visible(self, job_id: str, user: User | None) -> Job:
        """The job if this caller may see it. Anonymous jobs are reachable by their
        unguessable id; a signed-in user's jobs only by that user and administrators."""
        job = await self.records.get(job_id) if len(job_id) == 32 else None
        if job is None or (
            job.user_id is not None
            and (user is None or (user.id != job.user_id and user.role != Role.admin))
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

    async def cancel(self, job_id: str, user: User | None) -> Job:
        await self.visible(job_id, user)
        job = await self.jobs.cancel(job_id)
        if job is None:
            raise NotFound(_GONE)
        return job

    async def delete(self, job_id: str, user: User | None) -> None:
        """Delete a prediction with its files (stopping it first if it is running)."""
        await self.visible(job_id, user)
        await self.jobs.delete(job_id)

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
                    await asyncio.to_thread(draw_result, source, job.result_kind, items, target)
                except (OSError, ValueError, KeyError) as exc:
                    if out_of_space(exc):
                        raise InsufficientStorage() from exc
                    raise NotFound(f"the annotated image cannot be drawn: {exc}") from None
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
            raise Unavailable(_NO_STORAGE, retry_after_s=30) from None


_PRIMARY_ROLES = ("annotated", "mask", "archive")


def main_output(job: Job) -> str | None:
    """The artifact a person most wants: the annotated file, the mask or the archive."""
    ranked = sorted(job.artifacts, key=lambda a: a.role not in _PRIMARY_ROLES)
    return ranked[0].name if ranked else None


def _busy(exc: QueueFullError) -> Unavailable:
    busy = "The server is busy: too many files are waiting for this model."
    return Unavailable(
        f"{exc.reason or busy} Try again in about {exc.retry_after_s} seconds.",
        retry_after_s=exc.retry_after_s,
    )
