"""The registry of live versions, read from the store: what the executors run. A stored entry
that no longer validates (a family this release lacks) is left out with the reason in the
log, so that one model cannot keep the server from starting."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from ..core.settings import Settings
from ..store import create_store
from ..store.base import Store
from ..vision.registry import Registry, RegistryError, build_spec, registry_of
from ..vision.spec import ModelSpec
from .fields import entry_of
from .sync import sync_file

log = logging.getLogger(__name__)


async def live_registry(store: Store, path: Path, models_dir: Path) -> Registry:
    """Every model with a live version, at that version (`path`: the file that seeds them)."""
    specs: dict[str, ModelSpec] = {}
    routes: set[str] = set()
    for model in await store.models.all():
        if model.live_version is None:
            continue
        version = await store.versions.get(model.live_version)
        if version is None:
            log.error("model %s: its live version %s is missing", model.id, model.live_version)
            continue
        where = f"model '{model.id}' version {version.number}"
        try:
            spec = build_spec(model.id, entry_of(model, version), models_dir, where)
        except RegistryError as exc:
            log.error("%s is left out: %s", where, exc)
            continue
        if spec.legacy_route in routes:
            log.error("%s is left out: its legacy route is taken", where)
            continue
        if spec.legacy_route:
            routes.add(spec.legacy_route)
        specs[model.id] = spec.model_copy(
            update={"version": version.id, "version_number": version.number}
        )
    return registry_of(path, specs)


async def version_spec(store: Store, name: str, version_id: str, models_dir: Path) -> ModelSpec:
    """Any version of a model as the store has it, built as `live_registry` builds the live
    ones. LookupError when it is not in the store, RegistryError when it no longer builds."""
    model = await store.models.get(name)
    version = await store.versions.get(version_id)
    if model is None or version is None or version.model != name:
        raise LookupError(f"version {version_id} of '{name}' is no longer in the store")
    where = f"model '{name}' version {version.number}"
    spec = build_spec(name, entry_of(model, version), models_dir, where)
    return spec.model_copy(update={"version": version.id, "version_number": version.number})


async def synced_registry(store: Store, settings: Settings) -> Registry:
    """`models.toml` synced into the store, then the registry of live versions."""
    await sync_file(store, settings.models_file, settings.models_dir)
    return await live_registry(store, settings.models_file, settings.models_dir)


def read_registry(settings: Settings) -> Registry:
    """`synced_registry` for a process that has no store open (a node at start)."""

    async def read() -> Registry:
        store = create_store(settings)
        await store.open()
        try:
            return await synced_registry(store, settings)
        finally:
            await store.close()

    return asyncio.run(read())
