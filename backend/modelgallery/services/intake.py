"""Taking an upload in, in one pass: who may send it (login, quotas), whether the model can
take a job now (its state and its queue's room, read once), whether the data folder has
room for the declared size, the files as they stream in (the API's `Receive`), their
checks and the parameters. Each fact is worked out once and carried on the upload's record
(`Upload`); the job is built from the record, queued, and, when the caller waits, followed
from the moment it is queued, so that it is never read back from the store."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.disk import DiskGuard, out_of_space
from ..core.settings import Settings
from ..files.storage import JobFiles, JobFolder, ObjectStoreError
from ..jobs.lifecycle.executor import QueueFullError
from ..jobs.lifecycle.service import JobService, ModelUnavailableError
from ..media.check import check_upload
from ..media.sniff import MediaError
from ..store.records import InputFile, Job, Timings, User
from ..vision.params import ParamError, parse_params
from ..vision.registry import ModelSpec
from .errors import (
    NO_FILE_STORAGE,
    InsufficientStorage,
    Invalid,
    NotAuthenticated,
    Unavailable,
    UnsupportedMedia,
)
from .quotas import Quotas
from .releases import Releases

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UploadRequest:
    """What the route knows before the body is read."""

    spec: ModelSpec
    user: User | None
    client: str  # the address of an anonymous visitor (their quotas)
    declared_bytes: int | None  # the request's Content-Length, parsed once
    wait_s: float = 0  # how long the caller waits for the result
    owner: str | None = None  # an anonymous visitor's owner token, its sha256 (owners.py)


@dataclass
class UploadedFile:
    """A file of the request, received into the job's input folder."""

    name: str  # the user's file name, for display only
    path: Path
    size: int
    sha256: str
    field: str = "file"  # the form field it came in


@dataclass
class Received:
    fields: dict[str, str] = field(default_factory=dict)
    files: list[UploadedFile] = field(default_factory=list)


class Upload:
    """The record of one upload: the request, the job's id and folder, the waiting message
    from the model's state at admission, and the size, kind and stored form of each file
    and the checked parameters as they become known."""

    def __init__(
        self, request: UploadRequest, folder: JobFolder, waiting: str, disk: DiskGuard
    ) -> None:
        self.request, self.waiting = request, waiting
        self.job_id, self.folder = folder.job_id, folder.inputs
        self._disk = disk
        self.spec = request.spec
        # What `api/uploads.receive` asks of where the files go (`Destination`).
        self.max_bytes, self.max_files = self.spec.max_upload_bytes, self.spec.max_files
        self.declared_bytes = request.declared_bytes
        self.opened = time.perf_counter()
        self.inputs: list[InputFile] = []
        self.params: dict[str, Any] = {}
        self.stages: dict[str, float] = {}
        self.queued = False
        self.release: str | None = None  # the release whose canary chose this version

    file_fields = ("file", "files")

    @property
    def size(self) -> int:
        return sum(f.size for f in self.inputs)

    def check_room(self, incoming_bytes: int = 0) -> None:
        """Refuse (InsufficientStorage) when `incoming_bytes` more would take the data
        folder's free space below its reserve: asked with the declared length before the
        body is read, then while the files arrive."""
        if not self._disk.room_for(incoming_bytes):
            raise InsufficientStorage()

    def lap(self, stage: str, since: float) -> float:
        now = time.perf_counter()
        self.stages[stage] = round((now - since) * 1000, 2)
        return now


# Streams the request's body into `upload.folder` (api/uploads.receive).
Receive = Callable[[Upload], Awaitable[Received]]


