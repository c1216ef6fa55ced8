"""Validating model versions in the background: each new version is tried where its group's
models run (`Executor.validate`: a process spawned for it on this machine, or a worker node
of its group) and its record becomes `ready`, with what was measured and where, or `failed`,
with the reason. Only a version still `validating` is changed, so a version edited or
deleted meanwhile is left as it is."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from ..core.settings import Settings
from ..jobs.lifecycle.executor import Executor, ValidationFailed
from ..media.sniff import kind_of
from ..store.base import Store
from ..store.model_records import ModelRecord, ModelVersion, VersionState
from ..store.records import utcnow
from ..vision.model import InputItem
from ..vision.spec import ModelSpec

log = logging.getLogger(__name__)


def example_dir(settings: Settings, version_id: str) -> Path:
    """Where a version's example input (and what validation wrote from it) is kept."""
    return settings.data_dir / "model-examples" / version_id


class VersionValidation:
    def __init__(self, settings: Settings, store: Store, executor: Executor) -> None:
        self._settings, self._store, self._executor = settings, store, executor
        self._running: set[asyncio.Task[None]] = set()

    def start(self, first: Coroutine[Any, Any, None]) -> None:
        self._track(asyncio.create_task(first, name="revalidate"))

    async def stop(self) -> None:
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)

    async def wait(self) -> None:
        """Until every validation started so far has ended (tests, the CLI)."""
        await asyncio.gather(*list(self._running), return_exceptions=True)

    def validate(self, model: ModelRecord, version: ModelVersion, spec: ModelSpec) -> None:
        self._track(
            asyncio.create_task(self._validate(model, version, spec), name=f"validate-{version.id}")
        )

    def _track(self, task: asyncio.Task[None]) -> None:
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _validate(self, model: ModelRecord, version: ModelVersion, spec: ModelSpec) -> None:
        changes: dict[str, Any]
        try:
            validated = await self._executor.validate(
                spec, self._example(version), timeout_s=self._settings.worker_start_timeout_s
            )
        except ValidationFailed as exc:
            changes = {"state": VersionState.failed, "reason": str(exc)}
        except Exception as exc:  # the validation itself broke: said, not hidden
            log.exception("validating %s version %d", model.id, version.number)
            changes = {"state": VersionState.failed, "reason": f"validation could not run: {exc}"}
        else:
            changes = {"state": VersionState.ready, "validation": validated.as_record()}
        changes["validated_at"] = utcnow()
        await self._store.versions.update(
            version.id, changes, only_if_state=[VersionState.validating]
        )
        log.info("model %s version %d: %s", model.id, version.number, changes["state"])

    def _example(self, version: ModelVersion) -> InputItem | None:
        if not version.example:
            return None
        stored, name, media_type = version.example.split("\n")
        path = example_dir(self._settings, version.id) / stored
        return InputItem(path=path, name=name, media_type=media_type, kind=kind_of(media_type))
