"""`models.toml` into the store. At every start and on an administrator's reload, each entry
of the file is compared with what was last taken from it (the sha256 of the entry): a new
entry becomes a model with a live first version; a changed one gets a new live version (the
previous one retired, its jobs keep it); an entry gone from the file disables its model, and
one that comes back is a change.
Models added from the dashboard are not in the file and are never touched here, and an
administrator's edits to a file's model stay until the file's entry itself changes.

Several processes may sync at once (API replicas, nodes): a model or version number another
one created first is taken as done."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..store.base import DuplicateError, Store
from ..store.model_records import ModelRecord, ModelVersion, VersionState
from ..store.records import utcnow
from ..vision.registry import load_registry, read_tables
from .fields import model_part, version_part

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return sorted(self.added + self.updated + self.disabled)


def digest(table: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(table, sort_keys=True, default=str).encode()).hexdigest()


async def sync_file(store: Store, path: Path, models_dir: Path) -> SyncReport:
    """Raises RegistryError, changing nothing, when an entry of the file is invalid."""
    load_registry(path, models_dir)  # every entry validates before anything is written
    tables = read_tables(path)
    existing = {m.id: m for m in await store.models.all()}
    report = SyncReport()
    for name, table in tables.items():
        model, wanted = existing.get(name), digest(table)
        if model is None:
            added = await _add(store, name, table, wanted)
            report.added += [name] if added else []
        elif model.source_digest not in (None, wanted):
            updated = await _update(store, model, table, wanted)
            report.updated += [name] if updated else []
    for name, model in existing.items():
        if model.source_digest and name not in tables:
            # an empty digest: still the file's, and whatever entry comes back is a change
            changes = {"enabled": False, "source_digest": "", "updated_at": utcnow()}
            await store.models.update(name, changes)
            report.disabled.append(name)
    if report.changed:
        log.info(
            "models.toml: added %s; new versions of %s; disabled %s",
            report.added or "none",
            report.updated or "none",
            report.disabled or "none",
        )
    return report


async def _add(store: Store, name: str, table: dict[str, Any], source_digest: str) -> bool:
    record = ModelRecord(id=name, **model_part(table), source_digest=source_digest)
    try:
        await store.models.create(record)
    except DuplicateError:  # another process synced it first
        return False
    version = await _new_version(store, name, table, number=1)
    if version is None:
        return False
    await store.models.update(name, {"live_version": version.id})
    return True


async def _update(
    store: Store, model: ModelRecord, table: dict[str, Any], source_digest: str
) -> bool:
    numbers = [v.number for v in await store.versions.of_model(model.id)]
    version = await _new_version(store, model.id, table, number=max(numbers, default=0) + 1)
    if version is None:
        return False
    if model.live_version is not None:
        await store.versions.update(model.live_version, {"state": VersionState.retired})
    changes = {**model_part(table), "enabled": table.get("enabled", True)}
    changes |= {"live_version": version.id, "source_digest": source_digest}
    await store.models.update(model.id, {**changes, "updated_at": utcnow()})
    return True


async def _new_version(
    store: Store, model: str, table: dict[str, Any], number: int
) -> ModelVersion | None:
    version = ModelVersion(
        model=model,
        number=number,
        state=VersionState.live,
        note="from models.toml",
        validated_at=utcnow(),
        **version_part(table),
    )
    try:
        return await store.versions.create(version)
    except DuplicateError:
        return None
