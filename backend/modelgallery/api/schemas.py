"""Request and response bodies: what the API shows of the records."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, EmailStr, Field, StrictBool

from ..jobs.executor import ModelState
from ..services.admin import NodeView
from ..services.models import ModelView
from ..store.records import Artifact, Job, JobStatus, Role, Timings, User
from ..vision.model import Output, Param, ResultKind, RuntimeChoice
from ..vision.registry import ModelCard


class ErrorOut(BaseModel):
    detail: str
    code: str


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the errors a route can answer, all shaped like ErrorOut."""
    return {status: {"model": ErrorOut, "description": _ERROR_TEXT[status]} for status in statuses}


def json_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The same, for a route whose success is not JSON (an event stream): its errors are."""
    schema = {"$ref": "#/components/schemas/ErrorOut"}
    return {
        status: {
            "description": _ERROR_TEXT[status],
            "content": {"application/json": {"schema": schema}},
        }
        for status in statuses
    }


_ERROR_TEXT = {
    400: "The request's body could not be read (malformed JSON or form data)",
    401: "Not logged in, or the session has ended",
    403: "Administrators only",
    404: "Not found",
    409: "Conflict with the current state",
    410: "The prediction's files have expired (the retention period passed) or were deleted",
    413: "The upload is larger than the model accepts",
    415: "The file is not of a kind the model accepts, or is damaged",
    422: "Invalid request; `detail` names the field",
    429: "Too many attempts; see Retry-After",
    503: (
        "The model is unavailable or busy, or Redis (which API replicas share) is away; "
        "see Retry-After"
    ),
    507: "The server is out of storage space; try again later",
}


class SignupIn(BaseModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field("", max_length=100)


class LoginIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class UserPublic(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    last_login_at: datetime | None = None
    disabled: bool = False

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls.model_validate(user.model_dump(exclude={"password_hash"}))


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


class UserUpdateIn(BaseModel):
    role: Role | None = None
    disabled: StrictBool | None = None


class Batching(BaseModel):
    max_batch: int = Field(description="One-image jobs per pass of the network, at most")
    speedup: float | None = Field(
        description="Images per second in full batches over one by one, measured at load"
    )
    active: bool = Field(description="Whether jobs that wait together are batched")

    @classmethod
    def of(cls, max_batch: int, state: ModelState | None) -> Batching | None:
        if max_batch < 2:
            return None
        speedup = state.batch_speedup if state else None
        return cls(max_batch=max_batch, speedup=speedup, active=bool(state and state.batches))


class ModelPublic(BaseModel):
    name: str
    title: str
    description: str
    task: str
    kinds: list[str]
    accepts: list[str]  # media types
    max_upload_bytes: int
    max_files: int
    params: dict[str, Param]
    outputs: list[Output]
    result_kinds: dict[str, ResultKind] = Field(
        description="The kind of result a job gets, by the kind of its input (several files: "
        "as 'zip'); clients choose the viewer from it"
    )
    state: str
    reason: str | None = None
    load_ms: float | None = None
    runtime: RuntimeChoice | None = Field(
        None, description="The runtime it serves on and the per-image time of each candidate"
    )
    batching: Batching | None = Field(
        None, description="Dynamic batching of one-image jobs, for models that batch"
    )
    card: ModelCard | None = Field(
        None,
        description="The model card: source and license of the weights, training data, "
        "outputs, accuracy, intended use, known limitations",
    )
    classes: list[str] | None = Field(
        None,
        description="What the loaded model can find (a detector's classes): anything "
        "else it cannot see",
    )
    legacy_route: str | None = None

    @classmethod
    def of(cls, view: ModelView) -> ModelPublic:
        spec, state = view.spec, view.state
        return cls(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            task=spec.task,
            kinds=spec.kinds,
            accepts=view.accepts,
            max_upload_bytes=spec.max_upload_bytes,
            max_files=spec.max_files,
            params=spec.params,
            outputs=spec.outputs,
            result_kinds=spec.result_kinds,
            state=state.status if state else "unavailable",
            reason=state.reason if state else "no worker hosts this model",
            load_ms=state.load_ms if state else None,
            runtime=state.runtime if state else None,
            batching=Batching.of(spec.max_batch, state),
            card=spec.card,
            classes=state.classes if state else None,
            legacy_route=spec.legacy_route,
        )


class InputPublic(BaseModel):
    name: str
    size: int
    sha256: str
    media_type: str
    url: str


class ArtifactPublic(Artifact):
    url: str


class JobPublic(BaseModel):
    id: str
    model: str
    status: JobStatus
    progress: float
    message: str
    inputs: list[InputPublic]
    params: dict[str, Any]
    artifacts: list[ArtifactPublic]
    result_kind: ResultKind
    result: dict[str, Any] | None
    timings: Timings
    duration_ms: float | None
    error: str | None
    links: dict[str, str]
    # shown to administrators only
    user_email: str | None = None
    worker: str | None = None
    attempts: int | None = None
    pinned: bool = False  # kept past the retention period by an administrator
    files_expired_at: datetime | None = None  # when its files were deleted; the record stays
    files_purged: bool = False  # deleted by an administrator rather than by the retention sweep

    @classmethod
    def of(cls, job: Job, admin: bool = False) -> JobPublic:
        base = f"/api/predictions/{job.id}"
        return cls(
            id=job.id,
            model=job.model,
            status=job.status,
            progress=job.progress,
            message=job.message,
            inputs=[
                InputPublic(
                    name=f.name,
                    size=f.size,
                    sha256=f.sha256,
                    media_type=f.media_type,
                    url=f"{base}/inputs/{f.stored}",
                )
                for f in job.inputs
            ],
            params=job.params,
            artifacts=[
                ArtifactPublic(**a.model_dump(), url=f"{base}/files/{a.name}")
                for a in job.artifacts
            ],
            result_kind=cast(ResultKind, job.result_kind or "generic"),
            result=job.result,
            timings=job.timings,
            duration_ms=job.timings.total_ms,
            error=job.error,
            links={"self": base, "events": f"{base}/events"},
            user_email=job.user_email if admin else None,
            worker=job.worker if admin else None,
            attempts=job.attempts if admin else None,
            pinned=job.pinned,
            files_expired_at=job.files_expired_at,
            files_purged=job.files_purged,
        )


class JobListOut(BaseModel):
    data: list[JobPublic]
    count: int


class LegacyPredictionOut(JobPublic):
    file_name: str | None = Field(
        None, description="Pass to the matching GET /api/export_... route to download."
    )


class NodeModelOut(BaseModel):
    name: str
    state: str
    reason: str | None = Field(None, description="Why it is not loaded here, when it is not")
    load_ms: float | None = None
    runtime: str | None = Field(None, description="The runtime it serves on here")


class NodeOut(BaseModel):
    """A machine that runs jobs: this server's own worker processes, or a worker node."""

    name: str
    host: str
    groups: list[str]
    processes: int
    ready: int = Field(description="Processes with their models loaded, taking jobs")
    running: list[str] = Field(description="The predictions its processes run now")
    jobs_done: int
    models: list[NodeModelOut]
    version: str = Field(description="The release the node runs")
    protocol: int = Field(
        description="Its cluster protocol: a node of another protocol than the API's gets no "
        "jobs (0: the API's own worker processes)"
    )

    @classmethod
    def of(cls, node: NodeView) -> NodeOut:
        return cls(
            name=node.name,
            host=node.host,
            groups=node.groups,
            processes=node.processes,
            ready=node.ready,
            running=node.running,
            jobs_done=node.jobs_done,
            version=node.version,
            protocol=node.protocol,
            models=[
                NodeModelOut(
                    name=name,
                    state=state.status,
                    reason=state.reason,
                    load_ms=state.load_ms,
                    runtime=state.runtime.chosen if state.runtime else None,
                )
                for name, state in node.models.items()
            ],
        )
