"""A write that finds the disk full answers 507 with a sentence a person understands, from
whichever layer met it: a file (ENOSPC, on /dev/full), the SQLite store (SQLITE_FULL, a
database that may not grow), or a contact message that cannot be stored."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from modelgallery.api.errors import install_error_handlers
from modelgallery.contact.outbox import ContactForm, Outbox
from modelgallery.core.disk import DiskGuard
from modelgallery.core.settings import Settings
from modelgallery.services.contact import ContactService
from modelgallery.services.errors import OUT_OF_STORAGE, InsufficientStorage
from modelgallery.store.sqlite import SqliteStore

DEV_FULL = Path("/dev/full")
FORM = ContactForm(name="Zoë", email="zoe@example.com", subject="Hello", message="Are you there?")


def app_with_failing_writes(db_path: Path) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/file")
    def write_file() -> None:
        with DEV_FULL.open("wb") as fh:
            fh.write(b"x" * 65536)

    @app.post("/record")
    def write_record() -> None:
        db = sqlite3.connect(db_path, isolation_level=None)
        try:
            db.execute("CREATE TABLE IF NOT EXISTS t (x TEXT)")
            (pages,) = db.execute("PRAGMA page_count").fetchone()
            db.execute(f"PRAGMA max_page_count = {pages}")
            db.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
        finally:
            db.close()

    @app.post("/missing")
    def read_missing() -> None:
        (db_path.parent / "missing").read_bytes()

    return app


@pytest.mark.skipif(not DEV_FULL.exists(), reason="needs /dev/full (Linux)")
async def test_full_disk_writes_answer_507(tmp_path: Path) -> None:
    app = app_with_failing_writes(tmp_path / "db.sqlite3")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/file", "/record"):
            response = await client.post(path)
            assert response.status_code == 507, response.text
            assert response.json() == {"detail": OUT_OF_STORAGE, "code": "insufficient_storage"}
        other = await client.post("/missing")  # any other OSError stays a server error
        assert other.status_code == 500, other.text
        assert "Something went wrong on the server" in other.json()["detail"]


async def test_a_contact_message_that_cannot_be_stored_is_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    await store.open()
    try:
        outbox = Outbox(store.messages, None, Settings(data_dir=tmp_path))
        service = ContactService(outbox, per_hour=5, disk=DiskGuard(tmp_path, 0))
        stored = await service.submit(FORM, "198.51.100.7")
        assert stored.id
        await store.db.changed("VACUUM")  # no free pages left by the migrations' drops
        ((pages,),) = await store.db.rows("PRAGMA page_count")
        await store.db.setting(f"max_page_count = {pages}")  # the store is full
        big = dataclasses.replace(FORM, message="x" * 9000)
        with pytest.raises(InsufficientStorage) as refused:
            await service.submit(big, "198.51.100.7")
        assert "your message could not be stored" in refused.value.message
        assert (await store.messages.page(0, 10)).count == 1  # nothing half stored

        below_reserve = ContactService(outbox, per_hour=5, disk=DiskGuard(tmp_path, 1 << 62))
        with pytest.raises(InsufficientStorage):
            await below_reserve.submit(FORM, "198.51.100.8")
    finally:
        await store.close()
