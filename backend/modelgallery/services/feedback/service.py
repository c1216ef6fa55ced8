"""Feedback into training: a user flags a finished result of theirs as wrong, with a note and
optionally the right answer; administrators list the flags, set their state, and export a
model's flagged set as a dataset (`export.py`). Exports and state changes are audited."""

from __future__ import annotations

from dataclasses import dataclass

from ...core.settings import Settings
from ...files.storage import JobFiles
from ...jobs.lifecycle.retention import Retention
from ...store.base import Store
from ...store.feedback_records import Correction, Flag, FlagQuery, FlagState
from ...store.records import Job, JobLane, JobStatus, Page, User, utcnow
from .. import audit
from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..models import ModelCatalog
from ..owners import may_change
from ..predictions import PredictionService
from .corrections import check, picture_for
from .export import Exporter, ExportFile
from .formats import ExportFormat, ExportRequest
from .results import item_kind, model_classes, pictures

MAX_FLAGS_PER_JOB = 20
_GONE = "no such prediction (it may have been deleted)"
_NOT_YOURS = (
    "Only the browser that made this prediction, or its owner's account, can report it as "
    "wrong; its link lets others view it."
)


@dataclass(frozen=True)
class Report:
    """What a user says of a result: a note, and optionally which file of a batch and the
    right answer."""

    note: str = ""
    file: int | None = None
    correction: Correction | None = None


class FeedbackService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        predictions: PredictionService,
        catalog: ModelCatalog,
        files: JobFiles,
        retention: Retention,
    ) -> None:
        self.store = store
        self.predictions = predictions
        self.catalog = catalog
        self.exporter = Exporter(
            store.flags, store.jobs, files, settings.data_dir / "exports", retention.expired_message
        )

    # --- users ---------------------------------------------------------------------------

    async def flag(self, job_id: str, user: User | None, owner: str | None, report: Report) -> Flag:
        """Record that this caller thinks the result of their prediction is wrong. 404 for a
        prediction they cannot see, 403 for one they may only view, 409 until it succeeded,
        422 for a correction that does not fit the result."""
        job = await self.predictions.visible(job_id, user)
        if job.lane is not JobLane.live:
            raise NotFound(_GONE)
        if not may_change(job, user, owner):
            raise Forbidden(_NOT_YOURS)
        if job.status is not JobStatus.succeeded:
            state = "has failed" if job.status is JobStatus.failed else f"is {job.status.value}"
            raise Conflict(
                f"Only a finished result can be reported as wrong: this prediction {state}."
            )
        kind = item_kind(job, self._declared(job))
        batch = job.result_kind == "batch"
        picture = picture_for(pictures(job), report.file, batch)
        correction = report.correction
        if correction is not None and correction.empty:
            correction = None
        if correction is not None:
            check(correction, kind, picture, self._classes(job), batch)
        earlier = await self.store.flags.query(FlagQuery(job_id=job.id, limit=1))
        if earlier.count >= MAX_FLAGS_PER_JOB:
            raise Conflict(
                f"This prediction has been reported {earlier.count} times already; an "
                "administrator will look at it."
            )
        flag = Flag(
            job_id=job.id,
            model=job.model,
            model_version=job.model_version,
            model_version_number=job.model_version_number,
            result_kind=job.result_kind or "generic",
            item_kind=kind,
            file=report.file if batch else None,
            user_id=user.id if user else None,
            user_email=user.email if user else None,
            owner=job.owner if user is None else None,
            note=report.note.strip(),
            correction=correction,
        )
        return await self.store.flags.create(flag)

    def _declared(self, job: Job) -> str | None:
        spec = self.catalog.spec(job.model)
        return spec.result_kinds.get("image") if spec is not None else None

    def _classes(self, job: Job) -> list[str] | None:
        """What the job's model could answer: as its result recorded it, else as the loaded
        model says (a classifier with many labels leaves them out of each result)."""
        recorded = model_classes(job)
        if recorded is not None:
            return recorded
        state = self.catalog.state(job.model)
        return list(state.classes) if state is not None and state.classes else None

    # --- administrators ------------------------------------------------------------------

    async def page(
        self,
        model: str | None,
        version: int | None,
        state: FlagState | None,
        offset: int,
        limit: int,
    ) -> Page[Flag]:
        version_id = await self._version_id(model, version)
        query = FlagQuery(model=model, version=version_id, state=state, offset=offset, limit=limit)
        return await self.store.flags.query(query)

    async def jobs_of(self, flags: list[Flag]) -> dict[str, Job | None]:
        """The flagged jobs by id (None: deleted since)."""
        found: dict[str, Job | None] = {}
        for flag in flags:
            if flag.job_id not in found:
                found[flag.job_id] = await self.store.jobs.get(flag.job_id)
        return found

    async def flagged(self, job_id: str) -> tuple[Job | None, list[Flag]]:
        """A flagged job (None when deleted since) with its flags, newest first."""
        flags = await self.store.flags.query(FlagQuery(job_id=job_id, limit=MAX_FLAGS_PER_JOB))
        job = await self.store.jobs.get(job_id) if len(job_id) == 32 else None
        if job is None and not flags.data:
            raise NotFound("no flagged prediction with this id")
        return job, flags.data

    async def set_state(self, actor: User, flag_id: str, state: FlagState) -> Flag:
        changed = await self.store.flags.update(
            flag_id, {"state": state, "changed_at": utcnow(), "changed_by": actor.email}
        )
        if changed is None:
            raise NotFound("no such flag")
        await audit.record(
            self.store.audit, actor, "feedback.state", flag_id, job=changed.job_id, state=state
        )
        return changed

    async def export(
        self,
        actor: User,
        model: str,
        fmt: ExportFormat,
        version: int | None,
        state: FlagState | None,
    ) -> ExportFile:
        """The flagged results of `model` as a ZIP dataset in the layout `fmt`."""
        version_id = await self._version_id(model, version)
        request = ExportRequest(model, fmt, version_id, state)
        exported = await self.exporter.export(request)
        await audit.record(
            self.store.audit,
            actor,
            "feedback.export",
            model,
            format=fmt,
            version=version,
            state=state.value if state else None,
            exported=exported.exported,
            skipped=exported.skipped,
        )
        return exported

    async def _version_id(self, model: str | None, number: int | None) -> str | None:
        if number is None:
            return None
        if model is None:
            raise Invalid("A version is a model's: give `model` with `version`.")
        versions = await self.store.versions.of_model(model)
        found = next((v for v in versions if v.number == number), None)
        if found is None:
            raise NotFound(f"Model '{model}' has no version {number}.")
        return found.id
