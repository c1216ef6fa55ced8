"""A prediction (job) as clients see it: its files, state, result and timings."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, Field

from ...services.predictions import main_output
from ...store.records import Artifact, Job, JobStatus, Timings
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


class DeletedOut(BaseModel):
    deleted: int = Field(description="How many predictions were deleted")
