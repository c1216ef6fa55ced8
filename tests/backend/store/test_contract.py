"""The storage contract (modelgallery.store.base), run against SQLite and MongoDB alike."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError

from modelgallery.store.base import DuplicateError, Store
from modelgallery.store.mongo import INDEXES as MONGO_INDEXES
from modelgallery.store.mongo import MongoStore
from modelgallery.store.records import (
    Artifact,
    AuditEntry,
    ContactMessage,
    DeliveryState,
    InputFile,
    Job,
    JobQuery,
    JobSort,
    JobStatus,
    Role,
    Session,
    Timings,
    User,
)
from modelgallery.store.sqlite import MIGRATIONS, SCHEMA_VERSION, SqliteStore, ts
from tests.support.mongo import MongoTestServer

# Whole milliseconds: what both backends keep, so records built from it round-trip unchanged.
T0 = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=UTC)


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def user(email: str, *, at: float = 0, role: Role = Role.user) -> User:
    return User(email=email, password_hash="hash", role=role, created_at=minutes(at))


def inputs(*names: str) -> list[InputFile]:
    return [
        InputFile(name=n, stored=f"{i}.bin", size=10 + i, sha256="0" * 64, media_type="image/png")
        for i, n in enumerate(names)
    ]


def job(
    job_id: str,
    *,
    at: float,
    model: str = "yolo",
    status: JobStatus = JobStatus.queued,
    user_id: str | None = None,
    email: str | None = None,
    names: Iterable[str] = (),
    took_ms: float | None = None,
) -> Job:
    created = minutes(at)
    finished = None if took_ms is None else created + timedelta(milliseconds=took_ms)
    return Job(
        id=job_id,
        model=model,
        status=status,
        user_id=user_id,
        user_email=email,
        inputs=inputs(*names),
        timings=Timings(created=created, finished=finished),
    )


def ids(records: Iterable[Any]) -> list[str]:
    return [r.id for r in records]


def assert_utc(value: Any) -> None:
    """Every datetime anywhere in a record is timezone-aware UTC."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0), value
    elif isinstance(value, BaseModel):
        for _, field in value:
            assert_utc(field)
    elif isinstance(value, list):
        for item in value:
            assert_utc(item)


# --- users ------------------------------------------------------------------------------


async def test_user_round_trip_and_email_lookup(store: Store) -> None:
    alice = User(
        email="Alice@Example.com",
        name="Alice",
        password_hash="argon2$x",
        role=Role.admin,
        created_at=T0,
        last_login_at=minutes(5),
        disabled=True,
    )
    created = await store.users.create(alice)
    assert created == alice.model_copy(update={"email": "alice@example.com"})
    assert await store.users.get(alice.id) == created
    assert await store.users.get_by_email("ALICE@example.COM") == created
    assert await store.users.get_by_email("bob@example.com") is None
    assert await store.users.get("missing") is None
    assert_utc(await store.users.get(alice.id))


async def test_user_email_is_unique_case_insensitively(store: Store) -> None:
    await store.users.create(user("carol@example.com"))
    with pytest.raises(DuplicateError):
        await store.users.create(user("carol@example.com"))
    with pytest.raises(DuplicateError):
        await store.users.create(user("Carol@EXAMPLE.com"))
    assert await store.users.count() == 1


async def test_user_update(store: Store) -> None:
    dave = await store.users.create(user("dave@example.com"))
    erin = await store.users.create(user("erin@example.com"))

    updated = await store.users.update(
        dave.id, {"name": "Dave", "last_login_at": minutes(1), "role": Role.admin}
    )
    assert updated is not None
    assert (updated.name, updated.last_login_at, updated.role) == ("Dave", minutes(1), Role.admin)
    assert await store.users.get(dave.id) == updated
    assert await store.users.update("missing", {"name": "x"}) is None

    moved = await store.users.update(dave.id, {"email": "Dave@New.example"})
    assert moved is not None and moved.email == "dave@new.example"
    assert await store.users.get_by_email("DAVE@new.example") == moved
    with pytest.raises(DuplicateError):
        await store.users.update(dave.id, {"email": "ERIN@example.com"})
    assert await store.users.get(erin.id) == erin


