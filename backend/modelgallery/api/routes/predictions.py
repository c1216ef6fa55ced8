from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ...files.storage import UnsafePathError
from ...store.records import Job, JobQuery, Role, User
from ..deps import Ctx, CurrentUser, OptionalUser
from ..downloads import file_response
from ..errors import ApiError
from ..schemas import JobListOut, JobPublic, errors
from ..submission import accept

router = APIRouter(prefix="/api", tags=["predictions"], responses=errors(401, 404, 422))

UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                    },
                    "additionalProperties": {"type": "string"},
                    "description": "The file, plus the model's parameters as form fields.",
                }
            }
        },
    }
}
Wait = Annotated[
    float,
    Query(ge=0, le=3600, description="Seconds to wait for the result before answering."),
]


async def visible_job(ctx, job_id: str, user: User | None) -> Job:
    """The job if this caller may see it. Anonymous jobs are reachable by their unguessable
    id; a signed-in user's jobs only by that user and administrators."""
    job = await ctx.store.jobs.get(job_id) if len(job_id) == 32 else None
    if job is None or (
        job.user_id is not None
        and (user is None or (user.id != job.user_id and user.role != Role.admin))
    ):
        raise ApiError(404, "no such prediction (it may have been deleted)")
    return job


def _public(job: Job, user: User | None) -> JobPublic:
    return JobPublic.of(job, admin=user is not None and user.role == Role.admin)


@router.post(
    "/models/{name}/predictions",
    status_code=202,
    response_model=JobPublic,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"description": "Finished within `wait`"},
        202: {"description": "Queued"},
        **errors(413, 415, 503),
    },
)
async def create_prediction(
    name: str, request: Request, response: Response, ctx: Ctx, user: OptionalUser, wait: Wait = 0
) -> JobPublic:
    """Upload a file to a model. Answers at once with the queued job, or with the result
    when it is ready within `wait` seconds."""
    spec = ctx.jobs.spec(name)
    if spec is None or not spec.enabled:
        raise ApiError(404, f"there is no model named '{name}'")
    job = await accept(request, ctx, spec, user, wait)
    response.status_code = 200 if job.status.terminal else 202
    response.headers["Location"] = f"/api/predictions/{job.id}"
    return _public(job, user)


@router.get("/predictions", response_model=JobListOut)
async def my_predictions(
    ctx: Ctx,
    user: CurrentUser,
    mine: bool = True,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobListOut:
    """The signed-in user's own predictions, newest first (administrators: see
    /api/admin/predictions for everyone's)."""
    page = await ctx.store.jobs.query(JobQuery(user_id=user.id, offset=offset, limit=limit))
    return JobListOut(data=[_public(j, user) for j in page.data], count=page.count)


@router.get("/predictions/{job_id}", response_model=JobPublic)
async def get_prediction(job_id: str, ctx: Ctx, user: OptionalUser) -> JobPublic:
    return _public(await visible_job(ctx, job_id, user), user)


@router.get("/predictions/{job_id}/events", response_class=EventSourceResponse)
async def prediction_events(
    job_id: str, ctx: Ctx, user: OptionalUser
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: the job's state now, then on every change until it ends."""
    job = await visible_job(ctx, job_id, user)
    with ctx.jobs.bus.subscribe(job_id) as mailbox:
        job = await ctx.store.jobs.get(job_id) or job
        while True:
            yield ServerSentEvent(event="job", data=_public(job, user).model_dump(mode="json"))
            if job.status.terminal:
                return
            job = await mailbox.get()


@router.post("/predictions/{job_id}/cancel", response_model=JobPublic)
async def cancel_prediction(job_id: str, ctx: Ctx, user: OptionalUser) -> JobPublic:
    await visible_job(ctx, job_id, user)
    job = await ctx.jobs.cancel(job_id)
    if job is None:
        raise ApiError(404, "no such prediction (it may have been deleted)")
    return _public(job, user)


@router.delete("/predictions/{job_id}", status_code=204)
async def delete_prediction(job_id: str, ctx: Ctx, user: OptionalUser) -> Response:
    """Delete a prediction with its files (stopping it first if it is running)."""
    await visible_job(ctx, job_id, user)
    await ctx.jobs.delete(job_id)
    return Response(status_code=204)


@router.get("/predictions/{job_id}/files/{file_name}", response_class=Response)
async def download_file(
    job_id: str, file_name: str, ctx: Ctx, user: OptionalUser, download: bool = False
) -> Response:
    """A file the model wrote. `download=true` asks the browser to save it."""
    job = await visible_job(ctx, job_id, user)
    artifact = next((a for a in job.artifacts if a.name == file_name), None)
    if artifact is None:
        raise ApiError(404, f"this prediction has no file named '{file_name}'")
    try:
        path = ctx.jobs.files.output_path(job.id, artifact.name)
    except UnsafePathError:
        raise ApiError(404, f"this prediction has no file named '{file_name}'") from None
    return file_response(path, artifact.media_type, f"{job.model}-{artifact.name}", download)


@router.get("/predictions/{job_id}/inputs/{stored}", response_class=Response)
async def download_input(
    job_id: str, stored: str, ctx: Ctx, user: OptionalUser, download: bool = False
) -> Response:
    """A file as it was uploaded (the viewers show results over it)."""
    job = await visible_job(ctx, job_id, user)
    item = next((f for f in job.inputs if f.stored == stored), None)
    if item is None:
        raise ApiError(404, f"this prediction has no input named '{stored}'")
    path = ctx.jobs.files.input_path(job.id, item.stored)
    return file_response(path, item.media_type, item.name, download)