class Intake:
    def __init__(
        self,
        settings: Settings,
        jobs: JobService,
        files: JobFiles,
        disk: DiskGuard,
        quotas: Quotas,
        releases: Releases,
    ) -> None:
        self._settings, self._jobs, self._files = settings, jobs, files
        self._disk, self._quotas, self._releases = disk, quotas, releases

    async def submit(self, request: UploadRequest, receive: Receive) -> Job:
        """Admit, receive, check and queue one upload; the job as queued, or as it is when
        it ended or `request.wait_s` (capped by the settings) ran out. The job's folder
        goes again when anything fails before the job is queued."""
        spec, release = self._releases.route(request.spec, request.user, request.client)
        if release is not None:
            request = dataclasses.replace(request, spec=spec)
        waiting = await self._admit(request)
        upload = Upload(request, self._files.create(), waiting, self._disk)
        upload.release = release
        try:
            received = await receive(upload)
            await self._check(upload, received)
            return await self._queue(upload)
        except BaseException as exc:
            if upload.queued:  # a waiting caller went away: the job is the queue's now
                raise
            await self._files.purge(upload.job_id)
            if isinstance(exc, Exception) and out_of_space(exc):  # a folder, a file, the record
                raise InsufficientStorage() from exc
            raise

    async def _admit(self, request: UploadRequest) -> str:
        """Refuse early what would be refused late; the message a job accepted now shows
        while it waits."""
        if self._settings.require_login and request.user is None:
            raise NotAuthenticated("log in to use the models on this server")
        await self._quotas.admit(request.user, request.client, request.declared_bytes)
        try:
            return self._jobs.admit(request.spec)
        except ModelUnavailableError as exc:
            raise Unavailable(
                f"The model '{exc.model}' is {exc.status}: {exc.reason or 'try again later'}.",
                retry_after_s=exc.retry_after_s,
            ) from None
        except QueueFullError as exc:
            raise busy(exc) from None

    async def _check(self, upload: Upload, received: Received) -> None:
        """Each file sniffed and proved whole (a JPEG or PNG by its structure, other
        kinds by decoding), then renamed to its stored name; the parameters against the
        model's bounds. Timed as `receive` and `checks`."""
        checked = upload.lap("receive", upload.opened)
        if not received.files:
            raise Invalid("attach a file in the form field 'file'")
        for index, part in enumerate(received.files):
            if part.size == 0:
                raise Invalid(f"'{part.name}' is empty")
            try:
                found = await check_upload(part.path, upload.spec.kinds, part.size)
            except MediaError as exc:
                raise UnsupportedMedia(f"'{part.name}': {exc}") from None
            stored = f"input-{index}{found.extension}"
            part.path.rename(upload.folder / stored)
            upload.inputs.append(
                InputFile(
                    name=part.name,
                    stored=stored,
                    size=part.size,
                    sha256=part.sha256,
                    media_type=found.media_type,
                    kind=found.kind,
                )
            )
        try:
            upload.params = parse_params(upload.spec.params, received.fields)
        except ParamError as exc:
            raise Invalid(str(exc)) from None
        upload.lap("checks", checked)

    async def _queue(self, upload: Upload) -> Job:
        if self._files.shared:  # into object storage, for the node that runs it
            published = time.perf_counter()
            try:
                await self._files.publish_inputs(upload.job_id)
            except ObjectStoreError as exc:
                log.warning("job %s: inputs not stored: %s", upload.job_id, exc)
                raise Unavailable(NO_FILE_STORAGE, retry_after_s=30) from None
            upload.lap("publish", published)
        request = upload.request
        job = Job(
            id=upload.job_id,
            model=upload.spec.name,
            model_version=upload.spec.version,
            model_version_number=upload.spec.version_number,
            user_id=request.user.id if request.user else None,
            user_email=request.user.email if request.user else None,
            owner=request.owner,
            inputs=upload.inputs,
            params=upload.params,
            result_kind=upload.spec.result_kind_for([f.kind for f in upload.inputs if f.kind]),
            message=upload.waiting,
            timings=Timings(stages=upload.stages),
            release=upload.release,
        )
        wait_s = min(request.wait_s, self._settings.max_wait_s)
        async with self._jobs.following(job.id, wait_s) as follow:
            try:
                queued = await self._jobs.submit(job, upload.spec)
            except QueueFullError as exc:
                raise busy(exc) from None
            upload.queued = True
            self._quotas.charge(request.user, request.client, queued.id, upload.size)
            self._releases.shadow(queued)
            return await follow.until_end(queued)


def busy(exc: QueueFullError) -> Unavailable:
    text = "The server is busy: too many files are waiting for this model."
    return Unavailable(
        f"{exc.reason or text} Try again in about {exc.retry_after_s} seconds.",
        retry_after_s=exc.retry_after_s,
    )
