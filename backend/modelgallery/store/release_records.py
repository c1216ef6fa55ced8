"""Releases and replays as the store keeps them.

A release tries a candidate version beside the live one: a share of live predictions goes to
it (canary, sticky per account or client address), and a share of live inputs is copied to
it in the background (shadow). It ends when it is promoted (the candidate goes live) or
rolled back. A replay runs a filtered set of past predictions again on a version, in the
background. The jobs either one makes name it (`Job.release`)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from .records import new_id, utcnow


class ReleaseState(StrEnum):
    active = "active"
    promoted = "promoted"  # the candidate went live
    rolled_back = "rolled_back"  # stopped; the baseline stayed live


class Release(BaseModel):
    id: str = Field(default_factory=new_id)
    model: str
    candidate: str  # version ids
    candidate_number: int
    baseline: str
    baseline_number: int
    canary_share: float = Field(0.0, ge=0.0, le=1.0)  # of live predictions
    shadow_share: float = Field(0.0, ge=0.0, le=1.0)  # of the baseline's live inputs
    state: ReleaseState = ReleaseState.active
    note: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = None  # an administrator's e-mail
    ended_at: datetime | None = None
    ended_by: str | None = None
    # Shadow copies not made because the background lane was full (they would have waited
    # behind more background work than it keeps).
    shadow_skipped: int = 0


class ReplayState(StrEnum):
    running = "running"
    done = "done"  # every job it sent has ended
    cancelled = "cancelled"


class Replay(BaseModel):
    id: str = Field(default_factory=new_id)
    model: str
    version: str  # the version the inputs run on
    version_number: int
    # The filters of the predictions list that chose the set (`JobQuery` fields, as JSON).
    filters: dict[str, Any] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)  # the chosen jobs, in the order sent
    total: int = 0  # jobs sent
    skipped: int = 0  # chosen, but their inputs are no longer kept or do not fit
    state: ReplayState = ReplayState.running
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = None
    finished_at: datetime | None = None
