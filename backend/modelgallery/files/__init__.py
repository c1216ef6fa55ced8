"""Job files: on local disk, and in object storage when STORAGE_URL is set."""

from __future__ import annotations

from pathlib import Path

from .storage import JobFiles


def open_job_files(root: Path, storage_url: str | None) -> JobFiles:
    """Job files on local disk under `root`, and in the bucket STORAGE_URL names when set
    (ObjectStoreError for a URL that names none)."""
    if not storage_url:
        return JobFiles(root)
    from .objects import open_object_store  # obstore is loaded only where it is configured

    return JobFiles(root, remote=open_object_store(storage_url))