async def test_user_conditional_update_and_delete(store: Store) -> None:
    frank = await store.users.create(user("frank@example.com"))

    async def set_hash(new: str, was: str) -> User | None:
        # A compare-and-set: only while the field still holds the value given.
        changes, only_if = {"password_hash": new}, {"password_hash": was}
        return await store.users.update(frank.id, changes, only_if=only_if)

    assert await set_hash("b", was="x") is None
    changed = await set_hash("b", was="hash")
    assert changed is not None and changed.password_hash == "b"
    assert await set_hash("c", was="hash") is None
    with pytest.raises(ValueError):
        await store.users.update(frank.id, {"name": "F"}, only_if={"no_such_field": "x"})
    assert await store.users.delete(frank.id) is True
    assert await store.users.delete(frank.id) is False
    assert await store.users.get(frank.id) is None
    assert await store.users.get_by_email("frank@example.com") is None


async def test_user_list_and_count(store: Store) -> None:
    made = [
        await store.users.create(user(f"u{i}@example.com", at=i, role=role))
        for i, role in enumerate([Role.user, Role.admin, Role.user, Role.user, Role.admin])
    ]
    newest_first = list(reversed(ids(made)))

    page = await store.users.page()
    assert (ids(page.data), page.count) == (newest_first, 5)
    page = await store.users.page(offset=1, limit=2)
    assert (ids(page.data), page.count) == (newest_first[1:3], 5)
    assert (await store.users.page(offset=10)).data == []

    assert await store.users.count() == 5
    assert await store.users.count(Role.admin) == 2
    assert await store.users.count(Role.user) == 3


# --- jobs: single records ------------------------------------------------------------------


def full_job() -> Job:
    return Job(
        model="yolov8n",
        user_id="user-1",
        user_email="ann@example.com",
        status=JobStatus.succeeded,
        progress=0.30000000000000004,
        message="done ✓",
        inputs=inputs("street.jpg", "Ünïcode name (2).png"),
        params={"conf": 0.25, "classes": [0, 2], "tile": None, "opts": {"tta": True}},
        artifacts=[
            Artifact(name="annotated.jpg", media_type="image/jpeg", role="annotated", size=1234),
            Artifact(name="result.json", media_type="application/json", role="data"),
        ],
        result={
            "detections": [{"label": "car", "score": 0.91, "box": [1.5, 2, 30, 40.25]}],
            "count": 1,
            "empty": {},
            "nested": {"list": [[1, 2], [3]], "flag": False, "none": None},
        },
        timings=Timings(created=T0, started=minutes(0.5), finished=minutes(1.25), model_ms=123.456),
        error=None,
        worker="worker-7",
        attempts=2,
    )


async def test_job_round_trip_is_exact(store: Store) -> None:
    original = full_job()
    created = await store.jobs.create(original)
    loaded = await store.jobs.get(original.id)
    assert loaded is not None
    for field in Job.model_fields:
        assert getattr(loaded, field) == getattr(original, field), field
        assert getattr(created, field) == getattr(original, field), field
    assert type(loaded.status) is JobStatus
    assert type(loaded.inputs[0]) is InputFile and type(loaded.artifacts[0]) is Artifact
    assert type(loaded.progress) is float and type(loaded.result["count"]) is int
    assert loaded.timings.total_ms == 75_000
    assert_utc(loaded)
    assert await store.jobs.get("missing") is None


async def test_datetimes_are_kept_to_the_millisecond(store: Store) -> None:
    precise = datetime(2024, 5, 1, 12, 0, 0, 123_987, tzinfo=UTC)
    created = await store.jobs.create(
        job("j1", at=0).model_copy(
            update={
                "timings": Timings(created=precise, finished=precise + timedelta(microseconds=2500))
            }
        )
    )
    assert created.timings.created == precise.replace(microsecond=123_000)
    assert created.timings.finished == precise.replace(microsecond=126_000)
    assert created.timings.total_ms == 3.0
    assert await store.jobs.get("j1") == created
    rows = await store.jobs.stat_rows(None, None)
    assert [(r.created, r.total_ms) for r in rows] == [(created.timings.created, 3.0)]


async def test_job_update(store: Store) -> None:
    await store.jobs.create(job("j1", at=0))
    finished = Timings(created=T0, started=minutes(1), finished=minutes(2), model_ms=9.5)

    updated = await store.jobs.update(
        "j1",
        {
            "status": JobStatus.succeeded,
            "progress": 1,
            "timings": finished,
            "artifacts": [Artifact(name="a.png", media_type="image/png", role="preview")],
            "result": {"labels": ["cat"]},
            "message": "ok",
        },
    )
    assert updated is not None
    assert updated.status is JobStatus.succeeded and updated.progress == 1.0
    assert updated.timings == finished and updated.result == {"labels": ["cat"]}
    assert updated.artifacts[0].name == "a.png" and updated.message == "ok"
    assert await store.jobs.get("j1") == updated
    assert await store.jobs.update("missing", {"message": "x"}) is None

    # Plain dicts work as well as models, and None clears a field.
    again = await store.jobs.update("j1", {"timings": finished.model_dump(), "result": None})
    assert again is not None and again.timings == finished and again.result is None

    with pytest.raises(ValueError):
        await store.jobs.update("j1", {"no_such_field": 1})
    with pytest.raises(ValueError):
        await store.jobs.update("j1", {"status": "exploded"})


