"""Fixtures for the store contract suite: every test that takes `store` runs on both backends.

The session-wide `mongo_server` comes from tests/conftest.py."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from modelgallery.store.base import Store
from modelgallery.store.mongo import MongoStore
from modelgallery.store.sqlite import SqliteStore
from tests.support.mongo import MongoTestServer

StoreFactory = Callable[[], Store]


@pytest.fixture(params=["sqlite", pytest.param("mongodb", marks=pytest.mark.mongodb)])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreFactory]:
    """Makes unopened stores that all point at this test's own database."""
    if request.param == "sqlite":
        path = tmp_path / "data" / "store.sqlite"
        yield lambda: SqliteStore(path)
        return
    server: MongoTestServer = request.getfixturevalue("mongo_server")
    uri = server.uri
    assert uri is not None
    db_name = f"test_{uuid.uuid4().hex}"
    yield lambda: MongoStore(uri, db_name)
    with MongoClient(uri) as client:
        client.drop_database(db_name)


@pytest.fixture
async def store(make_store: StoreFactory) -> AsyncIterator[Store]:
    opened = make_store()
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()
