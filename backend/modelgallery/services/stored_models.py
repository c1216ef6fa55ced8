"""A managed model and one of its versions read from the store, or NotFound with the one
sentence every service says when there is none."""

from __future__ import annotations

from ..store.base import Store
from ..store.model_records import ModelRecord, ModelVersion
from .errors import NotFound


async def model_record(store: Store, name: str) -> ModelRecord:
    model = await store.models.get(name)
    if model is None:
        raise NotFound(f"there is no model named '{name}'")
    return model


async def version_record(store: Store, name: str, version_id: str) -> ModelVersion:
    """Version `version_id` of model `name` (a version of another model is not found)."""
    version = await store.versions.get(version_id)
    if version is None or version.model != name:
        raise NotFound(f"model '{name}' has no version '{version_id}'")
    return version
