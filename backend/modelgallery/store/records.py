"""What the store keeps. Plain pydantic models shared by every backend; all datetimes are
timezone-aware UTC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel, Field


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


class Role(StrEnum):
    user = "user"
    admin = "admin"


class User(BaseModel):
    id: str = Field(default_factory=new_id)
    email: str  # stored lower-cased; unique
    name: str = ""
    password_hash: str
    role: Role = Role.user
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    disabled: bool = False


class Session(BaseModel):
    """One log-in: a token works while its session is stored (log-out and "sign out"
    delete it). The id is the token's `jti`."""

    id: str
    user_id: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime  # the token's; the store forgets the session after it
    last_seen_at: datetime | None = None  # updated at most every few minutes
    user_agent: str | None = None
    client: str | None = None  # the client address at log-in


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.succeeded, JobStatus.failed, JobStatus.cancelled)


class JobLane(StrEnum):
    """Who a job is for. Only `live` jobs are anyone's predictions; the other lanes run a
    candidate version on inputs users already sent, at lower priority, and their results
    are only compared (`releases/`), never shown to the user."""

    live = "live"  # a user's prediction: on the live version, or a canary's candidate
    shadow = "shadow"  # a copy of a live job's inputs, on a release's candidate
    replay = "replay"  # a past job's inputs again, on a replay's version

    @property
    def background(self) -> bool:
        return self is not JobLane.live


class InputFile(BaseModel):
    name: str  # the name the user's file had; metadata only, never a path
    stored: str  # server-chosen file name inside the job's input folder
    size: int
    sha256: str
    media_type: str
    # image | video | nifti | zip, as the upload's check found it; None in records made
    # before it was kept (the kind follows from the media type: `media.sniff.kind_of`)
    kind: str | None = None


class Artifact(BaseModel):
    name: str  # file name inside the job's output folder
    media_type: str
    role: str  # annotated | mask | preview | data | archive | input
    size: int = 0  # 0 while deferred
    # Not written by the model: drawn from the result by the API when first downloaded.
    deferred: bool = False


class Timings(BaseModel):
    created: datetime = Field(default_factory=utcnow)
    started: datetime | None = None
    finished: datetime | None = None
    model_ms: float | None = None
    # Where the time went, in ms, in the order a job passes through: receive (the upload),
    # checks, queue (recorded and waiting for a worker), pipe (to the worker and back),
    # the model's own stages (decode, inference, drawing, encoding, writing), recording.
    stages: dict[str, float] = Field(default_factory=dict)
    batch_size: int = 1  # jobs run through the network together with this one (batching)

    @property
    def total_ms(self) -> float | None:
        if self.finished is None:
            return None
        return (self.finished - self.created).total_seconds() * 1000


class Job(BaseModel):
    id: str = Field(default_factory=new_id)
    model: str
    model_version: str | None = None  # the version it was submitted to (the store's id)
    model_version_number: int | None = None
    user_id: str | None = None
    user_email: str | None = None  # copied so the dashboard can filter without a join
    # An anonymous visitor's job: the sha256 of the owner token their browser holds, which
    # cancelling and deleting it require (the link alone lets people view it). None once
    # the job belongs to an account.
    owner: str | None = None
    status: JobStatus = JobStatus.queued
    progress: float = 0.0
    message: str = ""
    inputs: list[InputFile] = Field(default_factory=list)
    params: dict[str, Any] = Field(default_factory=dict)
    artifacts: list[Artifact] = Field(default_factory=list)
    result: dict[str, Any] | None = None
    timings: Timings = Field(default_factory=Timings)
    error: str | None = None
    worker: str | None = None
    attempts: int = 0
    result_kind: str | None = None  # declared by the model for these inputs (vision.model)
    pinned: bool = False  # an administrator keeps its files past the retention period
    # When its input and output files were deleted (the record stays): by the retention
    # sweep, or by an administrator (`files_purged`).
    files_expired_at: datetime | None = None
    files_purged: bool = False
    lane: JobLane = JobLane.live
    # The release (canary or shadow) or replay that sent it to a version other than the
    # live one; for a shadow or replay job, the job whose inputs it ran again.
    release: str | None = None
    source_job: str | None = None


class DeliveryState(StrEnum):
    pending = "pending"  # stored, not tried yet
    retrying = "retrying"  # a send failed; another try is scheduled
    sent = "sent"
    not_configured = "not_configured"  # no SMTP settings: kept for the admin to read


class ContactMessage(BaseModel):
    id: str = Field(default_factory=new_id)
    name: str
    email: str
    subject: str
    message: str
    client: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    delivery: DeliveryState = DeliveryState.pending
    attempts: int = 0
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    # Which outbox is sending it, until when: two API replicas never send it both.
    claimed_by: str | None = None
    claimed_until: datetime | None = None


class AuditEntry(BaseModel):
    id: str = Field(default_factory=new_id)
    at: datetime = Field(default_factory=utcnow)
    actor_id: str | None
    actor_email: str | None
    action: str  # e.g. "prediction.delete", "model.reload"
    target: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    data: list[T]
    count: int  # total matching, not just this page


def page_of(model: type[T], data: list[T], count: int) -> Page[T]:
    """`Page[model](data=data, count=count)` for a record class known only at run time: it
    validates and serializes as that class. mypy accepts only literal type arguments, so the
    subscription goes through Any."""
    parametrized: type[Page[T]] = cast(Any, Page)[model]
    return parametrized(data=data, count=count)


class JobSort(StrEnum):
    created = "created"
    model = "model"
    status = "status"
    user = "user"
    name = "name"  # first input's original name
    duration = "duration"  # finished - created; unfinished jobs sort last


class JobQuery(BaseModel):
    model: str | None = None
    user_id: str | None = None
    user: str | None = None  # case-insensitive substring of user_email
    status: JobStatus | None = None
    since: datetime | None = None  # created >= since
    until: datetime | None = None  # created < until
    name: str | None = None  # case-insensitive substring of any input's original name
    version: str | None = None  # the model version's id
    lane: JobLane | None = JobLane.live  # None: every lane
    release: str | None = None
    sort: JobSort = JobSort.created
    descending: bool = True
    offset: int = Field(0, ge=0)
    limit: int = Field(50, ge=1, le=500)


class JobStatRow(BaseModel):
    """The columns usage statistics need, one per job."""

    model: str
    status: JobStatus
    created: datetime
    total_ms: float | None
    model_ms: float | None


class ModelStorage(BaseModel):
    """Bytes of input and output files kept for one model's jobs (expired ones excluded)."""

    model: str
    jobs: int
    bytes: int
