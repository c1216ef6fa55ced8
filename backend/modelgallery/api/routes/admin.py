"""Administrators only: the router-level dependency refuses everyone else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from ...store.records import ContactMessage, JobLane, JobQuery, JobSort, JobStatus, Page
from ..deps import Accounts, Admin, AdminUser, Status, require_admin
from ..errors import ApiError
from ..query import Moment, Offset
from ..schemas import (
    AdminModelsOut,
    AdminResetOut,
    AuditEntryPublic,
    JobListOut,
    JobPublic,
    MessageRetryOut,
    ModelActionOut,
    ModelPublic,
    NodeOut,
    RegistryReloadOut,
    StatsOut,
    StorageSpace,
    SweepOut,
    UserPublic,
    UserUpdateIn,
    WorkerOut,
    errors,
)
from ..sessions import LinkOrigin

router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=errors(400, 401, 403, 404, 409, 422),
)


def _utc(value: datetime | None) -> datetime | None:
    """A time given without a zone is UTC, as the stores take it (and comparable with one
    given with a zone)."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/predictions", response_model=JobListOut)
async def all_predictions(
    admin: Admin,
    model: str | None = None,
    user: Annotated[str | None, Query(description="part of the user's e-mail")] = None,
    status: JobStatus | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    name: Annotated[str | None, Query(description="part of the uploaded file's name")] = None,
    version: Annotated[str | None, Query(description="the model version's id")] = None,
    lane: JobLane = JobLane.live,
    release: Annotated[
        str | None, Query(description="the release or replay that sent them")
    ] = None,
    sort: JobSort = JobSort.created,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JobListOut:
    """Every prediction, filtered, sorted and paginated."""
    page = await admin.predictions(
        JobQuery(
            model=model,
            user=user,
            status=status,
            since=_utc(since),
            until=_utc(until),
            name=name,
            version=version,
            lane=lane,
            release=release,
            sort=sort,
            descending=order == "desc",
            offset=offset,
            limit=limit,
        )
    )
    return JobListOut(data=[JobPublic.of(j, admin=True) for j in page.data], count=page.count)


@router.get("/predictions/{job_id}", response_model=JobPublic)
async def one_prediction(job_id: str, admin: Admin) -> JobPublic:
    return JobPublic.of(await admin.prediction(job_id), admin=True)


@router.delete("/predictions/{job_id}", status_code=204, responses=errors(507))
async def delete_prediction(job_id: str, admin: Admin, actor: AdminUser) -> Response:
    await admin.delete_prediction(actor, job_id)
    return Response(status_code=204)


@router.post("/predictions/{job_id}/pin", response_model=JobPublic, responses=errors(507))
async def pin_prediction(job_id: str, admin: Admin, actor: AdminUser) -> JobPublic:
    """Keep this prediction's files past the retention period."""
    return JobPublic.of(await admin.pin(actor, job_id, True), admin=True)


@router.post("/predictions/{job_id}/unpin", response_model=JobPublic, responses=errors(507))
async def unpin_prediction(job_id: str, admin: Admin, actor: AdminUser) -> JobPublic:
    """Let the retention period apply to this prediction again."""
    return JobPublic.of(await admin.pin(actor, job_id, False), admin=True)


@router.post("/predictions/{job_id}/purge", response_model=JobPublic, responses=errors(507))
async def purge_prediction_files(job_id: str, admin: Admin, actor: AdminUser) -> JobPublic:
    """Delete an ended prediction's input and output files now; the record stays, marked
    expired (downloads answer 410). 409 while it is still queued or running."""
    return JobPublic.of(await admin.purge_files(actor, job_id), admin=True)


@router.post("/retention/sweep", response_model=SweepOut, responses=errors(507))
async def retention_sweep(
    admin: Admin,
    actor: AdminUser,
    as_of: Annotated[
        Moment | None,
        Query(description="Apply the retention periods as if it were this time (default: now)"),
    ] = None,
) -> SweepOut:
    """Delete the files of every prediction past its retention period now, instead of
    waiting for the hourly sweep. Answers how many predictions' files were deleted."""
    return SweepOut(expired=await admin.sweep(actor, _utc(as_of)))


@router.get("/stats", response_model=StatsOut)
async def stats(
    admin: Admin, status: Status, since: Moment | None = None, until: Moment | None = None
) -> StatsOut:
    """Counts per model and day, latency percentiles (ms) and failures; `storage`: the data
    folder's free space now, against the reserve below which uploads are refused;
    `storage_per_model`: the bytes each model's kept files take (all time)."""
    counts = await admin.stats(since, until)
    return StatsOut.model_validate({**counts, "storage": StorageSpace.of(status.storage())})


@router.get("/models", response_model=AdminModelsOut)
async def models(admin: Admin) -> AdminModelsOut:
    """Every model in the registry (also disabled ones), the worker processes and the
    queues."""
    return AdminModelsOut(
        models=[ModelPublic.of(view) for view in admin.models()],
        workers=[WorkerOut.of(w) for w in admin.workers()],
        queues=admin.queue_depths(),
    )


@router.get("/nodes", response_model=list[NodeOut])
async def nodes(admin: Admin) -> list[NodeOut]:
    """The machines that run jobs (worker nodes, or this server's own worker processes):
    host, groups, processes, and each model's state there with its load time and runtime."""
    return [NodeOut.of(node) for node in admin.nodes()]


@router.post("/models/reload", response_model=RegistryReloadOut, responses=errors(507))
async def reload_registry(admin: Admin, actor: AdminUser) -> RegistryReloadOut:
    """Re-read models.toml; workers whose models changed restart after their current job."""
    return RegistryReloadOut(models=await admin.reload(actor, None))


@router.post(
    "/models/{name}/{action}",
    status_code=202,
    response_model=ModelActionOut,
    responses=errors(507),
)
async def model_action(name: str, action: str, admin: Admin, actor: AdminUser) -> ModelActionOut:
    """`load`, `unload` or `reload` one model."""
    if action == "reload":
        await admin.reload(actor, name)
    elif action in ("load", "unload"):
        await admin.set_loaded(actor, name, action == "load")
    else:
        raise ApiError(404, "the action must be load, unload or reload")
    state = admin.model_state(name)
    return ModelActionOut(model=name, state=state.status if state else "unavailable")


@router.get("/messages", response_model=Page[ContactMessage])
async def messages(
    admin: Admin,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ContactMessage]:
    """Contact messages with their delivery state."""
    return await admin.messages(offset, limit)


@router.post(
    "/messages/{message_id}/retry",
    status_code=202,
    response_model=MessageRetryOut,
    responses=errors(507),
)
async def retry_message(message_id: str, admin: Admin, actor: AdminUser) -> MessageRetryOut:
    await admin.retry_message(actor, message_id)
    return MessageRetryOut(id=message_id, status="retry scheduled")


@router.get("/audit", response_model=Page[AuditEntryPublic])
async def audit(
    admin: Admin,
    action: str | None = None,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditEntryPublic]:
    """The audit log, newest first, each target named as a person knows it."""
    page = await admin.audit_log(action, offset, limit)
    entries = [AuditEntryPublic.of(e, await admin.audit_target(e)) for e in page.data]
    return Page[AuditEntryPublic](data=entries, count=page.count)


@router.get("/users", response_model=Page[UserPublic])
async def users(
    admin: Admin,
    offset: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    email: Annotated[
        str | None, Query(max_length=254, description="Only addresses containing this, any case")
    ] = None,
) -> Page[UserPublic]:
    """Accounts, newest first."""
    page = await admin.users(offset, limit, email)
    return Page[UserPublic](data=[UserPublic.of(u) for u in page.data], count=page.count)


@router.patch("/users/{user_id}", response_model=UserPublic, responses=errors(507))
async def update_user(
    user_id: str, body: UserUpdateIn, admin: Admin, actor: AdminUser
) -> UserPublic:
    """Change a user's role or disable the account."""
    return UserPublic.of(await admin.update_user(actor, user_id, body.role, body.disabled))


@router.post("/users/{user_id}/password-reset", response_model=AdminResetOut, responses=errors(507))
async def send_password_reset(
    user_id: str, accounts: Accounts, actor: AdminUser, origin: LinkOrigin
) -> AdminResetOut:
    """Mail the user a link to set a new password (it works once, for
    PASSWORD_RESET_MINUTES). Without a mail server, or when the mail fails, the link is in
    the answer, for the administrator to pass on. Audited."""
    reset = await accounts.admin_password_reset(actor, user_id, origin)
    if reset.mailed:
        detail = "A link to set a new password was mailed to the user."
    elif reset.error:
        detail = f"The mail could not be sent ({reset.error}); pass this link on yourself."
    else:
        detail = "This server sends no mail: pass this link on to the user yourself."
    return AdminResetOut(
        mailed=reset.mailed, expires_at=reset.expires_at, link=reset.link, detail=detail
    )
