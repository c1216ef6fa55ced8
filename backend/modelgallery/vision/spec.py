"""A model as the registry describes it (`ModelSpec`): its entry in `models.toml`, validated
and merged with its family's declarations. Picklable: it travels to the worker processes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .declarations import Output, Param, ResultKind, RuntimeRequest


class WeightFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file: str = Field(pattern=r"^[A-Za-z0-9._-]+$")  # a plain name inside models_dir
    url: str | None = None
    sha256: str | None = Field(None, pattern=r"^[0-9a-f]{64}$")
    mirror_name: str | None = None  # its name in a mirror folder, when it differs


class ModelCard(BaseModel):
    """What a user should know about a model before trusting its results; every field is
    optional, and a card says only what is known."""

    model_config = ConfigDict(extra="forbid")
    source: str | None = Field(None, description="Where the weights come from (URL, paper)")
    license: str | None = Field(None, description="The license of the weights")
    training_data: str | None = Field(None, description="What the weights were trained on")
    outputs: str | None = Field(None, description="What it returns: classes, labels, masks")
    accuracy: str | None = Field(
        None, description="Measured accuracy where known, with where it was measured"
    )
    intended_use: str | None = None
    limitations: list[str] = Field(
        default_factory=list, description="Known limitations and biases, one per item"
    )


class ModelSpec(BaseModel):
    """A validated entry, merged with its family's declarations. Picklable: it travels to
    the worker processes."""

    name: str
    title: str
    description: str
    task: str
    family: str  # import path module:Class
    group: str
    enabled: bool
    legacy_route: str | None
    kinds: list[str]
    max_upload_bytes: int
    max_files: int
    timeout_s: float | None
    weights: list[WeightFile]
    retention_days: float | None = None  # None: the RETENTION_DAYS setting
    weight_paths: list[Path]
    params: dict[str, Param]
    outputs: list[Output]
    result_kinds: dict[str, ResultKind]  # by input kind
    runtime: RuntimeRequest | None  # None: the family has one runtime only
    max_batch: int = 1  # 1: every job runs on its own
    max_batch_wait_ms: float = 0
    options: dict[str, Any]  # the entry's free table, read by the family
    card: ModelCard | None = None
    # The version of the model this spec runs (the store's id and number); None outside it.
    version: str | None = None
    version_number: int | None = None

    def missing_weights(self) -> list[str]:
        return [
            w.file for w, p in zip(self.weights, self.weight_paths, strict=True) if not p.is_file()
        ]

    def result_kind_for(self, input_kinds: list[str]) -> ResultKind:
        """What a job with inputs of these kinds gets: several files are a batch, as a ZIP."""
        key = "zip" if len(input_kinds) > 1 else (input_kinds or ["other"])[0]
        return self.result_kinds.get(key, "generic")