async def test_job_update_only_if_status(store: Store) -> None:
    await store.jobs.create(job("j1", at=0))

    claimed = await store.jobs.update(
        "j1", {"status": JobStatus.running, "worker": "w1"}, only_if_status=[JobStatus.queued]
    )
    assert claimed is not None and (claimed.status, claimed.worker) == (JobStatus.running, "w1")

    # A second claim loses: the job is no longer queued, and nothing changes.
    lost = await store.jobs.update(
        "j1", {"status": JobStatus.running, "worker": "w2"}, only_if_status={JobStatus.queued}
    )
    assert lost is None
    assert (await store.jobs.get("j1")) == claimed

    done = await store.jobs.update(
        "j1", {"status": JobStatus.cancelled}, only_if_status=(JobStatus.queued, JobStatus.running)
    )
    assert done is not None and done.status is JobStatus.cancelled
    assert await store.jobs.update("j1", {}, only_if_status=[JobStatus.running]) is None
    assert await store.jobs.update("j1", {}, only_if_status=[JobStatus.cancelled]) == done
    assert await store.jobs.update("j1", {"message": "x"}, only_if_status=[]) is None
    assert await store.jobs.update("missing", {"message": "x"}, [JobStatus.queued]) is None


async def test_only_one_of_concurrent_claims_wins(store: Store) -> None:
    await store.jobs.create(job("j1", at=0))
    results = await asyncio.gather(
        *(
            store.jobs.update(
                "j1",
                {"status": JobStatus.running, "worker": f"w{i}"},
                only_if_status=[JobStatus.queued],
            )
            for i in range(8)
        )
    )
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert await store.jobs.get("j1") == winners[0]


async def test_job_delete(store: Store) -> None:
    await store.jobs.create(job("j1", at=0))
    await store.jobs.create(job("j2", at=1))
    assert await store.jobs.delete("j1") is True
    assert await store.jobs.delete("j1") is False
    assert await store.jobs.get("j1") is None
    assert ids((await store.jobs.query(JobQuery())).data) == ["j2"]


async def test_job_ids_are_unique(store: Store) -> None:
    await store.jobs.create(job("j1", at=0))
    with pytest.raises(DuplicateError):
        await store.jobs.create(job("j1", at=1))


# --- jobs: queries -------------------------------------------------------------------------

ANN = ("u-ann", "ann@example.com")
BOB = ("u-bob", "Bob@ExampleXcom.org")  # "example.com" as an unescaped regex would match it


def dashboard_jobs() -> list[Job]:
    def j(job_id: str, at: float, who: tuple[str, str] | None, **kw: Any) -> Job:
        uid, email = who or (None, None)
        return job(job_id, at=at, user_id=uid, email=email, **kw)

    return [
        j("j01", 0, ANN, model="yolo", names=["Street.jpg", "my_CAT.png"], took_ms=1500),
        j("j02", 1, BOB, model="sam", status=JobStatus.running, names=["zebra.png"]),
        j("j03", 2, None, model="Detr", status=JobStatus.failed, names=["a+b (1).png"], took_ms=90),
        j("j04", 2, ANN, model="sam", status=JobStatus.succeeded, took_ms=1500),
        j("j05", 3, BOB, model="yolo", names=["Apple.JPG"], took_ms=20_000),
        j("j06", 4, ANN, model="yolo", status=JobStatus.cancelled, names=["cat.gif", "dog.gif"]),
        j("j07", 5, None, model="detr", status=JobStatus.succeeded, names=["x.png"], took_ms=5),
        j("j08", 6, BOB, model="sam", status=JobStatus.running, names=["ab (1).png"]),
    ]


@pytest.fixture
async def dashboard(store: Store) -> list[Job]:
    for record in dashboard_jobs():
        await store.jobs.create(record)
    return dashboard_jobs()


async def matching(store: Store, **query: Any) -> set[str]:
    page = await store.jobs.query(JobQuery(limit=500, **query))
    assert page.count == len(page.data)
    return set(ids(page.data))


