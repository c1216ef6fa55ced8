"""Storage: SQLite by default, MongoDB when MONGODB_URI is set."""

from __future__ import annotations

from ..core.settings import Settings
from .base import DuplicateError, Store

__all__ = ["DuplicateError", "Store", "create_store"]


def create_store(settings: Settings) -> Store:
    if settings.mongodb_uri is not None:
        from .mongo import MongoStore

        return MongoStore(settings.mongodb_uri.get_secret_value(), settings.mongodb_db)
    from .sqlite import SqliteStore

    return SqliteStore(settings.sqlite_path)
