"""A user's comparison: one upload through two models or two versions. The prediction they
made runs again on another model (its live version) or on another validated version of the
same model, as a prediction of theirs (counted against their quotas like an upload); the
two results then agree or not by the same measures as a release (`services/comparison`)."""

from __future__ import annotations

from ..catalog.registry import version_spec
from ..core.settings import Settings
from ..jobs.lifecycle.executor import Executor
from ..jobs.lifecycle.service import JobService, ModelUnavailableError
from ..media.sniff import kind_of
from ..releases.agreement import Agreement
from ..releases.figures import NotComparable
from ..store.base import Store
from ..store.model_records import ModelVersion, VersionState
from ..store.records import Job, JobLane, JobStatus, User
from ..vision.registry import ModelSpec, Registry, RegistryError
from .comparison import Comparison
from .errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from .owners import digest, may_change
from .predictions import PredictionService
from .quotas import Quotas
from .rerun import NotRerun, Rerun

_RUNNABLE = (VersionState.ready, VersionState.live, VersionState.retired)


class SecondOpinion:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        registry: Registry,
        predictions: PredictionService,
        jobs: JobService,
        executor: Executor,
        quotas: Quotas,
        rerun: Rerun,
        comparison: Comparison,
    ) -> None:
        self._settings, self._store, self._registry = settings, store, registry
        self._predictions, self._jobs, self._quotas = predictions, jobs, quotas
        self._executor = executor
        self._rerun, self._comparison = rerun, comparison

    async def run_again(
        self,
        job_id: str,
        user: User | None,
        owner: str | None,
        client: str,
        model: str,
        version: str | None,
    ) -> Job:
        """`job_id`'s inputs on `model` (its live version, or `version`, an id)."""
        source = await self._predictions.visible(job_id, user)
        if not may_change(source, user, owner):
            raise Forbidden("only the person who made a prediction can compare it")
        if source.status is not JobStatus.succeeded:
            raise Conflict("compare a prediction once it has succeeded")
        spec = await self._target(model, version)
        if (spec.name, spec.version) == (source.model, source.model_version):
            raise Invalid("choose another model or version than the one that made it")
        kinds = [kind_of(item.media_type) for item in source.inputs]
        if not all(kind in spec.kinds for kind in kinds):
            raise Invalid(f"'{spec.title}' does not take this kind of file")
        await self._quotas.admit(user, client, sum(i.size for i in source.inputs))
        try:
            self._jobs.admit(spec)
        except ModelUnavailableError as exc:
            raise Unavailable(f"'{spec.title}' is {exc.status}: try again later") from None
        try:
            job = await self._rerun.submit(
                source,
                spec,
                JobLane.live,
                user=user,
                owner=None if user else digest(owner) if owner else None,
            )
        except NotRerun as exc:
            raise Conflict(f"this prediction cannot run again: {exc}") from None
        self._quotas.charge(user, client, job.id, sum(i.size for i in source.inputs))
        return job

    async def agreement(self, job_id: str, other_id: str, user: User | None) -> Agreement:
        first = await self._predictions.visible(job_id, user)
        second = await self._predictions.visible(other_id, user)
        if second.source_job != first.id and first.source_job != second.id:
            raise Invalid("these two predictions are not of the same upload")
        if first.status is not JobStatus.succeeded or second.status is not JobStatus.succeeded:
            raise Conflict("both predictions must have succeeded to be compared")
        baseline, candidate = (first, second) if second.source_job == first.id else (second, first)
        try:
            return await self._comparison.of_jobs(baseline, candidate)
        except NotComparable as exc:
            raise Invalid(str(exc)) from None

    async def versions(self, model: str) -> list[ModelVersion]:
        """The versions of an enabled model a prediction can run again on, newest first."""
        live = self._registry.models.get(model)
        if live is None or not live.enabled:
            raise NotFound(f"there is no model named '{model}'")
        versions = await self._store.versions.of_model(model)
        return [v for v in reversed(versions) if v.state in _RUNNABLE]

    async def _target(self, model: str, version: str | None) -> ModelSpec:
        live = self._registry.models.get(model)
        if live is None or not live.enabled:
            raise NotFound(f"there is no model named '{model}'")
        if version is None or version == live.version:
            return live
        stored = await self._store.versions.get(version)
        if stored is None or stored.model != model or stored.state not in _RUNNABLE:
            raise NotFound(f"model '{model}' has no version '{version}' that can run")
        try:
            spec = await version_spec(self._store, model, version, self._settings.models_dir)
        except (LookupError, RegistryError) as exc:
            raise Conflict(f"that version cannot run here: {exc}") from None
        self._executor.add_version(spec)
        return spec
