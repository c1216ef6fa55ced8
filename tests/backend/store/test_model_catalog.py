"""Models and their versions in the store: the contract both backends keep."""

from __future__ import annotations

import pytest

from modelgallery.store.base import DuplicateError, Store
from modelgallery.store.model_records import (
    ModelRecord,
    ModelVersion,
    StoredWeight,
    VersionState,
)
from tests.backend.store.conftest import StoreFactory


def _model(name: str = "cats") -> ModelRecord:
    return ModelRecord(id=name, title="Cats", task="image-classification", family="x", group="g")


async def test_models_are_created_read_listed_changed_and_deleted(store: Store) -> None:
    created = await store.models.create(_model("b"))
    await store.models.create(_model("a"))
    assert await store.models.get("b") == created
    assert [m.id for m in await store.models.all()] == ["a", "b"]
    with pytest.raises(DuplicateError):
        await store.models.create(_model("a"))
    changed = await store.models.update("a", {"title": "Dogs", "live_version": "v1"})
    assert changed is not None and (changed.title, changed.live_version) == ("Dogs", "v1")
    with pytest.raises(ValueError):
        await store.models.update("a", {"no_such_field": 1})
    assert await store.models.delete("a")
    assert not await store.models.delete("a")
    assert await store.models.get("a") is None


async def test_versions_are_numbered_per_model_and_change_by_compare_and_set(store: Store) -> None:
    weights = [StoredWeight(file="w.onnx", sha256="0" * 64, size=3)]
    first = await store.versions.create(ModelVersion(model="cats", number=1, weights=weights))
    await store.versions.create(ModelVersion(model="dogs", number=1))
    second = await store.versions.create(ModelVersion(model="cats", number=2))
    with pytest.raises(DuplicateError):
        await store.versions.create(ModelVersion(model="cats", number=2))
    assert [v.id for v in await store.versions.of_model("cats")] == [first.id, second.id]
    assert (await store.versions.get(first.id)) == first
    ready = await store.versions.update(
        first.id, {"state": VersionState.ready}, only_if_state=[VersionState.validating]
    )
    assert ready is not None and ready.state is VersionState.ready
    again = await store.versions.update(
        first.id, {"state": VersionState.failed}, only_if_state=[VersionState.validating]
    )
    assert again is None  # no longer validating: nothing changed
    assert (await store.versions.get(first.id)).state is VersionState.ready  # type: ignore[union-attr]
    assert await store.versions.delete(second.id)
    assert [v.number for v in await store.versions.of_model("cats")] == [1]


async def test_models_and_versions_survive_a_restart(make_store: StoreFactory) -> None:
    store = make_store()
    await store.open()
    await store.models.create(_model())
    version = await store.versions.create(
        ModelVersion(model="cats", number=1, options={"labels": ["a", "b"]})
    )
    await store.close()
    reopened = make_store()
    await reopened.open()
    try:
        assert (await reopened.models.get("cats")) is not None
        assert (await reopened.versions.get(version.id)) == version
    finally:
        await reopened.close()
