"""Fetching model weights: from their URLs, or from a mirror (a local folder or URL
prefix), always checked against a sha256: the registry's, or for a file the registry pins
none for, the one recorded beside it at its first download (`<file>.sha256`, in
`sha256sum` format). Only the explicit `fetch-models` command downloads; nothing does at
run time, and a worker checks the same digests before it loads a model."""

from __future__ import annotations

import hashlib
import http.client
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from tqdm import tqdm

from ..core.settings import REPO_ROOT, Settings
from .registry import ModelSpec, Registry, WeightFile

_CHUNK = 1 << 20
_TIMEOUT_S = 30
DIGEST_SUFFIX = ".sha256"
# The repository's offline registry and where this checkout keeps its mirror (README).
OFFLINE_REGISTRY = REPO_ROOT / "models" / "offline.toml"
OFFLINE_MIRROR = REPO_ROOT.parent / "shared" / "assets" / "models"


class FetchError(Exception):
    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable  # the server could not be reached at all


class WeightError(Exception):
    """A weight file differs from its digest, or its recorded digest is unreadable."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def digest_record(path: Path) -> Path:
    return path.with_name(path.name + DIGEST_SUFFIX)


def expected_sha256(weight: WeightFile, path: Path) -> tuple[str | None, str]:
    """The digest `path` must have, and where it comes from (for messages)."""
    if weight.sha256 is not None:
        return weight.sha256, "the registry"
    record = digest_record(path)
    if not record.is_file():
        return None, ""
    digest = record.read_text().split(maxsplit=1)[0] if record.stat().st_size else ""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise WeightError(
            f"{record.name} holds no sha256; delete it and run `modelgallery fetch-models` "
            "to record the digest again"
        )
    return digest, f"{record.name}, recorded at its first download"


def verify_weights(spec: ModelSpec) -> None:
    """Before a model loads: every weight file against its pinned or recorded digest."""
    for weight, path in zip(spec.weights, spec.weight_paths, strict=True):
        expected, source = expected_sha256(weight, path)
        if expected is None:
            continue
        actual = sha256_of(path)
        if actual != expected:
            raise WeightError(
                f"{weight.file}: sha256 {actual} differs from {expected} ({source}); run "
                f"`modelgallery fetch-models {spec.name}` to fetch it again"
            )


def fetch_spec(
    spec: ModelSpec,
    mirror: str | None,
    show_progress: bool = True,
    unreachable: set[str] | None = None,
) -> list[str]:
    """Make every weight file of `spec` present and verified. Returns what was done.
    `unreachable`: hosts that could not be reached; they are not tried again (and hosts
    that fail here are added), so that an offline machine does not wait once per file."""
    done = []
    for weight, dest in zip(spec.weights, spec.weight_paths, strict=True):
        try:
            expected, source_of_digest = expected_sha256(weight, dest)
        except WeightError as exc:
            raise FetchError(str(exc)) from None
        if dest.is_file():
            if expected is None and not weight.url:  # made here (trained): nothing to check
                done.append(f"{weight.file}: present")
                continue
            actual = sha256_of(dest)
            if expected is None:  # fetched before digests were recorded
                _record(dest, actual)
                done.append(f"{weight.file}: present, sha256 recorded in {dest.name}.sha256")
                continue
            if actual == expected:
                done.append(f"{weight.file}: present")
                continue
        source = _source(weight, mirror)
        dest.parent.mkdir(parents=True, exist_ok=True)
        partial = dest.with_name(dest.name + ".part")
        try:
            _copy(source, partial, weight.file, show_progress, unreachable)
            actual = sha256_of(partial)
            if expected is not None and actual != expected:
                raise FetchError(
                    f"{weight.file}: sha256 mismatch (expected {expected} from "
                    f"{source_of_digest}, got {actual}); the file was not kept"
                )
            partial.replace(dest)
        finally:
            partial.unlink(missing_ok=True)
        if expected is None:
            _record(dest, actual)
            done.append(f"{weight.file}: fetched from {source}, sha256 recorded")
        else:
            done.append(f"{weight.file}: fetched from {source}")
    return done


def offline_fix(settings: Settings) -> str:
    """The command that serves the same services on the offline mirror's files: `make run`
    in a checkout, `fetch-models --mirror` in an installed package."""
    mirror = settings.models_mirror or (
        str(OFFLINE_MIRROR) if OFFLINE_MIRROR.is_dir() else "<folder or URL of the mirror>"
    )
    if (REPO_ROOT / "Makefile").is_file() and OFFLINE_REGISTRY.is_file():
        return f"MODELS_FILE={OFFLINE_REGISTRY} MODELS_MIRROR={mirror} make -C {REPO_ROOT} run"
    return f"modelgallery fetch-models --mirror {mirror}"


def unavailable_line(specs: list[ModelSpec], cause: str, settings: Settings) -> str:
    """One line for the log: which services lack weights, why, and what fixes it."""
    names = ", ".join(f"{s.title} [{s.name}]" for s in specs)
    return (
        f"unavailable, weights missing: {names}; {cause}. Fix: `modelgallery fetch-models` "
        f"with internet, or without: `{offline_fix(settings)}`"
    )


def missing_weights_line(registry: Registry, settings: Settings) -> str | None:
    missing = [s for s in registry.models.values() if s.enabled and s.missing_weights()]
    if not missing:
        return None
    return unavailable_line(missing, "they were not fetched", settings)


def _record(path: Path, digest: str) -> None:
    record = digest_record(path)
    partial = record.with_name(record.name + ".part")
    partial.write_text(f"{digest}  {path.name}\n")
    partial.replace(record)


def _source(weight: WeightFile, mirror: str | None) -> str:
    name = weight.mirror_name or weight.file
    if mirror:
        if mirror.startswith(("http://", "https://")):
            return mirror.rstrip("/") + "/" + name
        return str(Path(mirror) / name)
    if not weight.url:
        raise FetchError(f"{weight.file}: no URL in the registry and no mirror given")
    return weight.url


def _copy(
    source: str, dest: Path, label: str, show_progress: bool, unreachable: set[str] | None
) -> None:
    if source.startswith(("http://", "https://")):
        host = urllib.parse.urlsplit(source).netloc
        if unreachable is not None and host in unreachable:
            raise FetchError(f"{label}: {host} is unreachable", unreachable=True)
        try:
            response = urllib.request.urlopen(source, timeout=_TIMEOUT_S)  # noqa: S310 - URLs from the registry
        except urllib.error.HTTPError as exc:  # the server answered
            raise FetchError(f"{label}: cannot download {source}: {exc}") from None
        except OSError as exc:
            if unreachable is not None:
                unreachable.add(host)
            reason = getattr(exc, "reason", exc)
            raise FetchError(f"{label}: {host} is unreachable ({reason})", True) from None
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
        try:
            while chunk := stream.read(_CHUNK):
                out.write(chunk)
                bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{label}: copying {source} broke off: {exc!r}") from None


__all__ = [
    "FetchError",
    "WeightError",
    "digest_record",
    "fetch_spec",
    "missing_weights_line",
    "offline_fix",
    "sha256_of",
    "unavailable_line",
    "verify_weights",
]
