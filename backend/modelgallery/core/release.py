"""This release's version, as installed (pyproject.toml)."""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache  # read once per process: every result names it (`Model.provenance`)
def app_version() -> str:
    try:
        return version("modelgallery")
    except PackageNotFoundError:
        return "unknown"
