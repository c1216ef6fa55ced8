"""Models managed at run time: an administrator creates a model, adds versions (weights, their
options and parameter defaults, an example input), and each version is validated where its
group's models run (`Executor.validate`: a process of its own on this machine, or a worker
node of the group) before it can go live. Edit, make live, retire and delete are one action
each, refused while they would break queued or running jobs, and written to the audit log.
After a change to what runs, the registry of live versions is read again and the model's
workers take it (`Executor.reload`)."""

from __future__ import annotations

import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog.fields import entry_of
from ..catalog.registry import live_registry
from ..core.settings import Settings
from ..jobs.lifecycle.executor import Executor
from ..jobs.lifecycle.periodic import Periodic
from ..store.base import DuplicateError, Store
from ..store.model_records import ModelRecord, ModelVersion, StoredWeight, VersionState
from ..store.records import JobQuery, JobStatus, User, utcnow
from ..store.release_records import Release
from ..vision.registry import FAMILIES, ModelSpec, RegistryError, build_spec
from . import audit
from .errors import Conflict, Invalid, NotFound
from .model_validation import VersionValidation, example_dir
from .models import ModelCatalog
from .stored_models import model_record, version_record

log = logging.getLogger(__name__)

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,62}")
_WATCH_S = 3.0
MODEL_EDITABLE = (
    "title",
    "description",
    "enabled",
    "max_upload_mb",
    "max_files",
    "timeout_s",
    "retention_days",
)
VERSION_EDITABLE = ("card", "params", "options", "note")
_LIVE_OR_READY = (VersionState.ready, VersionState.live, VersionState.retired)


@dataclass(frozen=True)
class ManagedModel:
    model: ModelRecord
    versions: list[ModelVersion]


@dataclass(frozen=True)
class Example:
    """An example input kept with a version, already checked like an upload."""

    path: Path
    name: str
    media_type: str


