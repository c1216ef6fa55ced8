"""Job folders on local disk: `<data>/jobs/<id>/input/` and `<data>/jobs/<id>/output/`.
The seam for a shared volume or an object store later. No name from a request is ever used
as a path without passing `_safe_name`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

_JOB_ID = re.compile(r"^[0-9a-f]{32}$")
_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


class UnsafePathError(ValueError):
    pass


class JobFiles:
    def __init__(self, root: Path) -> None:
        self.root = root

    def job_dir(self, job_id: str) -> Path:
        if not _JOB_ID.fullmatch(job_id):  # fullmatch: `$` would let a final newline by
            raise UnsafePathError("not a job id")
        return self.root / job_id

    def input_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "input"

    def output_dir(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "output"

    def input_path(self, job_id: str, name: str) -> Path:
        return self._inside(self.input_dir(job_id), name)

    def output_path(self, job_id: str, name: str) -> Path:
        return self._inside(self.output_dir(job_id), name)

    def create(self, job_id: str) -> None:
        self.input_dir(job_id).mkdir(parents=True, exist_ok=True)
        self.output_dir(job_id).mkdir(parents=True, exist_ok=True)

    def remove(self, job_id: str) -> None:
        shutil.rmtree(self.job_dir(job_id), ignore_errors=True)

    @staticmethod
    def _inside(folder: Path, name: str) -> Path:
        if not _FILE_NAME.fullmatch(name) or ".." in name:
            raise UnsafePathError(f"not a valid file name: {name!r}")
        path = (folder / name).resolve()
        if path.parent != folder.resolve():
            raise UnsafePathError(f"not a valid file name: {name!r}")
        return path
