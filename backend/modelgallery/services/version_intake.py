"""A model version's files as an administrator uploads them: the weights stream into a staging
folder (size-limited, hashed on the way: `api/uploads.receive`), are named by their sha256 and
moved into the models folder, where a file already there is named instead; the example input
is checked like any upload. Then `ModelManager.add_version` records the version and starts its
validation. The staging folder goes whatever happens."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.disk import DiskGuard
from ..core.settings import Settings
from ..files.storage import ObjectStoreError, Remote
from ..files.weights import publish_weights
from ..media.check import check
from ..media.sniff import MediaError
from ..store.model_records import ModelVersion, StoredWeight
from ..store.records import User, new_id
from ..vision.registry import FAMILIES, family_class
from ..vision.weights import sha256_of
from .errors import (
    NO_FILE_STORAGE,
    InsufficientStorage,
    Invalid,
    NotFound,
    Unavailable,
    UnsupportedMedia,
)
from .intake import Received, UploadedFile
from .model_manager import Example, ModelManager

_MAX_FILES = 6  # weights (an OpenVINO IR is two), a labels file, the example
_JSON_FIELDS = ("options", "params", "card")
_PLAIN = re.compile(r"[A-Za-z0-9._-]+")


@dataclass
class VersionUpload:
    """Where the request's files go (`api/uploads.Destination`)."""

    folder: Path
    max_bytes: int
    declared_bytes: int | None
    disk: DiskGuard
    max_files: int = _MAX_FILES
    file_fields: tuple[str, ...] = ("weights", "example")

    def check_room(self, incoming_bytes: int = 0) -> None:
        if not self.disk.room_for(incoming_bytes):
            raise InsufficientStorage()


def _name_prefixes(parts: list[UploadedFile]) -> list[str]:
    """What each uploaded weight's stored name starts with: the start of its sha256, so
    that files of the same name and other content never meet. An OpenVINO IR's `.xml` and
    `.bin` of one stem share a prefix made from both digests, because OpenVINO reads the
    `.bin` named as the `.xml` (and a new `.bin` under an unchanged `.xml` gets its own)."""
    prefixes = [part.sha256[:16] for part in parts]
    stems = [Path(part.name.lower()) for part in parts]
    for i, xml in enumerate(stems):
        if xml.suffix != ".xml":
            continue
        for j, other in enumerate(stems):
            if other.suffix == ".bin" and other.stem == xml.stem:
                pair = hashlib.sha256(f"{parts[i].sha256}:{parts[j].sha256}".encode())
                prefixes[i] = prefixes[j] = pair.hexdigest()[:16]
    return prefixes


class VersionIntake:
    def __init__(
        self, settings: Settings, disk: DiskGuard, manager: ModelManager, remote: Remote | None
    ) -> None:
        self._settings, self._disk, self._manager = settings, disk, manager
        self._remote = remote  # the bucket the nodes fetch weights from (STORAGE_URL)

    @asynccontextmanager
    async def staging(self, declared_bytes: int | None) -> AsyncIterator[VersionUpload]:
        folder = self._settings.data_dir / "model-uploads" / new_id()
        folder.mkdir(parents=True)
        max_bytes = int(self._settings.max_weights_mb * 1024 * 1024)
        try:
            yield VersionUpload(folder, max_bytes, declared_bytes, self._disk)
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def submit(self, actor: User, name: str, received: Received) -> ModelVersion:
        managed = await self._manager.one(name)  # 404 before any file is moved
        fields = _fields(received.fields)
        parts = [f for f in received.files if f.field == "weights"]
        examples = [f for f in received.files if f.field == "example"]
        existing = [n.strip() for n in fields.pop("existing", "").split(",") if n.strip()]
        if not parts and not existing:
            raise Invalid(
                "attach the weights in the form field 'weights', or name files "
                "already in the models folder in 'existing'"
            )
        if len(examples) > 1:
            raise Invalid("attach one example input at most")
        weights = [await self._existing(n) for n in existing]
        moved: list[Path] = []
        try:
            prefixes = _name_prefixes(parts)
            for part, prefix in zip(parts, prefixes, strict=True):
                weight, target, new = await self._place(part, prefix)
                weights.append(weight.model_copy(update={"size": part.size}))
                moved += [target] if new else []
            await self._publish(weights)
            uploaded = zip(parts, weights[len(existing) :], strict=True)
            _stored_names(fields, {part.name: weight.file for part, weight in uploaded})
            example = await self._example(examples[0], managed.model.family) if examples else None
            return await self._manager.add_version(actor, name, weights, fields, example)
        except BaseException:
            for path in moved:  # nothing else names a file that was not there before
                path.unlink(missing_ok=True)
            raise

    async def _place(self, part: UploadedFile, prefix: str) -> tuple[StoredWeight, Path, bool]:
        clean = "".join(c if _PLAIN.fullmatch(c) else "_" for c in part.name)[-80:].lstrip(".")
        target = self._settings.models_dir / f"{prefix}-{clean or 'weights'}"
        new = not target.exists()
        if new:
            target.parent.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(shutil.move, part.path, target)
        return StoredWeight(file=target.name, sha256=part.sha256), target, new

    async def _publish(self, weights: list[StoredWeight]) -> None:
        """Into object storage by sha256, for the worker nodes (no-op without it)."""
        for weight in weights:
            assert weight.sha256 is not None
            try:
                path = self._settings.models_dir / weight.file
                await publish_weights(self._remote, path, weight.sha256)
            except ObjectStoreError as exc:
                raise Unavailable(f"{NO_FILE_STORAGE} ({exc})", retry_after_s=30) from None

    async def _existing(self, name: str) -> StoredWeight:
        path = self._settings.models_dir / name
        if not _PLAIN.fullmatch(name) or not path.is_file():
            raise NotFound(f"there is no file named '{name}' in the models folder")
        digest = await asyncio.to_thread(sha256_of, path)
        return StoredWeight(file=name, sha256=digest, size=path.stat().st_size)

    async def _example(self, part: UploadedFile, family: str) -> Example:
        kinds = list(family_class(FAMILIES.get(family, family)).kinds)
        try:
            found = await asyncio.to_thread(check, part.path, kinds)
        except MediaError as exc:
            raise UnsupportedMedia(f"the example '{part.name}': {exc}") from None
        path = part.path.with_name(f"example{found.extension}")
        part.path.rename(path)
        return Example(path=path, name=part.name, media_type=found.media_type)


def _stored_names(fields: dict[str, Any], stored: dict[str, str]) -> None:
    """A labels file named in the options as it was uploaded, by the name it is kept under."""
    options = fields.get("options")
    if isinstance(options, dict) and isinstance(options.get("labels"), str):
        options["labels"] = stored.get(options["labels"], options["labels"])


def _fields(raw: dict[str, str]) -> dict[str, Any]:
    known = {"runtime", "note", "existing", *_JSON_FIELDS}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise Invalid(f"unknown field '{unknown[0]}' (known: {', '.join(sorted(known))})")
    fields: dict[str, Any] = {k: v for k, v in raw.items() if v != ""}
    for key in _JSON_FIELDS:
        if key in fields:
            try:
                value = json.loads(fields[key])
            except ValueError as exc:
                raise Invalid(f"the field '{key}' is not valid JSON: {exc}") from None
            if not isinstance(value, dict):
                raise Invalid(f"the field '{key}' must be a JSON object")
            fields[key] = value
    return fields