async def test_query_filters(store: Store, dashboard: list[Job]) -> None:
    assert await matching(store) == set(ids(dashboard))
    assert await matching(store, model="sam") == {"j02", "j04", "j08"}
    assert await matching(store, model="detr") == {"j07"}  # models match exactly
    assert await matching(store, user_id="u-bob") == {"j02", "j05", "j08"}
    assert await matching(store, user="EXAMPLE.com") == {"j01", "j04", "j06"}
    assert await matching(store, user="bob@") == {"j02", "j05", "j08"}
    assert await matching(store, status=JobStatus.running) == {"j02", "j08"}
    assert await matching(store, status=JobStatus.failed) == {"j03"}
    # any input's name counts, not only the first's
    assert await matching(store, name="CAT") == {"j01", "j06"}
    assert await matching(store, name="dog") == {"j06"}
    assert await matching(store, name="a+b (1)") == {"j03"}  # regex characters are literal
    assert await matching(store, name=".JPG") == {"j01", "j05"}
    assert await matching(store, name="nothing") == set()


async def test_query_created_range(store: Store, dashboard: list[Job]) -> None:
    assert await matching(store, since=minutes(2)) == {"j03", "j04", "j05", "j06", "j07", "j08"}
    assert await matching(store, until=minutes(2)) == {"j01", "j02"}
    assert await matching(store, since=minutes(2), until=minutes(4)) == {"j03", "j04", "j05"}
    assert await matching(store, since=minutes(2.001), until=minutes(4.001)) == {"j05", "j06"}
    # Range bounds in another time zone mean the same instant.
    elsewhere = minutes(2).astimezone(ZoneInfo("Asia/Kolkata"))
    assert await matching(store, until=elsewhere) == {"j01", "j02"}


async def test_query_combined_filters(store: Store, dashboard: list[Job]) -> None:
    assert await matching(store, model="yolo", user_id="u-ann") == {"j01", "j06"}
    assert await matching(store, model="yolo", user="ann", name="cat", since=minutes(1)) == {"j06"}
    assert await matching(store, status=JobStatus.running, user="example.com") == set()


def expected_order(jobs: list[Job], sort: JobSort, descending: bool) -> list[str]:
    """The contract's order, spelled out: ties by id, missing values sort lowest, and for
    `duration` unfinished jobs last in both directions."""
    value: Callable[[Job], Any] = {
        JobSort.created: lambda j: j.timings.created,
        JobSort.model: lambda j: j.model,
        JobSort.status: lambda j: j.status.value,
        JobSort.user: lambda j: j.user_email,
        JobSort.name: lambda j: j.inputs[0].name if j.inputs else None,
        JobSort.duration: lambda j: j.timings.total_ms,
    }[sort]

    def key(j: Job) -> tuple[Any, ...]:
        v = value(j)
        return (v is not None, v if v is not None else 0, j.id)

    if sort is JobSort.duration:
        done = [j for j in jobs if j.timings.finished is not None]
        running = [j for j in jobs if j.timings.finished is None]
        return ids(sorted(done, key=key, reverse=descending)) + ids(
            sorted(running, key=lambda j: j.id, reverse=descending)
        )
    return ids(sorted(jobs, key=key, reverse=descending))


@pytest.mark.parametrize("descending", [True, False], ids=["desc", "asc"])
@pytest.mark.parametrize("sort", list(JobSort))
async def test_query_sort(
    store: Store, dashboard: list[Job], sort: JobSort, descending: bool
) -> None:
    page = await store.jobs.query(JobQuery(sort=sort, descending=descending))
    assert ids(page.data) == expected_order(dashboard, sort, descending)


async def test_query_sort_spot_checks(store: Store, dashboard: list[Job]) -> None:
    # A few orders written out by hand, so expected_order() is not the only witness.
    async def order(sort: JobSort, descending: bool) -> list[str]:
        return ids((await store.jobs.query(JobQuery(sort=sort, descending=descending))).data)

    assert (await order(JobSort.created, True))[:3] == ["j08", "j07", "j06"]
    assert (await order(JobSort.created, False))[2:4] == ["j03", "j04"]  # same time: by id
    # finished shortest first (ties by id), then the unfinished, by id
    up = ["j07", "j03", "j01", "j04", "j05", "j02", "j06", "j08"]
    assert await order(JobSort.duration, False) == up
    # finished longest first (ties by id, descending), then the unfinished, by id descending
    down = ["j05", "j04", "j01", "j03", "j07", "j08", "j06", "j02"]
    assert await order(JobSort.duration, True) == down