class ModelManager:
    def __init__(
        self, settings: Settings, store: Store, catalog: ModelCatalog, executor: Executor
    ) -> None:
        self._settings, self._store, self._catalog = settings, store, catalog
        self._validation = VersionValidation(settings, store, executor)
        self._seen: tuple[tuple[str, str | None, bool, str], ...] | None = None
        # Another API replica's changes reach this one within a few seconds.
        self._watch = Periodic("models-watch", self._follow, lambda: _WATCH_S)

    # --- reading -----------------------------------------------------------------------

    async def all(self) -> list[ManagedModel]:
        return [
            ManagedModel(m, await self._store.versions.of_model(m.id))
            for m in await self._store.models.all()
        ]

    async def one(self, name: str) -> ManagedModel:
        return ManagedModel(await self._model(name), await self._store.versions.of_model(name))

    # --- models ------------------------------------------------------------------------

    async def create(self, actor: User, fields: dict[str, Any]) -> ModelRecord:
        name = str(fields.get("id", ""))
        if not _NAME.fullmatch(name):
            raise Invalid(
                "the name may hold only lower-case letters, digits, '-' and '_' (64 at most), "
                "and starts with a letter or digit"
            )
        family = str(fields.get("family", ""))
        known = set(FAMILIES) | self._catalog.families()
        if family not in known:  # never a module path of the administrator's choosing
            raise Invalid(f"unknown family '{family}' (one of: {', '.join(sorted(known))})")
        groups = self._catalog.groups()
        if fields.get("group") not in groups:
            raise Invalid(
                f"unknown worker group '{fields.get('group')}' (one of: {', '.join(groups)})"
            )
        record = ModelRecord.model_validate({**fields, "created_by": actor.email})
        try:
            created = await self._store.models.create(record)
        except DuplicateError:
            raise Conflict(f"there is already a model named '{name}'") from None
        await audit.record(self._store.audit, actor, "model.create", name, family=family)
        return created

    async def edit(self, actor: User, name: str, changes: dict[str, Any]) -> ModelRecord:
        model = await self._model(name)
        unknown = sorted(set(changes) - set(MODEL_EDITABLE))
        if unknown:
            raise Invalid(
                f"'{unknown[0]}' cannot be changed (these can: {', '.join(MODEL_EDITABLE)})"
            )
        edited = model.model_copy(update=changes)
        if model.live_version is not None:
            self._spec(edited, await self._version(name, model.live_version))
        updated = await self._store.models.update(name, {**changes, "updated_at": utcnow()})
        assert updated is not None
        await audit.record(self._store.audit, actor, "model.edit", name, changes=changes)
        await self._refresh()
        return updated

    async def delete(self, actor: User, name: str) -> None:
        model = await self._model(name)
        if model.source_digest is not None:
            raise Conflict(
                f"'{name}' comes from models.toml: remove it there and reload, or disable it"
            )
        await self._no_active_jobs(name, None)
        for version in await self._store.versions.of_model(name):
            await self._store.versions.delete(version.id)
            shutil.rmtree(self._example_dir(version.id), ignore_errors=True)
        await self._store.models.delete(name)
        await audit.record(self._store.audit, actor, "model.delete", name)
        await self._refresh()

    # --- versions ----------------------------------------------------------------------

    async def add_version(
        self,
        actor: User,
        name: str,
        weights: list[StoredWeight],
        fields: dict[str, Any],
        example: Example | None,
    ) -> ModelVersion:
        """A new version, `validating` until a worker of its group has tried it."""
        model = await self._model(name)
        version = ModelVersion(
            model=name,
            number=0,
            weights=weights,
            runtime=fields.get("runtime"),
            options=fields.get("options") or {},
            params=fields.get("params") or {},
            card=fields.get("card"),
            note=str(fields.get("note") or ""),
            created_by=actor.email,
        )
        self._spec(model, version)  # refuses what the registry would refuse, at once
        created = await self._numbered(version)
        if example is not None:
            folder = self._example_dir(created.id)
            folder.mkdir(parents=True, exist_ok=True)
            stored = folder / f"example{''.join(example.path.suffixes)}"
            example.path.replace(stored)
            created = await self._update(
                created, {"example": f"{stored.name}\n{example.name}\n{example.media_type}"}
            )
        await audit.record(
            self._store.audit,
            actor,
            "model.version.add",
            name,
            version=created.number,
            weights=[w.model_dump(include={"file", "sha256", "size"}) for w in weights],
        )
        self._start_validation(model, created)
        return created

    async def edit_version(
        self, actor: User, name: str, version_id: str, changes: dict[str, Any]
    ) -> ModelVersion:
        model, version = await self._model(name), await self._version(name, version_id)
        unknown = sorted(set(changes) - set(VERSION_EDITABLE))
        if unknown:
            raise Invalid(
                f"'{unknown[0]}' cannot be changed (these can: {', '.join(VERSION_EDITABLE)});"
                " new weights are a new version"
            )
        self._spec(model, version.model_copy(update=changes))
        updated = await self._update(version, changes)
        await audit.record(
            self._store.audit,
            actor,
            "model.version.edit",
            name,
            version=version.number,
            changes=changes,
        )
        if model.live_version == version.id:
            await self._refresh()
        return updated

    async def make_live(self, actor: User, name: str, version_id: str) -> ModelVersion:
        model, version = await self._model(name), await self._version(name, version_id)
        release = await self._active_release(name)
        if release is not None and release.candidate != version.id:
            raise Conflict(
                f"a release of version {release.candidate_number} is under way: promote it or "
                "roll it back first"
            )
        if version.state not in (VersionState.ready, VersionState.retired):
            raise Conflict(
                f"version {version.number} is {version.state}: only a validated version can go live"
            )
        live = await self._store.versions.update(
            version.id, {"state": VersionState.live}, only_if_state=_LIVE_OR_READY
        )
        if live is None:
            raise Conflict(f"version {version.number} changed meanwhile; try again")
        previous = model.live_version
        if previous is not None and previous != version.id:
            await self._store.versions.update(previous, {"state": VersionState.ready})
        await self._store.models.update(name, {"live_version": version.id, "updated_at": utcnow()})
        await audit.record(
            self._store.audit,
            actor,
            "model.version.live",
            name,
            version=version.number,
            previous=previous,
        )
        await self._refresh()
        return live

    async def retire(self, actor: User, name: str, version_id: str) -> ModelVersion:
        model, version = await self._model(name), await self._version(name, version_id)
        if model.live_version == version.id:
            raise Conflict("the live version cannot be retired: make another version live first")
        await self._not_released(name, version)
        retired = await self._update(version, {"state": VersionState.retired})
        await audit.record(
            self._store.audit, actor, "model.version.retire", name, version=version.number
        )
        return retired

    async def delete_version(self, actor: User, name: str, version_id: str) -> None:
        model, version = await self._model(name), await self._version(name, version_id)
        if model.live_version == version.id:
            raise Conflict("the live version cannot be deleted: make another version live first")
        await self._not_released(name, version)
        await self._no_active_jobs(name, version.id)
        await self._store.versions.delete(version.id)
        shutil.rmtree(self._example_dir(version.id), ignore_errors=True)
        await audit.record(
            self._store.audit, actor, "model.version.delete", name, version=version.number
        )

    # --- starting and stopping ------------------------------------------------------

    def start(self) -> None:
        """Versions left `validating` by a stop are tried again; changes made through
        another replica are followed."""
        self._validation.start(self._revalidate())
        self._watch.start()

    async def stop(self) -> None:
        await self._watch.stop()
        await self._validation.stop()

    async def _revalidate(self) -> None:
        for managed in await self.all():
            for version in managed.versions:
                if version.state is VersionState.validating:
                    self._start_validation(managed.model, version)

    def _start_validation(self, model: ModelRecord, version: ModelVersion) -> None:
        spec = self._spec(model, version).model_copy(
            update={"version": version.id, "version_number": version.number}
        )
        self._validation.validate(model, version, spec)

    # --- helpers -----------------------------------------------------------------------

    def _example_dir(self, version_id: str) -> Path:
        return example_dir(self._settings, version_id)

    def _spec(self, model: ModelRecord, version: ModelVersion) -> ModelSpec:
        where = f"model '{model.id}'"
        try:
            return build_spec(model.id, entry_of(model, version), self._settings.models_dir, where)
        except RegistryError as exc:
            raise Invalid(str(exc).replace(f"{where} field", "the field")) from None

    async def _numbered(self, version: ModelVersion) -> ModelVersion:
        """The next number of its model; two added at once get two numbers."""
        for _ in range(5):
            taken = [v.number for v in await self._store.versions.of_model(version.model)]
            try:
                return await self._store.versions.create(
                    version.model_copy(update={"number": max(taken, default=0) + 1})
                )
            except DuplicateError:
                continue
        raise Conflict("several versions were added at once; try again")

    async def _update(self, version: ModelVersion, changes: dict[str, Any]) -> ModelVersion:
        updated = await self._store.versions.update(version.id, changes)
        if updated is None:
            raise NotFound(f"version {version.number} of '{version.model}' was deleted meanwhile")
        return updated

    async def _model(self, name: str) -> ModelRecord:
        return await model_record(self._store, name)

    async def _version(self, name: str, version_id: str) -> ModelVersion:
        return await version_record(self._store, name, version_id)

    async def _active_release(self, name: str) -> Release | None:
        return next((r for r in await self._store.releases.active() if r.model == name), None)

    async def _not_released(self, name: str, version: ModelVersion) -> None:
        release = await self._active_release(name)
        if release is not None and release.candidate == version.id:
            raise Conflict(
                f"version {version.number} is being released: roll the release back first"
            )

    async def _no_active_jobs(self, name: str, version_id: str | None) -> None:
        for status in (JobStatus.queued, JobStatus.running):
            page = await self._store.jobs.query(
                JobQuery(model=name, status=status, lane=None, limit=500)
            )
            if any(version_id in (None, j.model_version) for j in page.data):
                raise Conflict(
                    f"jobs of '{name}' are {status}: cancel them or wait for them to end first"
                )

    async def _follow(self) -> None:
        """The registry again when the store's models changed since the last look (through
        another replica: this one's own changes record what they left)."""
        seen = await self._snapshot()
        if self._seen is not None and seen != self._seen:
            await self._refresh(announce=False)
        self._seen = seen

    async def _snapshot(self) -> tuple[tuple[str, str | None, bool, str], ...]:
        return tuple(
            (m.id, m.live_version, m.enabled, m.updated_at.isoformat())
            for m in await self._store.models.all()
        )

    async def _refresh(self, announce: bool = True) -> None:
        """The registry of live versions again, taken in place by the executor."""
        self._seen = await self._snapshot()  # before reading: a later change still shows
        settings = self._settings
        registry = await live_registry(self._store, settings.models_file, settings.models_dir)
        await self._catalog.adopt(registry, announce=announce)  # in place: no restart
