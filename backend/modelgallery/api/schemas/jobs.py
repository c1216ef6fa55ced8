"""A prediction (job) as clients see it: its files, state, result and timings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, Field

from ...services.predictions import Outcome, main_output, outcome
from ...store.records import Artifact, Job, JobLane, JobStatus, Timings
from ...vision.model import ResultKind


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
    model_version: int | None = Field(
        None, description="The number of the model's version it was submitted to"
    )
    status: JobStatus
    progress: float
    message: str
    inputs: list[InputPublic]
    params: dict[str, Any]
    artifacts: list[ArtifactPublic]
    main_output: str | None = Field(
        description="The name of the artifact a person most wants to download (the annotated "
        "file, the mask or the archive, else the first file); null while there is none. "
        "Clients offer it as the job's download"
    )
    result_kind: ResultKind
    outcome: Outcome | None = Field(
        None,
        description="For a job that succeeded: `nothing_found` when the model found nothing in "
        "the file to work on (`result.finding` says why, e.g. a skull-stripped volume for "
        "the skin model), else `found`; null otherwise. Clients show `nothing_found` as such, "
        "not as a success",
    )
    result: dict[str, Any] | None
    timings: Timings
    duration_ms: float | None
    error: str | None
    links: dict[str, str]
    anonymous: bool = Field(
        False, description="Made by a visitor without an account: its link lets anyone view it"
    )
    yours: bool = Field(
        False,
        description="Whether the caller may cancel and delete it: their account's, theirs as "
        "the browser that made it (its owner token), or they are an administrator",
    )
    # shown to administrators only
    user_email: str | None = None
    worker: str | None = None
    attempts: int | None = None
    pinned: bool = False  # kept past the retention period by an administrator
    files_expired_at: datetime | None = None  # when its files were deleted; the record stays
    files_purged: bool = False  # deleted by an administrator rather than by the retention sweep
    lane: JobLane = Field(
        JobLane.live,
        description="live: a user's prediction; shadow or replay: a release's or a replay's "
        "run of earlier inputs on another version, seen by administrators only",
    )
    release: str | None = Field(
        None, description="The release (canary, shadow) or replay that chose its version"
    )
    source_job: str | None = Field(None, description="The prediction whose inputs it ran again")

    @classmethod
    def of(cls, job: Job, admin: bool = False, yours: bool | None = None) -> JobPublic:
        base = f"/api/predictions/{job.id}"
        return cls(
            id=job.id,
            model=job.model,
            model_version=job.model_version_number,
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
            main_output=main_output(job),
            result_kind=cast(ResultKind, job.result_kind or "generic"),
            outcome=outcome(job),
            result=job.result,
            timings=job.timings,
            duration_ms=job.timings.total_ms,
            error=job.error,
            links={"self": base, "events": f"{base}/events"},
            anonymous=job.user_id is None,
            yours=admin if yours is None else yours,
            user_email=job.user_email if admin else None,
            worker=job.worker if admin else None,
            attempts=job.attempts if admin else None,
            pinned=job.pinned,
            files_expired_at=job.files_expired_at,
            files_purged=job.files_purged,
            lane=job.lane,
            release=job.release if admin else None,
            source_job=job.source_job if admin else None,
        )


class JobListOut(BaseModel):
    data: list[JobPublic]
    count: int


class LegacyPredictionOut(JobPublic):
    file_name: str | None = Field(
        None, description="Pass to the matching GET /api/export_... route to download."
    )


class DeletedOut(BaseModel):
    deleted: int = Field(description="How many predictions were deleted")