async def test_query_pagination(store: Store, dashboard: list[Job]) -> None:
    everything = expected_order(dashboard, JobSort.created, True)
    seen: list[str] = []
    for offset in range(0, 10, 3):
        page = await store.jobs.query(JobQuery(offset=offset, limit=3))
        assert page.count == 8
        seen += ids(page.data)
    assert seen == everything

    page = await store.jobs.query(
        JobQuery(model="yolo", sort=JobSort.duration, descending=False, offset=1, limit=1)
    )
    assert (ids(page.data), page.count) == (["j05"], 3)
    page = await store.jobs.query(JobQuery(offset=100))
    assert (page.data, page.count) == ([], 8)


async def test_with_status(store: Store, dashboard: list[Job]) -> None:
    active = await store.jobs.with_status([JobStatus.queued, JobStatus.running])
    assert ids(active) == ["j01", "j02", "j05", "j08"]  # oldest first
    assert ids(await store.jobs.with_status({JobStatus.succeeded})) == ["j04", "j07"]
    assert await store.jobs.with_status([]) == []


async def test_stat_rows(store: Store, dashboard: list[Job]) -> None:
    await store.jobs.update(
        "j04",
        {
            "timings": Timings(
                created=minutes(2), finished=minutes(2) + timedelta(seconds=2), model_ms=42.0
            )
        },
    )
    rows = await store.jobs.stat_rows(minutes(2), minutes(5))
    by_created = sorted(rows, key=lambda r: (r.created, r.model, r.status))
    assert [(r.model, r.status, r.created, r.total_ms, r.model_ms) for r in by_created] == [
        ("Detr", JobStatus.failed, minutes(2), 90.0, None),
        ("sam", JobStatus.succeeded, minutes(2), 2000.0, 42.0),
        ("yolo", JobStatus.queued, minutes(3), 20_000.0, None),
        ("yolo", JobStatus.cancelled, minutes(4), None, None),
    ]
    assert len(await store.jobs.stat_rows(None, None)) == 8
    assert len(await store.jobs.stat_rows(minutes(5), None)) == 2
    assert len(await store.jobs.stat_rows(None, minutes(1))) == 1
    for row in rows:
        assert_utc(row)


async def test_models_in_use(store: Store) -> None:
    assert await store.jobs.models_in_use() == []
    for record in dashboard_jobs():
        await store.jobs.create(record)
    assert sorted(await store.jobs.models_in_use()) == ["Detr", "detr", "sam", "yolo"]


async def test_expirable_and_storage(store: Store) -> None:
    """Retention: ended, unpinned jobs with their files, oldest first; storage per model."""
    done = JobStatus.succeeded
    for record in (
        job("old", at=0, status=done, names=["a.png"], took_ms=10),
        job("older", at=-5, status=JobStatus.failed, names=["b.png", "c.png"], took_ms=10),
        job("pinned", at=0, status=done, names=["d.png"], took_ms=10),
        job("expired", at=0, status=done, names=["e.png"], took_ms=10),
        job("running", at=0, status=JobStatus.running, names=["f.png"]),
        job("recent", at=60, status=done, names=["g.png"], took_ms=10),
        job("other", at=0, model="sam", status=done, names=["h.png"], took_ms=10),
    ):
        await store.jobs.create(record)
    await store.jobs.update("pinned", {"pinned": True})
    await store.jobs.update("expired", {"files_expired_at": minutes(30)})
    assert ids(await store.jobs.expirable("yolo", minutes(30), 10)) == ["older", "old"]
    assert ids(await store.jobs.expirable("yolo", minutes(30), 1)) == ["older"]
    assert await store.jobs.expirable("yolo", minutes(-10), 10) == []
    storage = {s.model: (s.jobs, s.bytes) for s in await store.jobs.storage()}
    # inputs() sizes are 10, 11, ... by position; "expired" is left out
    assert storage == {"yolo": (5, 10 + 10 + 11 + 10 + 10 + 10), "sam": (1, 10)}


