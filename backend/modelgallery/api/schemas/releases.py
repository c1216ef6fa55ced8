"""Releases and replays as administrators start and follow them (`services/releases.py`,
`services/replays.py`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ...store.records import JobQuery, JobStatus
from ...store.release_records import Release, ReleaseState, Replay, ReplayState

Share = Field(ge=0, le=1)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    candidate: str = Field(description="The id of a validated version of the model")
    canary_share: float = Field(
        0,
        ge=0,
        le=1,
        description="The share of live predictions it runs, 0 to 1, sticky per "
        "account (or, for visitors, client address)",
    )
    shadow_share: float = Field(
        0,
        ge=0,
        le=1,
        description="The share of the live version's predictions also run on "
        "it in the background, never shown to users",
    )
    note: str = Field("", max_length=2000)


class ReleaseEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    canary_share: float | None = Field(None, ge=0, le=1)
    shadow_share: float | None = Field(None, ge=0, le=1)


class ReleaseOut(BaseModel):
    id: str
    model: str
    candidate: str
    candidate_number: int
    baseline: str
    baseline_number: int
    canary_share: float
    shadow_share: float
    state: ReleaseState
    note: str
    created_at: datetime
    created_by: str | None
    ended_at: datetime | None
    ended_by: str | None
    shadow_skipped: int = Field(
        description="Shadow copies not made because the background lane was full"
    )

    @classmethod
    def of(cls, release: Release) -> ReleaseOut:
        return cls(**release.model_dump())


class ReplayIn(BaseModel):
    """Which past predictions run again: the filters of the predictions list. Only finished
    live predictions whose files are still kept are chosen, newest first."""

    model_config = ConfigDict(extra="forbid")
    version: str = Field(description="The id of the version they run on")
    limit: int = Field(100, ge=1, le=1000)
    user: str | None = Field(None, description="part of the user's e-mail")
    since: datetime | None = None
    until: datetime | None = None
    name: str | None = Field(None, description="part of the uploaded file's name")
    source_version: str | None = Field(
        None, description="only predictions made by this version (its id)"
    )

    def query(self) -> JobQuery:
        return JobQuery(
            user=self.user,
            since=self.since,
            until=self.until,
            name=self.name,
            version=self.source_version,
        )


class ReplayProgress(BaseModel):
    queued: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0


class ReplayOut(BaseModel):
    id: str
    model: str
    version: str
    version_number: int
    filters: dict[str, str | int | float | bool | None]
    chosen: int = Field(description="How many predictions the filters chose")
    total: int = Field(description="How many were sent to run again so far")
    skipped: int = Field(description="Chosen, but their files are gone or they do not fit")
    state: ReplayState
    progress: ReplayProgress
    created_at: datetime
    created_by: str | None
    finished_at: datetime | None

    @classmethod
    def of(cls, replay: Replay, counts: dict[str, int]) -> ReplayOut:
        return cls(
            **replay.model_dump(exclude={"sources"}),
            chosen=len(replay.sources),
            progress=ReplayProgress(**{s: counts.get(s, 0) for s in map(str, JobStatus)}),
        )
