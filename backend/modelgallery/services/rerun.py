"""A past or live job's inputs run again on another version, in a background lane: the
shadow copy of a live prediction and each input of a replay. The new job gets folders of its
own (the inputs hard-linked where the file system allows, else copied), belongs to no one
and is never shown to users; it names the release or replay that sent it and the job it
copies, so that the two results can be compared."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from ..catalog.registry import version_spec
from ..core.settings import Settings
from ..files.storage import JobFiles, ObjectStoreError
from ..jobs.lifecycle.executor import QueueFullError
from ..jobs.lifecycle.service import JobService
from ..media.sniff import kind_of
from ..store.base import Store
from ..store.records import Job, JobLane, Timings, User
from ..vision.params import ParamError, check_params
from ..vision.registry import ModelSpec, RegistryError

log = logging.getLogger(__name__)


class NotRerun(Exception):
    """Why a job's inputs could not run again (files gone, parameters that do not fit the
    version, the background lane full)."""


class LaneFull(NotRerun):
    """The background lane of the model's group has no room now; later it may."""


class Rerun:
    def __init__(self, settings: Settings, store: Store, jobs: JobService, files: JobFiles) -> None:
        self._settings, self._store, self._jobs, self._files = settings, store, jobs, files

    async def _chosen(self, source: Job) -> dict[str, Any]:
        """The parameters the source's sender chose: those that differ from its version's
        defaults (a job records every parameter, defaults filled in), so that a version
        whose defaults changed runs with its own. Read each time: an administrator may
        edit a version's defaults."""
        version = source.model_version
        if version is None:
            return source.params
        try:
            spec = await version_spec(self._store, source.model, version, self._settings.models_dir)
        except (LookupError, RegistryError):
            return source.params  # the version is gone: keep every value
        defaults = {k: p.default for k, p in spec.params.items()}
        return {k: v for k, v in source.params.items() if k not in defaults or defaults[k] != v}

    async def submit(
        self,
        source: Job,
        spec: ModelSpec,
        lane: JobLane,
        release: str | None = None,
        *,
        user: User | None = None,
        owner: str | None = None,
    ) -> Job:
        """Queue `source`'s inputs on `spec` (a version with its id; of its model, or of
        another model for a user's comparison) in `lane`; raises NotRerun with the reason.
        A background job belongs to no one; a live one to `user` or the `owner` token."""
        if source.files_expired_at is not None or not source.inputs:
            raise NotRerun("its input files are no longer kept")
        try:
            params = check_params(spec.params, await self._chosen(source))
        except ParamError as exc:
            raise NotRerun(
                f"its parameters do not fit version {spec.version_number}: {exc}"
            ) from None
        folder = self._files.create()
        try:
            for item in source.inputs:
                original = await self._files.local_file(source.id, "input", item.stored)
                await asyncio.to_thread(_link_or_copy, original, folder.inputs / item.stored)
            if self._files.shared:
                await self._files.publish_inputs(folder.job_id)
            job = Job(
                id=folder.job_id,
                model=spec.name,
                model_version=spec.version,
                model_version_number=spec.version_number,
                lane=lane,
                release=release,
                source_job=source.id,
                inputs=source.inputs,
                params=params,
                result_kind=spec.result_kind_for([kind_of(i.media_type) for i in source.inputs]),
                user_id=user.id if user else None,
                user_email=user.email if user else None,
                owner=owner,
                message=f"waiting behind live jobs ({lane})" if lane.background else "waiting",
                timings=Timings(),
            )
            return await self._jobs.submit(job, spec)
        except (FileNotFoundError, ObjectStoreError) as exc:
            await self._files.purge(folder.job_id)
            raise NotRerun(f"its input files could not be read: {exc}") from None
        except QueueFullError:
            await self._files.purge(folder.job_id)
            raise LaneFull("the background lane is full") from None
        except BaseException:
            await self._files.purge(folder.job_id)
            raise


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links not allowed
        shutil.copyfile(source, target)