async def test_sqlite_migrates_a_first_version_file(tmp_path: Path) -> None:
    """A database written before retention opens with its jobs unpinned and unexpired."""
    path = tmp_path / "v1.sqlite"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    record = job("0" * 32, at=0, status=JobStatus.succeeded, took_ms=5)
    data = record.model_dump_json(exclude={"pinned", "files_expired_at", "files_purged"})
    db.execute(
        "INSERT INTO jobs (id, model, status, created, finished, data) VALUES (?, ?, ?, ?, ?, ?)",
        (record.id, record.model, "succeeded", ts(minutes(0)), ts(minutes(0)), data),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    store = SqliteStore(path)
    await store.open()
    try:
        loaded = await store.jobs.get(record.id)
        assert loaded is not None and not loaded.pinned and loaded.files_expired_at is None
        assert ids(await store.jobs.expirable("yolo", minutes(1), 10)) == [record.id]
    finally:
        await store.close()


async def test_updates_keep_queries_in_step(store: Store) -> None:
    """Fields that queries filter or sort on follow updates."""
    await store.jobs.create(job("j1", at=0, names=["old.png"]))
    await store.jobs.create(job("j2", at=1, names=["b.png"], took_ms=10))
    await store.jobs.update(
        "j1",
        {
            "inputs": inputs("a.png", "new.png"),
            "model": "sam",
            "user_id": "u9",
            "user_email": "z@example.com",
            "status": JobStatus.succeeded,
            "timings": Timings(created=minutes(5), finished=minutes(5.5)),
        },
    )
    assert await matching(store, name="new") == {"j1"}
    assert await matching(store, name="old") == set()
    assert await matching(store, model="sam", user_id="u9", user="Z@") == {"j1"}
    assert await matching(store, status=JobStatus.succeeded, since=minutes(4)) == {"j1"}
    for sort, first in [(JobSort.name, "j1"), (JobSort.duration, "j2"), (JobSort.created, "j1")]:
        page = await store.jobs.query(JobQuery(sort=sort, descending=sort is JobSort.created))
        assert page.data[0].id == first, sort


# --- contact messages ----------------------------------------------------------------------


def message(msg_id: str, at: float, **kw: Any) -> ContactMessage:
    return ContactMessage(
        id=msg_id,
        name="Sam",
        email="sam@example.com",
        subject="Hello",
        message="Hi there",
        created_at=minutes(at),
        **kw,
    )


async def test_message_create_get_update_list(store: Store) -> None:
    first = message("m1", 0, client="203.0.113.9")
    assert await store.messages.create(first) == first
    assert await store.messages.get("m1") == first
    assert await store.messages.get("missing") is None
    for i in range(2, 5):
        await store.messages.create(message(f"m{i}", i))

    sent = await store.messages.update(
        "m1", {"delivery": DeliveryState.sent, "attempts": 1, "sent_at": minutes(1)}
    )
    assert sent is not None
    assert (sent.delivery, sent.attempts, sent.sent_at) == (DeliveryState.sent, 1, minutes(1))
    assert await store.messages.get("m1") == sent
    assert await store.messages.update("missing", {"attempts": 1}) is None

    page = await store.messages.page()
    assert (ids(page.data), page.count) == (["m4", "m3", "m2", "m1"], 4)
    page = await store.messages.page(offset=2, limit=1)
    assert (ids(page.data), page.count) == (["m2"], 4)
    assert_utc(page.data[0])


async def test_messages_due(store: Store) -> None:
    now = minutes(10)
    for record in [
        message("m-retry-due", 1, delivery=DeliveryState.retrying, next_attempt_at=minutes(9)),
        message("m-pending", 2),
        message("m-retry-later", 3, delivery=DeliveryState.retrying, next_attempt_at=minutes(11)),
        message("m-sent", 4, delivery=DeliveryState.sent, sent_at=minutes(4)),
        message("m-unconfigured", 5, delivery=DeliveryState.not_configured),
        message("m-pending-now", 6, next_attempt_at=now),
        message("m-pending-later", 7, next_attempt_at=minutes(12)),
        message("m-retry-nodate", 8, delivery=DeliveryState.retrying),
    ]:
        await store.messages.create(record)

    due = ["m-retry-due", "m-pending", "m-pending-now", "m-retry-nodate"]
    assert ids(await store.messages.due(now)) == due
    assert ids(await store.messages.due(now, limit=2)) == due[:2]
    assert ids(await store.messages.due(minutes(0))) == ["m-pending", "m-retry-nodate"]

    await store.messages.update("m-pending", {"delivery": DeliveryState.sent})
    assert "m-pending" not in ids(await store.messages.due(now))


async def test_message_claim_is_a_compare_and_set(store: Store) -> None:
    now = minutes(10)
    for record in [
        message("m-pending", 1),
        message("m-later", 2, delivery=DeliveryState.retrying, next_attempt_at=minutes(11)),
        message("m-sent", 3, delivery=DeliveryState.sent, sent_at=minutes(4)),
    ]:
        await store.messages.create(record)
    claims = store.messages

    claimed = await claims.claim("m-pending", "a", now, minutes(12))
    assert claimed is not None and (claimed.claimed_by, claimed.claimed_until) == ("a", minutes(12))
    assert await claims.claim("m-pending", "b", now, minutes(12)) is None  # a holds it
    assert "m-pending" not in ids(await claims.due(now))
    assert (await claims.claim("m-pending", "a", now, minutes(13))) is not None  # renewed
    # Not due, sent or unknown: nobody claims it.
    for msg_id in ("m-later", "m-sent", "m-unknown"):
        assert await claims.claim(msg_id, "a", now, minutes(12)) is None
    # An expired claim goes to whoever asks next.
    assert ids(await claims.due(minutes(13))) == ["m-pending", "m-later"]
    taken = await claims.claim("m-pending", "b", minutes(13), minutes(15))
    assert taken is not None and taken.claimed_by == "b"
    # Released with the outcome, it is due again (or sent).
    await claims.update("m-pending", {"claimed_by": None, "claimed_until": None})
    assert await claims.claim("m-pending", "a", now, minutes(12)) is not None


# --- audit ---------------------------------------------------------------------------------


async def test_audit_list(store: Store) -> None:
    actions = [
        "prediction.delete",
        "model.reload",
        "prediction.create",
        "predictionx.delete",
        "prediction",
        "user.role.set",
        "userXrole.set",
    ]
    for i, action in enumerate(actions):
        entry = AuditEntry(
            id=f"a{i}",
            at=minutes(i),
            actor_id="u-1" if i % 2 else None,
            actor_email="admin@example.com" if i % 2 else None,
            action=action,
            target=f"t{i}",
            details={"n": i, "why": ["a", {"b": None}]},
        )
        assert await store.audit.add(entry) == entry

    async def listed(**kw: Any) -> tuple[list[str], int]:
        page = await store.audit.page(**kw)
        return ids(page.data), page.count

    assert await listed() == (["a6", "a5", "a4", "a3", "a2", "a1", "a0"], 7)
    assert await listed(offset=1, limit=2) == (["a5", "a4"], 7)
    assert await listed(action="prediction.") == (["a2", "a0"], 2)
    assert await listed(action="prediction") == (["a4"], 1)
    assert await listed(action="model.reload") == (["a1"], 1)
    assert await listed(action="user.role.") == (["a5"], 1)  # "." is not a wildcard
    assert await listed(action="user.") == (["a5"], 1)
    assert await listed(action="prediction.", limit=1) == (["a2"], 2)
    assert await listed(action="nothing.") == ([], 0)

    entry = (await store.audit.page(action="model.reload")).data[0]
    assert entry.details == {"n": 1, "why": ["a", {"b": None}]}
    assert entry.actor_email == "admin@example.com"
    assert_utc(entry)


# --- sessions ------------------------------------------------------------------------------


def session(session_id: str, user_id: str, *, at: float = 0, hours: float = 1) -> Session:
    now = datetime.now(UTC).replace(microsecond=0)
    return Session(
        id=session_id,
        user_id=user_id,
        created_at=now + timedelta(minutes=at),
        expires_at=now + timedelta(hours=hours),
        user_agent="Firefox",
        client="203.0.113.5",
    )


async def test_sessions(store: Store) -> None:
    first = await store.sessions.create(session("s1", "u1", at=0))
    second = await store.sessions.create(session("s2", "u1", at=1))
    await store.sessions.create(session("s3", "u2"))
    await store.sessions.create(session("old", "u1", hours=-1))  # already expired
    assert await store.sessions.get("s1") == first
    assert_utc(first)
    assert await store.sessions.get("old") is None
    assert await store.sessions.get("missing") is None
    assert ids(await store.sessions.of_user("u1")) == ["s2", "s1"]  # newest first

    seen = datetime.now(UTC).replace(microsecond=0)
    await store.sessions.touch("s2", seen)
    touched = await store.sessions.get("s2")
    assert touched == second.model_copy(update={"last_seen_at": seen})

    assert await store.sessions.delete("s3", "u1") is False  # another user's
    assert await store.sessions.delete("s1", "u1") is True
    assert await store.sessions.delete("s1") is False
    await store.sessions.create(session("s4", "u1"))
    assert await store.sessions.delete_user("u1", keep="s4") == 1
    assert ids(await store.sessions.of_user("u1")) == ["s4"]
    assert await store.sessions.delete_user("u1") == 1
    assert await store.sessions.of_user("u1") == []
    assert ids(await store.sessions.of_user("u2")) == ["s3"]


# --- the store itself ----------------------------------------------------------------------


async def test_open_twice_ping_close(store: Store) -> None:
    assert store.kind in ("sqlite", "mongodb")
    await store.users.create(user("x@example.com"))
    await store.open()
    await store.ping()
    assert await store.users.count() == 1
    await store.close()
    with pytest.raises(RuntimeError):
        await store.ping()
    await store.close()  # closing twice is harmless too
    await store.open()  # and it can be opened again
    assert await store.users.count() == 1


async def test_reopening_keeps_data(make_store: Callable[[], Store]) -> None:
    first = make_store()
    await first.open()
    saved = await first.jobs.create(full_job())
    await first.users.create(user("keep@example.com"))
    await first.sessions.create(session("jti", "u1"))
    await first.close()

    second = make_store()
    await second.open()  # indexes/schema already exist: must not fail
    try:
        assert await second.jobs.get(saved.id) == saved
        assert (await second.users.get_by_email("KEEP@example.com")) is not None
        assert await second.sessions.get("jti") is not None
        with pytest.raises(DuplicateError):
            await second.users.create(user("keep@example.com"))
    finally:
        await second.close()


# --- SQLite only ---------------------------------------------------------------------------


async def test_sqlite_file_setup(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "app.sqlite"
    store = SqliteStore(path)
    await store.open()
    try:
        assert path.exists()
        db = store.db
        assert (await db.rows("PRAGMA journal_mode"))[0][0] == "wal"
        assert (await db.rows("PRAGMA foreign_keys"))[0][0] == 1
        assert (await db.short("PRAGMA foreign_keys"))[0][0] == 1
        assert (await db.rows("PRAGMA user_version"))[0][0] == SCHEMA_VERSION
        plan = await db.rows(
            "EXPLAIN QUERY PLAN SELECT data FROM jobs WHERE user_id = ? ORDER BY created DESC",
            ("u",),
        )
        assert "jobs_user_created" in str(plan)
    finally:
        await store.close()


async def test_sqlite_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    store = SqliteStore(path)
    await store.open()
    await store.db.changed(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    await store.close()
    with pytest.raises(RuntimeError, match="schema version"):
        await SqliteStore(path).open()


# --- MongoDB only: the indexes ---------------------------------------------------------------

INIT_INDEXES_JS = Path(__file__).resolve().parents[3] / "mongo-init" / "02-indexes.js"


def init_script_indexes() -> dict[str, list[dict[str, Any]]]:
    """The index table in mongo-init/02-indexes.js (a JSON object literal)."""
    text = INIT_INDEXES_JS.read_text()
    return json.loads(text.split("const INDEXES = ", 1)[1].split(";\n", 1)[0])


def test_init_script_creates_the_same_indexes_as_open() -> None:
    in_python = {
        collection: [
            {"key": list(m.document["key"].items())}
            | {k: v for k, v in m.document.items() if k not in ("key", "name")}
            for m in models
        ]
        for collection, models in MONGO_INDEXES.items()
    }
    in_script = {
        collection: [{**spec, "key": list(spec["key"].items())} for spec in specs]
        for collection, specs in init_script_indexes().items()
    }
    assert in_script == in_python


@pytest.mark.mongodb
async def test_mongo_open_on_a_database_set_up_by_the_init_script(
    mongo_server: MongoTestServer,
) -> None:
    assert mongo_server.uri is not None
    db_name = f"test_{uuid.uuid4().hex}"
    async with AsyncMongoClient(mongo_server.uri) as client:
        try:
            for collection, specs in init_script_indexes().items():
                for spec in specs:
                    options = {k: v for k, v in spec.items() if k != "key"}
                    await client[db_name][collection].create_index(
                        list(spec["key"].items()), **options
                    )
            store = MongoStore(mongo_server.uri, db_name)
            await store.open()
            await store.close()
            for collection, models in MONGO_INDEXES.items():
                info = await client[db_name][collection].index_information()
                assert {m.document["name"] for m in models} | {"_id_"} == set(info)
            users = await client[db_name]["users"].index_information()
            assert users["email_1"]["unique"] is True
            tokens = await client[db_name]["sessions"].index_information()
            assert tokens["expires_at_1"]["expireAfterSeconds"] == 0
            await client[db_name]["users"].insert_one({"email": "a"})
            with pytest.raises(DuplicateKeyError):
                await client[db_name]["users"].insert_one({"email": "a"})
        finally:
            await client.drop_database(db_name)
