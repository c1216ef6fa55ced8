"""models.toml synced into the store, and the registry of live versions built from it, on
both stores: added once, a changed entry a new live version (the old one retired), an entry
gone disabled, dashboard models untouched, two processes syncing at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from modelgallery.catalog.registry import live_registry
from modelgallery.catalog.sync import sync_file
from modelgallery.store.base import Store
from modelgallery.store.model_records import ModelRecord, VersionState
from modelgallery.vision.registry import load_registry
from tests.support.server import TOY_REGISTRY


def _copy(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text if text is not None else TOY_REGISTRY.read_text())
    return path


async def test_the_file_seeds_the_store_once_and_the_registry_is_the_same(
    store: Store, tmp_path: Path
) -> None:
    path = _copy(tmp_path)
    first = await sync_file(store, path, tmp_path)
    from_file = load_registry(path, tmp_path)
    assert sorted(first.added) == sorted(from_file.models)
    assert (await sync_file(store, path, tmp_path)).changed == []
    registry = await live_registry(store, path, tmp_path)
    assert registry.models.keys() == from_file.models.keys()
    for name, spec in registry.models.items():
        assert spec.version_number == 1
        same = spec.model_copy(update={"version": None, "version_number": None})
        assert same == from_file.models[name], name


async def test_a_changed_entry_is_a_new_live_version_and_a_gone_one_is_disabled(
    store: Store, tmp_path: Path
) -> None:
    path = _copy(tmp_path)
    await sync_file(store, path, tmp_path)
    before = (await store.models.get("toy")).live_version  # type: ignore[union-attr]
    text = TOY_REGISTRY.read_text().replace('title = "Toy inverter"', 'title = "Inverter"')
    text = text.replace("[models.toy-queue]", "[models.toy-queue-gone]", 1)
    _copy(tmp_path, text.replace("[models.toy-queue-gone]", "[models.toy-queue2]"))
    report = await sync_file(store, path, tmp_path)
    assert report.updated == ["toy"] and report.added == ["toy-queue2"]
    assert report.disabled == ["toy-queue"]
    versions = await store.versions.of_model("toy")
    assert [(v.number, v.state) for v in versions] == [
        (1, VersionState.retired),
        (2, VersionState.live),
    ]
    assert versions[0].id == before
    registry = await live_registry(store, path, tmp_path)
    assert registry.models["toy"].title == "Inverter"
    assert registry.models["toy"].version_number == 2
    assert not registry.models["toy-queue"].enabled
    _copy(tmp_path)  # back as it was: the returning entry is enabled again
    assert "toy-queue" in (await sync_file(store, path, tmp_path)).updated
    assert (await live_registry(store, path, tmp_path)).models["toy-queue"].enabled


async def test_dashboard_models_are_not_the_files(store: Store, tmp_path: Path) -> None:
    path = _copy(tmp_path)
    mine = ModelRecord(id="mine", title="Mine", task="t", family="x", group="toy")
    mine = await store.models.create(mine)
    report = await sync_file(store, path, tmp_path)
    assert "mine" not in report.changed
    assert (await store.models.get("mine")) == mine


async def test_two_processes_syncing_at_once_make_one_version_each(
    store: Store, tmp_path: Path
) -> None:
    path = _copy(tmp_path)
    await asyncio.gather(*(sync_file(store, path, tmp_path) for _ in range(3)))
    for model in await store.models.all():
        versions = await store.versions.of_model(model.id)
        assert [v.number for v in versions] == [1]
        assert model.live_version == versions[0].id
