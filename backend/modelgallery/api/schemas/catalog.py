"""Models and versions as administrators manage them (`services/model_manager.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat

from ...services.model_manager import ManagedModel
from ...store.model_records import ModelRecord, ModelVersion, VersionState


class NewModelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="The model's name in URLs: a-z, 0-9, '-' and '_'")
    title: str = Field(min_length=1, max_length=120)
    description: str = Field("", max_length=2000)
    task: str = Field(min_length=1, max_length=60, description="e.g. image-classification")
    family: str = Field(description="A family key: image-classification, yolo, ...")
    group: str = Field(description="The worker group that runs it")
    max_upload_mb: PositiveFloat = 50
    max_files: int = Field(1, ge=1, le=500)
    timeout_s: PositiveFloat | None = None
    retention_days: float | None = Field(None, ge=0)


class ModelEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(None, min_length=1, max_length=120)
    description: str | None = Field(None, max_length=2000)
    enabled: bool | None = None
    max_upload_mb: PositiveFloat | None = None
    max_files: int | None = Field(None, ge=1, le=500)
    timeout_s: PositiveFloat | None = None
    retention_days: float | None = Field(None, ge=0)


class VersionEditIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    card: dict[str, Any] | None = None
    params: dict[str, dict[str, Any]] | None = Field(
        None, description="Per parameter: default, min, max, choices (within the family's)"
    )
    options: dict[str, Any] | None = Field(None, description="Labels, preprocessing, ...")
    note: str | None = Field(None, max_length=2000)


class WeightOut(BaseModel):
    file: str
    sha256: str | None
    size: int | None


class VersionOut(BaseModel):
    id: str
    number: int
    state: VersionState
    reason: str | None = Field(description="Why validation failed, in words")
    weights: list[WeightOut]
    runtime: str | None
    options: dict[str, Any]
    params: dict[str, dict[str, Any]]
    card: dict[str, Any] | None
    has_example: bool
    validation: dict[str, Any] | None = Field(
        description="What validation measured: runtime, load_ms, warmup_ms, latency_ms, example"
    )
    note: str
    created_at: datetime
    created_by: str | None
    validated_at: datetime | None

    @classmethod
    def of(cls, version: ModelVersion) -> VersionOut:
        return cls(
            **version.model_dump(exclude={"weights", "example", "model"}),
            weights=[
                WeightOut(**w.model_dump(include={"file", "sha256", "size"}))
                for w in version.weights
            ],
            has_example=version.example is not None,
        )


class ManagedModelOut(BaseModel):
    id: str
    title: str
    description: str
    task: str
    family: str
    group: str
    enabled: bool
    max_upload_mb: float
    max_files: int
    timeout_s: float | None
    retention_days: float | None
    live_version: str | None
    from_file: bool = Field(description="Managed by models.toml (synced at start and reload)")
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    versions: list[VersionOut]

    @classmethod
    def of(cls, managed: ManagedModel) -> ManagedModelOut:
        model: ModelRecord = managed.model
        return cls(
            **model.model_dump(
                include={
                    "id",
                    "title",
                    "description",
                    "task",
                    "family",
                    "group",
                    "enabled",
                    "max_upload_mb",
                    "max_files",
                    "timeout_s",
                    "retention_days",
                    "live_version",
                    "created_at",
                    "created_by",
                    "updated_at",
                }
            ),
            from_file=model.source_digest is not None,
            versions=[VersionOut.of(v) for v in managed.versions],
        )
