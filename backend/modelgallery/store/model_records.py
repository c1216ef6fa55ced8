"""Models and their versions as the store keeps them. `models.toml` seeds them at the first
start; afterwards the store is the source of truth and administrators change it at run time.

A model holds what a user sees and what bounds a job (title, task, family, worker group,
limits); a version holds what runs (weights with their sha256, runtime, options such as the
preprocessing and the labels, parameter defaults, card). One version at most is live.
Plain values only: the store knows no model family (`catalog/` turns these into specs)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from .records import new_id, utcnow


class VersionState(StrEnum):
    validating = "validating"  # a worker of its group is loading and trying it
    ready = "ready"  # passed validation; can be made live
    failed = "failed"  # did not pass: `reason` says why
    live = "live"  # what new jobs of the model run
    retired = "retired"  # kept for its past jobs; runs no new ones


class StoredWeight(BaseModel):
    file: str  # a plain name inside the models folder (or the bucket's `models/<sha256>`)
    sha256: str | None = None  # None only for a seeded file whose digest was never published
    size: int | None = None
    url: str | None = None  # where `fetch-models` gets a seeded file
    mirror_name: str | None = None


class ModelRecord(BaseModel):
    id: str  # the model's name: lower-case letters, digits, '-' and '_'
    title: str
    description: str = ""
    task: str
    family: str  # a family key or a `module:Class` path
    group: str
    enabled: bool = True
    legacy_route: str | None = None
    kinds: list[str] | None = None  # narrows the family's accepted kinds
    max_upload_mb: float = 50
    max_files: int = 1
    timeout_s: float | None = None
    retention_days: float | None = None
    max_batch: int | None = None
    max_batch_wait_ms: float = 0
    live_version: str | None = None  # the id of the live version
    # sha256 of its models.toml entry when the file manages it (synced at start and on
    # reload when the entry changes); None for a model added from the dashboard.
    source_digest: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = None  # an administrator's e-mail; None when seeded
    updated_at: datetime = Field(default_factory=utcnow)


class ModelVersion(BaseModel):
    id: str = Field(default_factory=new_id)
    model: str
    number: int  # 1, 2, ... per model
    state: VersionState = VersionState.validating
    reason: str | None = None  # why it failed validation
    weights: list[StoredWeight] = Field(default_factory=list)
    runtime: str | None = None  # requested: auto or a runtime the family has
    options: dict[str, Any] = Field(default_factory=dict)  # preprocessing, labels, ...
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)  # default/min/max/choices
    card: dict[str, Any] | None = None
    example: str | None = None  # an example input kept with the version (its file name)
    # What validation measured: the runtime chosen, load and warm-up time, the latency of the
    # smoke prediction and what it found.
    validation: dict[str, Any] | None = None
    note: str = ""  # what changed, in the administrator's words
    created_at: datetime = Field(default_factory=utcnow)
    created_by: str | None = None
    validated_at: datetime | None = None
