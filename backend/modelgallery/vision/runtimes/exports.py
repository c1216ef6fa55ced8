"""Exported copies of a checkpoint for a faster runtime, cached next to it under a name that
holds the checkpoint's sha256: a changed checkpoint is exported again, an unchanged one
never. Exports are written to a temporary name and renamed, so two workers starting
together never read half a file."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from ..weights import sha256_of

_DIGEST_CHARS = 16  # of the hex sha256: plenty to tell versions of one file apart


def export_path(source: Path, suffix: str) -> Path:
    """Where the export of `source` with `suffix` is cached (made or not)."""
    digest = sha256_of(source)[:_DIGEST_CHARS]
    return source.with_name(f"{source.stem}.{digest}{suffix}")


def exported(source: Path, suffix: str, export: Callable[[Path], None]) -> Path:
    """The export of `source` with `suffix` (e.g. ".onnx"), made by `export(target)` when
    it is not cached yet. Raises what `export` raises; nothing half-written is kept."""
    target = export_path(source, suffix)
    if target.exists():
        return target
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        export(partial)
        os.replace(partial, target)
    finally:
        if partial.is_dir():
            shutil.rmtree(partial, ignore_errors=True)
        else:
            partial.unlink(missing_ok=True)
    return target
