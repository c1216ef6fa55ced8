"""Which fields of a registry entry belong to the model and which to a version: a model is
what users see and what bounds a job; a version is what runs."""

from __future__ import annotations

from typing import Any

from ..store.model_records import ModelRecord, ModelVersion, StoredWeight

MODEL_FIELDS = (
    "title",
    "description",
    "task",
    "family",
    "group",
    "enabled",
    "legacy_route",
    "kinds",
    "max_upload_mb",
    "max_files",
    "timeout_s",
    "retention_days",
    "max_batch",
    "max_batch_wait_ms",
)
VERSION_FIELDS = ("runtime", "weights", "params", "options", "card")


def model_part(table: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in table.items() if k in MODEL_FIELDS}


def version_part(table: dict[str, Any]) -> dict[str, Any]:
    part = {k: v for k, v in table.items() if k in VERSION_FIELDS}
    part["weights"] = [StoredWeight.model_validate(w) for w in table.get("weights", [])]
    return part


def entry_of(model: ModelRecord, version: ModelVersion) -> dict[str, Any]:
    """The registry entry (`vision.registry.ModelEntry`) of a model at one version."""
    table: dict[str, Any] = {k: getattr(model, k) for k in MODEL_FIELDS}
    table = {k: v for k, v in table.items() if v is not None}
    table["weights"] = [
        w.model_dump(include={"file", "sha256", "url", "mirror_name"}, exclude_none=True)
        for w in version.weights
    ]
    table["params"] = version.params
    table["options"] = version.options
    if version.runtime is not None:
        table["runtime"] = version.runtime
    if version.card is not None:
        table["card"] = version.card
    return table
