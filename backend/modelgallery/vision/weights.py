"""Fetching model weights: from their URLs, or from a mirror (a local folder or URL
prefix), always checked against the registry's sha256. Only the explicit `fetch-models`
command downloads; nothing does at run time."""

from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from tqdm import tqdm

from .registry import ModelSpec, WeightFile

_CHUNK = 1 << 20


class FetchError(Exception):
    pass


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_spec(spec: ModelSpec, mirror: str | None, show_progress: bool = True) -> list[str]:
    """Make every weight file of `spec` present and verified. Returns what was done."""
    done = []
    for weight, dest in zip(spec.weights, spec.weight_paths, strict=True):
        if dest.is_file() and (weight.sha256 is None or sha256_of(dest) == weight.sha256):
            done.append(f"{weight.file}: present")
            continue
        source = _source(weight, mirror)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")
        try:
            _copy(source, partial, weight.file, show_progress)
            if weight.sha256 is not None:
                actual = sha256_of(partial)
                if actual != weight.sha256:
                    raise FetchError(
                        f"{weight.file}: sha256 mismatch (expected {weight.sha256}, got {actual}); "
                        "the file was not kept"
                    )
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        done.append(f"{weight.file}: fetched from {source}")
    return done


def _source(weight: WeightFile, mirror: str | None) -> str:
    name = weight.mirror_name or weight.file
    if mirror:
        if mirror.startswith(("http://", "https://")):
            return mirror.rstrip("/") + "/" + name
        return str(Path(mirror) / name)
    if not weight.url:
        raise FetchError(f"{weight.file}: no URL in the registry and no mirror given")
    return weight.url


def _copy(source: str, dest: Path, label: str, show_progress: bool) -> None:
    if source.startswith(("http://", "https://")):
        try:
            response = urllib.request.urlopen(source, timeout=60)  # noqa: S310 - URLs from the registry
        except OSError as exc:
            raise FetchError(f"{label}: cannot download {source}: {exc}") from None
        total = int(response.headers.get("Content-Length") or 0) or None
        stream = response
    else:
        path = Path(source)
        if not path.is_file():
            raise FetchError(f"{label}: not found in the mirror ({path})")
        total = path.stat().st_size
        stream = path.open("rb")
    with (
        stream,
        dest.open("wb") as out,
        tqdm(total=total, unit="B", unit_scale=True, desc=label, disable=not show_progress) as bar,
    ):
        while chunk := stream.read(_CHUNK):
            out.write(chunk)
            bar.update(len(chunk))


__all__ = ["FetchError", "fetch_spec", "sha256_of"]
