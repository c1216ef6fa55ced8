"""The model files of a backup (`cli/backup.py`): the weights that the store's model versions
name in the models folder (`MODELS_DIR`), and the versions' example inputs.

Every weight file a version names is in the archive once, as `models/<file>`, checked against
the sha256 the store records for it, except a file that `modelgallery fetch-models` fetches
again: one of `models.toml` with a URL. A weight that is not in the models folder, or whose
content differs from what the store records, is left out and named (the rest of the backup
goes on). A version's example input is `model-examples/<version id>/<file>` in the data
folder (`services.model_validation.example_dir`). The database says which files: what a
version names after the copy was taken is not in it.

A restore puts each weight back into the models folder under its name, where a file of the
same content may already be; a different file of that name is replaced only with `--force`."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..store.model_records import ModelVersion

MODELS = "models"  # models/<file> in the archive: MODELS_DIR/<file>
EXAMPLES = "model-examples"  # model-examples/<version id>/<file>: the same in DATA_DIR
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")  # a plain name; no '.', '..' or dot file
_BLOCK = 1 << 20


@dataclass
class ModelFile:
    """A file of a model version that the backup holds."""

    path: Path
    name: str  # in the archive
    sha256: set[str]  # what the store records for it; empty for an example input
    versions: list[str]  # "model v2", the versions that name it

    @property
    def weight(self) -> bool:
        return self.name.startswith(f"{MODELS}/")


@dataclass
class LeftOut:
    """A file a version names that the backup does not hold, or that a restore did not put
    back, and why."""

    file: str
    reason: str  # refetch | missing | mismatch | absent
    versions: list[str] = field(default_factory=list)
    detail: str = ""

    @property
    def problem(self) -> bool:
        """Lost unless it is copied by hand: a file fetch-models cannot bring back."""
        return self.reason in ("missing", "mismatch")

    def sentence(self) -> str:
        used = f" ({', '.join(self.versions)})" if self.versions else ""
        return f"{self.file}{used}: {self.detail or _REASONS[self.reason]}"


_REASONS = {
    "refetch": "from models.toml; `modelgallery fetch-models` fetches it again",
    "missing": "not in the models folder",
    "mismatch": "its content differs from the sha256 the store records",
    "absent": "from models.toml, which has no URL for it, and not in the models folder",
}


def versions_of(db: sqlite3.Connection) -> list[ModelVersion]:
    """The model versions of a database (none in one older than issue 21's tables)."""
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'model_versions'"
    ).fetchone()
    if found is None:
        return []
    rows = db.execute("SELECT data FROM model_versions ORDER BY model, number").fetchall()
    return [ModelVersion.model_validate_json(row[0]) for row in rows]


def to_back_up(
    versions: list[ModelVersion], models_dir: Path, data_dir: Path
) -> tuple[list[ModelFile], list[LeftOut]]:
    """What the backup should hold, and the weights it leaves out (before any is read)."""
    files: list[ModelFile] = []
    left: list[LeftOut] = []
    for name, refs in _weights(versions).items():
        labels = _labels(v for v, _ in refs)
        if any(url for _, url in refs) or not (models_dir / name).is_file():
            left.append(_not_here(name, refs))
        elif not _NAME.fullmatch(name):
            left.append(LeftOut(name, "missing", labels, "a name no backup can hold"))
        else:
            recorded = {w.sha256 for v, _ in refs for w in v.weights if w.file == name and w.sha256}
            files.append(ModelFile(models_dir / name, f"{MODELS}/{name}", recorded, labels))
    for version in versions:
        stored = (version.example or "").split("\n")[0]
        if stored and _NAME.fullmatch(version.id) and _NAME.fullmatch(stored):
            path = data_dir / EXAMPLES / version.id / stored
            name = f"{EXAMPLES}/{version.id}/{stored}"
            files.append(ModelFile(path, name, set(), _labels([version])))
    return files, left


def not_in_place(versions: list[ModelVersion], models_dir: Path) -> list[LeftOut]:
    """The weights the versions name that the models folder lacks (after a restore)."""
    return [
        _not_here(name, refs)
        for name, refs in _weights(versions).items()
        if not (models_dir / name).is_file()
    ]


def _not_here(name: str, refs: list[tuple[ModelVersion, bool]]) -> LeftOut:
    """Why a weight is not in the archive: fetch-models fetches it (it has a URL), or it is
    not in the models folder (and was uploaded, or named by models.toml only)."""
    labels = _labels(v for v, _ in refs)
    if any(url for _, url in refs):
        return LeftOut(name, "refetch", labels)
    uploaded = any(v.created_by is not None for v, _ in refs)
    return LeftOut(name, "missing" if uploaded else "absent", labels)


def mismatch(file: ModelFile, sha256: str) -> LeftOut | None:
    """Why a file read into the archive must not stay there: its content is not what the
    store records."""
    if not file.sha256 or file.sha256 == {sha256}:
        return None
    recorded = ", ".join(sorted(s[:12] + "…" for s in file.sha256))
    detail = f"its sha256 is {sha256[:12]}…, the store records {recorded}; not backed up"
    return LeftOut(file.name.removeprefix(f"{MODELS}/"), "mismatch", file.versions, detail)


def valid_name(name: str) -> bool:
    """Whether an archive entry is a model file a restore may write (models/<file> or
    model-examples/<version>/<file>)."""
    parts = name.split("/")
    if parts[0] == MODELS:
        return len(parts) == 2 and bool(_NAME.fullmatch(parts[1]))
    if parts[0] == EXAMPLES:
        return len(parts) == 3 and all(_NAME.fullmatch(p) for p in parts[1:])
    return False


def weight_file(name: str) -> str | None:
    """The models-folder file of an archive entry, or None for an entry of the data folder."""
    prefix = f"{MODELS}/"
    return name[len(prefix) :] if name.startswith(prefix) else None


def same_file(path: Path, size: int, sha256: str) -> bool | None:
    """Whether the file at `path` has this content: None where there is no file."""
    if not path.exists() and not path.is_symlink():
        return None
    if not path.is_file() or path.stat().st_size != size:
        return False
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_BLOCK):
            digest.update(chunk)
    return digest.hexdigest() == sha256


def unrecorded(versions: list[ModelVersion], weights: dict[str, str]) -> str | None:
    """Why weights of an archive (file: sha256) do not belong to its database's versions:
    each must be named by one at least, with the sha256 it records."""
    named = _weights(versions)
    for file, sha256 in weights.items():
        refs = named.get(file)
        if not refs:
            return f"{MODELS}/{file} is named by no model version of its database"
        for version, _ in refs:
            for w in version.weights:
                if w.file == file and w.sha256 not in (None, sha256):
                    return (
                        f"{MODELS}/{file} does not match the sha256 that {_labels([version])[0]}"
                        f" records ({sha256[:12]}…; recorded {w.sha256[:12]}…)"
                    )
    return None


def _weights(versions: list[ModelVersion]) -> dict[str, list[tuple[ModelVersion, bool]]]:
    """Each weight file named, with the versions that name it and whether it has a URL."""
    named: dict[str, list[tuple[ModelVersion, bool]]] = {}
    for version in versions:
        for weight in version.weights:
            named.setdefault(weight.file, []).append((version, bool(weight.url)))
    return dict(sorted(named.items()))


def _labels(versions: Iterable[ModelVersion]) -> list[str]:
    return list(dict.fromkeys(f"{v.model} v{v.number}" for v in versions))
