"""This release's version, as installed (pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def app_version() -> str:
    try:
        return version("modelgallery")
    except PackageNotFoundError:
        return "unknown"
