"""A runtime choice measured once per model and machine, kept beside the weights (where the
exports are cached): every worker of a group, and every later start, serves the model on the
same runtime, so the same image gets the same numbers whichever worker runs it, and a start
after the first builds only the runtime it serves on.

The record's name holds a digest of everything the timing depends on: the weights' sha256,
the runtimes' versions, the CPU's instruction sets, the thread count and what the trial ran
(its input's shape). A change of any of them measures again. The first worker to measure
holds a lock on the record's folder entry; the others wait for it and read its record.

A batch's speed-up (`measured`) is kept the same way, keyed as well by the runtime it was
timed on: a start after the first times nothing."""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import platform
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path

from ..declarations import RuntimeChoice, RuntimeName
from ..weights import sha256_of

log = logging.getLogger(__name__)

# The packages whose version changes a runtime's speed.
_PACKAGES = ("onnxruntime", "openvino", "ai-edge-litert", "torch", "tensorflow", "ultralytics")


@dataclass(frozen=True)
class Remembered:
    """Where one model's choice on this machine is kept."""

    path: Path

    def read(self, runtimes: Collection[RuntimeName]) -> RuntimeChoice | None:
        """The remembered choice, when there is one for a runtime still offered."""
        try:
            choice = RuntimeChoice.model_validate_json(self.path.read_bytes())
        except (OSError, ValueError):
            return None
        return choice if choice.chosen in runtimes else None

    def write(self, choice: RuntimeChoice) -> None:
        """Kept for the next worker and start; a folder that cannot be written (a read-only
        models folder) only means measuring again next time."""
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        try:
            partial.write_text(choice.model_dump_json(indent=2))
            os.replace(partial, self.path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            log.info("the runtime choice is not kept in %s: %s", self.path.parent, exc)

    @contextmanager
    def measuring(self) -> Iterator[None]:
        """Held while one worker measures: the others wait, then read its record."""
        lock = self.path.with_name(f".{self.path.name}.lock")
        try:
            handle = lock.open("a")
        except OSError:  # nowhere to lock: each measures for itself
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def remembered(weights: Path, threads: int, trial: str) -> Remembered | None:
    """Where the choice for these weights is kept on this machine; None for weights that
    are a folder (hashed by nobody)."""
    path = _record(weights, {"threads": threads, "trial": trial}, "runtime")
    return Remembered(path) if path else None


@dataclass(frozen=True)
class Measured:
    """A figure measured once per model and machine, beside its runtime choice: a batch's
    speed-up over one image at a time (`jobs/runner.py`), which takes seconds to time."""

    path: Path

    def read(self) -> float | None:
        try:
            value = json.loads(self.path.read_bytes())["value"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return float(value) if isinstance(value, int | float) else None

    def write(self, value: float) -> None:
        """Kept for the next start; a folder that cannot be written only means measuring
        again next time."""
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.part")
        try:
            partial.write_text(json.dumps({"value": value}))
            os.replace(partial, self.path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            log.info("a measurement is not kept in %s: %s", self.path.parent, exc)


def measured(weights: Collection[Path], what: str, facts: Mapping[str, object]) -> Measured | None:
    """Where `what` measured for these weights is kept, keyed like a runtime choice (their
    sha256, the runtimes' versions, the CPU) and by `facts` (the runtime it was timed on,
    the options that shape the input...); None for a model without a weights file."""
    files = sorted((path for path in weights if path.is_file()), key=lambda p: p.name)
    if not files:
        return None
    others = {path.name: _digest(path) for path in files[1:]}
    path = _record(files[0], {"what": what, "others": others, **facts}, what)
    return Measured(path) if path else None


def _record(weights: Path, facts: Mapping[str, object], kind: str) -> Path | None:
    """A record's path beside `weights`, its name a digest of what the record depends on:
    the weights' sha256, the runtimes' versions, the CPU's instruction sets, and `facts`."""
    if not weights.is_file():
        return None
    key = {"sha256": _digest(weights), "versions": _versions(), "cpu": _cpu(), **facts}
    text = json.dumps(key, sort_keys=True, default=str)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    return weights.with_name(f"{weights.stem}.{digest}.{kind}.json")


def _digest(path: Path) -> str:
    stat = path.stat()
    return _sha256(path, stat.st_mtime_ns, stat.st_size)


@cache
def _sha256(path: Path, _mtime_ns: int, _size: int) -> str:
    return sha256_of(path)  # once per file and content in a process


@cache
def _versions() -> dict[str, str]:
    found = {}
    for package in _PACKAGES:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found


@cache
def _cpu() -> str:
    """The CPU's model and instruction sets (a VM can move to another CPU between starts)."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    wanted = ("model name", "flags")  # the first processor's: every core is the same CPU
    facts = [line.split(":", 1)[1].strip() for line in lines if line.startswith(wanted)]
    return hashlib.sha256(" ".join(facts[:2]).encode()).hexdigest()[:16]
