"""Weights of model versions added at run time, in object storage by their sha256 (`models/
<sha256>` in the bucket STORAGE_URL names), so that every worker node fetches the very file
the administrator uploaded and checks it before loading it."""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from .storage import ObjectStoreError, Remote

_CHUNK = 1 << 20


def _key(sha256: str) -> str:
    return f"models/{sha256}"


async def publish_weights(remote: Remote | None, path: Path, sha256: str) -> None:
    """Into the bucket (nothing without object storage: the models folder is the only copy)."""
    if remote is not None:
        await remote.put(_key(sha256), path)


async def fetch_weights(remote: Remote, sha256: str, target: Path) -> None:
    """The file of that digest from the bucket into `target`, checked before it is put in
    place (ObjectStoreError when it is missing or differs)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        await remote.get(_key(sha256), partial)
        actual = await asyncio.to_thread(_sha256, partial)
        if actual != sha256:
            raise ObjectStoreError(
                f"{target.name}: the bucket's copy has sha256 {actual}, not {sha256}"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
