from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from ...services import owners
from ...services.intake import Intake, UploadRequest
from ...store.records import Job, Role, User
from ...vision.registry import ModelSpec
from ..deps import (
    AppSettings,
    CurrentUser,
    OptionalUser,
    Owner,
    Predictions,
    Uploads,
    client_address,
    owner_token,
)
from ..downloads import send_file
from ..middleware import add_server_timing
from ..query import Offset
from ..schemas import DeletedOut, JobListOut, JobPublic, errors, json_errors
from ..uploads import receive

router = APIRouter(prefix="/api", tags=["predictions"], responses=errors(400, 401, 404, 422))

UPLOAD_BODY: dict[str, Any] = {
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
_OWNER_COOKIE_S = 365 * 24 * 3600
Wait = Annotated[
    float,
    Query(ge=0, le=3600, description="Seconds to wait for the result before answering."),
]


async def submit_upload(
    request: Request,
    response: Response,
    intake: Intake,
    spec: ModelSpec,
    user: User | None,
    wait_s: float,
    secure_cookies: bool,
) -> tuple[Job, str | None]:
    """Stream the request's files into a new job of `spec`'s model, queue it and wait up
    to `wait_s` for its end (every route that takes an upload goes through here). With
    the job, an anonymous visitor's owner token, handed to them in a cookie and a header."""
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else None
    token = None
    if user is None:
        token = owner_token(request) or owners.new_token()
    owner = owners.digest(token) if token else None
    upload = UploadRequest(spec, user, client_address(request), size, wait_s, owner)
    job = await intake.submit(upload, functools.partial(receive, request))
    if token is not None:
        response.set_cookie(
            owners.OWNER_COOKIE,
            token,
            max_age=_OWNER_COOKIE_S,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
            path="/api",
        )
        response.headers[owners.OWNER_HEADER] = token
    return job, token


def public(job: Job, user: User | None, owner: str | None) -> JobPublic:
    return JobPublic.of(
        job,
        admin=user is not None and user.role == Role.admin,
        yours=owners.may_change(job, user, owner),
    )


@router.post(
    "/models/{name}/predictions",
    status_code=202,
    response_model=JobPublic,
    openapi_extra=UPLOAD_BODY,
    responses={
        200: {"description": "Finished within `wait`"},
        202: {"description": "Queued"},
        **errors(413, 415, 429, 503, 507),
    },
)
async def create_prediction(
    name: str,
    request: Request,
    response: Response,
    predictions: Predictions,
    intake: Uploads,
    user: OptionalUser,
    settings: AppSettings,
    wait: Wait = 0,
) -> JobPublic:
    """Upload a file to a model. Answers at once with the queued job, or with the result
    when it is ready within `wait` seconds."""
    spec = predictions.model(name)
    secure = settings.secure_cookies
    job, owner = await submit_upload(request, response, intake, spec, user, wait, secure)
    add_server_timing(request, job.timings.stages)
    response.status_code = 200 if job.status.terminal else 202
    response.headers["Location"] = f"/api/predictions/{job.id}"
    return public(job, user, owner)


@router.get("/predictions", response_model=JobListOut)
async def my_predictions(
    predictions: Predictions,
    user: CurrentUser,
    mine: bool = True,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobListOut:
    """The signed-in user's own predictions, newest first (administrators: see
    /api/admin/predictions for everyone's)."""
    page = await predictions.mine(user, offset, limit)
    return JobListOut(data=[public(j, user, None) for j in page.data], count=page.count)


@router.delete("/predictions", response_model=DeletedOut, responses=errors(507))
async def delete_my_predictions(predictions: Predictions, user: CurrentUser) -> DeletedOut:
    """Delete the signed-in user's whole history: every prediction of theirs with its files,
    stopping those still queued or running. Answers how many were deleted."""
    return DeletedOut(deleted=await predictions.delete_mine(user))


@router.get("/predictions/{job_id}", response_model=JobPublic)
async def get_prediction(
    job_id: str, predictions: Predictions, user: OptionalUser, owner: Owner
) -> JobPublic:
    """A prediction: anyone with its link may view an anonymous visitor's; `yours` says
    whether this caller may also cancel and delete it."""
    return public(await predictions.visible(job_id, user), user, owner)


async def _followable_job(job_id: str, predictions: Predictions, user: OptionalUser) -> Job:
    return await predictions.followable(job_id, user)


@router.get(
    "/predictions/{job_id}/events",
    response_class=EventSourceResponse,
    responses=json_errors(401, 404, 422, 503),
)
async def prediction_events(
    job: Annotated[Job, Depends(_followable_job)],
    predictions: Predictions,
    user: OptionalUser,
    owner: Owner,
) -> AsyncIterator[ServerSentEvent]:
    """Server-sent events: the job's state now, then on every change until it ends. An
    unknown job is refused (404), and one whose changes cannot reach this server now (503),
    before the stream starts."""
    async for state in predictions.follow(job):
        yield ServerSentEvent(event="job", data=public(state, user, owner).model_dump(mode="json"))


@router.post("/predictions/{job_id}/cancel", response_model=JobPublic, responses=errors(403, 507))
async def cancel_prediction(
    job_id: str, predictions: Predictions, user: OptionalUser, owner: Owner
) -> JobPublic:
    """Stop a queued or running prediction: its account's owner, an administrator, or for
    an anonymous one the browser that made it (its owner token, cookie or header)."""
    return public(await predictions.cancel(job_id, user, owner), user, owner)


@router.delete("/predictions/{job_id}", status_code=204, responses=errors(403, 507))
async def delete_prediction(
    job_id: str, predictions: Predictions, user: OptionalUser, owner: Owner
) -> Response:
    """Delete a prediction with its files (stopping it first if it is running); who may:
    as for cancelling."""
    await predictions.delete(job_id, user, owner)
    return Response(status_code=204)


@router.get(
    "/predictions/{job_id}/files/{file_name}",
    response_class=Response,
    responses=errors(410, 503, 507),
)
async def download_file(
    job_id: str,
    file_name: str,
    predictions: Predictions,
    user: OptionalUser,
    download: bool = False,
) -> Response:
    """A file the model wrote. `download=true` asks the browser to save it. A video's
    annotated WebM is drawn after its job: asked for while it is still being drawn, the
    answer is 503 with `Retry-After`."""
    job = await predictions.visible(job_id, user)
    return send_file(await predictions.output(job, file_name), download)


@router.get("/predictions/{job_id}/inputs/{stored}", response_class=Response, responses=errors(410))
async def download_input(
    job_id: str, stored: str, predictions: Predictions, user: OptionalUser, download: bool = False
) -> Response:
    """A file as it was uploaded (the viewers show results over it)."""
    job = await predictions.visible(job_id, user)
    return send_file(await predictions.input(job, stored), download)
