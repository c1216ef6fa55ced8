"""Feedback: a user reports a result of theirs as wrong; administrators list the reports,
set their state and export a model's flagged set as a dataset."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from ...services.feedback import ExportFormat, Report
from ...store.feedback_records import FlagState
from ...store.records import Role
from ..deps import AdminUser, Feedback, OptionalUser, Owner, require_admin
from ..query import Offset
from ..schemas import JobPublic, errors
from ..schemas.feedback import (
    FeedbackIn,
    FlaggedJobBrief,
    FlaggedJobOut,
    FlagListItem,
    FlagListOut,
    FlagOut,
    FlagStateIn,
)

_users = APIRouter(prefix="/api", tags=["predictions"], responses=errors(400, 401, 404, 422))
_admins = APIRouter(
    prefix="/api/admin/feedback",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=errors(400, 401, 403, 404, 422),
)
Version = Annotated[
    int | None, Query(ge=1, le=1_000_000, description="The model's version number (with model)")
]
ModelName = Annotated[str, Query(min_length=1, max_length=200)]


@_users.post(
    "/predictions/{job_id}/feedback",
    status_code=201,
    response_model=FlagOut,
    responses=errors(403, 409, 507),
)
async def report_prediction(
    job_id: str, body: FeedbackIn, feedback: Feedback, user: OptionalUser, owner: Owner
) -> FlagOut:
    """Report the result of a finished prediction of yours as wrong, with a note and
    optionally the right answer: a classification's class, or for detections and faces the
    wrong items and the right boxes. Who may: as for cancelling it (its account, an
    administrator, or the browser that made it). 409 until it has succeeded."""
    report = Report(note=body.note, file=body.file, correction=body.correction())
    flag = await feedback.flag(job_id, user, owner, report)
    return FlagOut.of(flag, admin=user is not None and user.role == Role.admin)


@_admins.get("", response_model=FlagListOut)
async def list_feedback(
    feedback: Feedback,
    model: Annotated[str | None, Query(max_length=200)] = None,
    version: Version = None,
    state: FlagState | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FlagListOut:
    """Flags on results, newest first, each with its prediction."""
    page = await feedback.page(model, version, state, offset, limit)
    jobs = await feedback.jobs_of(page.data)
    items = []
    for flag in page.data:
        job = jobs.get(flag.job_id)
        brief = FlaggedJobBrief.of(job, flag.file) if job is not None else None
        items.append(FlagListItem(**FlagOut.of(flag, admin=True).model_dump(), job=brief))
    return FlagListOut(data=items, count=page.count)


@_admins.get(
    "/export",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The dataset (ZIP)",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        **errors(507),
    },
)
async def export_feedback(
    feedback: Feedback,
    actor: AdminUser,
    model: ModelName,
    format: ExportFormat,
    version: Version = None,
    state: FlagState | Literal["all"] = FlagState.open,
) -> FileResponse:
    """A model's flagged results as a ZIP dataset: `yolo` (detections), `coco` (detections,
    faces), `folders` (classifications, one folder per class) or `volumes` (NIfTI volumes
    with their masks). Labels are the users' corrections where given, else the model's own
    result; README.txt inside says which, and lists what was left out and why. Audited."""
    chosen = None if state == "all" else FlagState(state)
    exported = await feedback.export(actor, model, format, version, chosen)
    return FileResponse(
        exported.path,
        media_type="application/zip",
        filename=exported.name,
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
        background=BackgroundTask(exported.path.unlink, missing_ok=True),
    )


@_admins.get("/jobs/{job_id}", response_model=FlaggedJobOut)
async def flagged_prediction(job_id: str, feedback: Feedback) -> FlaggedJobOut:
    """A flagged prediction with every flag on it."""
    job, flags = await feedback.flagged(job_id)
    return FlaggedJobOut(
        job=JobPublic.of(job, admin=True) if job is not None else None,
        flags=[FlagOut.of(f, admin=True) for f in flags],
    )


@_admins.patch("/{flag_id}", response_model=FlagOut, responses=errors(507))
async def set_feedback_state(
    flag_id: str, body: FlagStateIn, feedback: Feedback, actor: AdminUser
) -> FlagOut:
    """Mark a flag resolved (dealt with, e.g. trained on), dismissed (the result was right)
    or open again. Audited."""
    return FlagOut.of(await feedback.set_state(actor, flag_id, body.state), admin=True)


router = APIRouter()
router.include_router(_users)
router.include_router(_admins)
