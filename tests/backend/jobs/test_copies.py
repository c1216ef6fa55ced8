"""The sweep of an API replica's working copies (jobs/copies.py), with STORAGE_URL: on a real
SQLite store and real job folders whose files are in a real S3-compatible bucket (moto's
server), with a clock the test sets. Copies of deleted and expired jobs go, a young folder
without a record (an upload) stays, past the cap the least recently used copies of ended
jobs go first (a download makes a copy recent; every evicted copy is fetched again from
the bucket), and without STORAGE_URL nothing is ever swept."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelgallery.files import open_job_files
from modelgallery.files.storage import JobFiles
from modelgallery.jobs.lifecycle.copies import RECENT_S, UNRECORDED_GRACE_S, LocalCopies
from modelgallery.store.records import Job, JobStatus, new_id
from modelgallery.store.sqlite import SqliteStore
from tests.support.clock import START
from tests.support.s3_server import S3TestServer

DAY = 86_400.0
INPUT = "input-0.png"


class Clock:
    """Seconds since the epoch, where the test puts them."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def bucket() -> Iterator[S3TestServer]:
    with S3TestServer() as server:
        yield server


@pytest.fixture
def files(bucket: S3TestServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> JobFiles:
    """A replica's job files: its own folder, and a bucket prefix of this test's own."""
    for name, value in bucket.env.items():
        monkeypatch.setenv(name, value)
    shared = open_job_files(tmp_path / "jobs", bucket.url(tmp_path.name))
    assert shared.shared
    return shared


def use(files: JobFiles, job_id: str, when: float) -> None:
    """Give every part of the job's copy the modification time `when`."""
    folder = files.job_dir(job_id)
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (when, when), follow_symlinks=False)


async def copy_of(
    files: JobFiles,
    store: SqliteStore,
    used: float,
    status: JobStatus | None = JobStatus.succeeded,
    expired: bool = False,
    size: int = 1000,
) -> str:
    """A job whose input is in the bucket and in this replica's copy, last used at `used`;
    its record has `status` (None: no record)."""
    job_id = new_id()
    files.create(job_id)
    files.input_path(job_id, INPUT).write_bytes(os.urandom(size))
    await files.publish_inputs(job_id)
    if status is not None:
        expired_at = START if expired else None
        await store.jobs.create(
            Job(id=job_id, model="toy", status=status, files_expired_at=expired_at)
        )
    use(files, job_id, used)
    return job_id


def on_disk(files: JobFiles) -> set[str]:
    """The job ids with a copy on this machine; nothing else may be left in the folder."""
    names = {p.name for p in files.root.iterdir()}
    assert not [n for n in names if n.startswith(".")]  # nothing set aside is left
    return names


async def test_copies_of_deleted_and_expired_jobs_go_young_uploads_stay(
    files: JobFiles, sqlite_store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(time.time())
    now = clock.now
    expired = await copy_of(files, sqlite_store, now - 1, expired=True)  # however recent
    deleted = await copy_of(files, sqlite_store, now - UNRECORDED_GRACE_S - 1, status=None)
    upload = await copy_of(files, sqlite_store, now - UNRECORDED_GRACE_S + 60, status=None)
    # an upload still arriving: its folder is old, the file being written is not
    arriving = await copy_of(files, sqlite_store, now - DAY, status=None)
    part = files.input_dir(arriving) / "upload-0.part"
    part.write_bytes(b"x")
    os.utime(part, (now - 1, now - 1))
    kept = await copy_of(files, sqlite_store, now - DAY)
    sweep = LocalCopies(files, sqlite_store.jobs, cap_bytes=1_000_000, every_s=60, now=clock)

    with caplog.at_level(logging.INFO, logger="modelgallery.jobs.lifecycle.copies"):
        swept = await sweep.sweep()
    assert sorted(swept.removed) == sorted([expired, deleted]) and swept.evicted == []
    assert swept.freed_bytes == 2000 and swept.left_bytes == 3001 and swept.left_copies == 3
    assert on_disk(files) == {upload, arriving, kept}
    assert [r.getMessage() for r in caplog.records] == [
        "local copies: removed 2 of deleted or expired jobs and 0 least recently used "
        "(0.0 MB); 0.0 MB left in 3 (cap 1 MB)"
    ]

    clock.now += 2 * UNRECORDED_GRACE_S  # the uploads never got their records
    swept = await sweep.sweep()
    assert sorted(swept.removed) == sorted([upload, arriving])
    assert on_disk(files) == {kept}
    assert (await sweep.sweep()).removed == []  # nothing is removed twice


async def test_past_the_cap_the_least_recently_used_go_first(
    files: JobFiles, sqlite_store: SqliteStore
) -> None:
    real_now = time.time()
    running = await copy_of(files, sqlite_store, real_now - 5 * DAY, status=JobStatus.running)
    a, b, c, d = [
        await copy_of(files, sqlite_store, real_now - days * DAY) for days in (4, 3, 2, 1)
    ]
    contents = {job: files.input_path(job, INPUT).read_bytes() for job in (a, b, c, d)}

    # the oldest ended copy is downloaded: it becomes the most recently used
    assert await files.local_file(a, "input", INPUT) == files.input_path(a, INPUT)
    clock = Clock(time.time() + 2 * RECENT_S)  # nothing was used in the sweep's last minute
    sweep = LocalCopies(files, sqlite_store.jobs, cap_bytes=3500, every_s=60, now=clock)
    swept = await sweep.sweep()
    assert swept.removed == [] and swept.evicted == [b, c]  # least recently used first
    assert swept.left_bytes == 3000 and swept.left_copies == 3 and not swept.over_cap
    assert on_disk(files) == {running, a, d}  # a running job's copy is never evicted

    for job in (b, c):  # every evicted copy comes back from the bucket
        fetched = await files.local_file(job, "input", INPUT)
        assert fetched.read_bytes() == contents[job]
    assert on_disk(files) == {running, a, b, c, d}


async def test_the_cap_spares_copies_in_use_unfinished_or_unrecorded(
    files: JobFiles, sqlite_store: SqliteStore, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock(time.time())
    now = clock.now
    just_used = await copy_of(files, sqlite_store, now - RECENT_S / 2)
    unused = await copy_of(files, sqlite_store, now - RECENT_S - 1)
    queued = await copy_of(files, sqlite_store, now - DAY, status=JobStatus.queued)
    upload = await copy_of(files, sqlite_store, now - 60, status=None)
    sweep = LocalCopies(files, sqlite_store.jobs, cap_bytes=0, every_s=60, now=clock)

    with caplog.at_level(logging.INFO, logger="modelgallery.jobs.lifecycle.copies"):
        swept = await sweep.sweep()
    assert swept.evicted == [unused] and swept.removed == [] and swept.over_cap
    assert on_disk(files) == {just_used, queued, upload}
    line = caplog.records[-1].getMessage()
    assert line.endswith(
        "(cap 0 MB, still over it: the rest is in use, unfinished or not recorded yet)"
    )


async def test_a_download_marks_the_copy_used_without_changing_the_file(
    files: JobFiles, sqlite_store: SqliteStore
) -> None:
    long_ago = float(int(time.time() - DAY))  # whole seconds: compared exactly below
    job = await copy_of(files, sqlite_store, long_ago)
    path = await files.local_file(job, "input", INPUT)
    assert files.job_dir(job).stat().st_mtime > long_ago  # the folder: recently used
    assert path.stat().st_mtime == long_ago  # the file: its ETag and Last-Modified stay
    [copy] = files.local_copies()
    assert copy.job_id == job and copy.bytes == 1000 and copy.last_used > long_ago


async def test_nothing_is_swept_without_storage_url(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "app.sqlite")
    await store.open()
    try:
        files = JobFiles(tmp_path / "jobs")  # the folder is the storage itself
        long_ago = float(int(time.time() - 30 * DAY))  # whole seconds: compared exactly below
        jobs = []
        for status, expired in [(JobStatus.succeeded, False), (JobStatus.succeeded, True)]:
            job_id = new_id()
            files.create(job_id)
            files.input_path(job_id, INPUT).write_bytes(b"x" * 1000)
            expired_at = START if expired else None
            await store.jobs.create(
                Job(id=job_id, model="toy", status=status, files_expired_at=expired_at)
            )
            jobs.append(job_id)
        orphan = new_id()  # no record
        files.create(orphan)
        for job_id in [*jobs, orphan]:
            use(files, job_id, long_ago)

        sweep = LocalCopies(files, store.jobs, cap_bytes=0, every_s=60, now=time.time)
        sweep.start()
        assert not [t for t in asyncio.all_tasks() if t.get_name() == "local-copies"]
        swept = await sweep.sweep()
        assert swept.removed == [] and swept.evicted == [] and swept.freed_bytes == 0
        assert on_disk(files) == {*jobs, orphan}
        await files.local_file(jobs[0], "input", INPUT)  # no touch: nothing to keep fresh
        assert files.job_dir(jobs[0]).stat().st_mtime == long_ago
    finally:
        await store.close()


def test_copies_are_measured_without_following_links(tmp_path: Path) -> None:
    files = JobFiles(tmp_path / "jobs")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "big.bin").write_bytes(b"x" * 10_000)
    job = new_id()
    files.create(job)
    files.output_path(job, "result.json").write_bytes(b"{}")
    (files.output_dir(job) / "link.bin").symlink_to(outside / "big.bin")
    (files.output_dir(job) / "linked-dir").symlink_to(outside, target_is_directory=True)
    linked_job = new_id()  # a job id naming a link to a folder: no copy of this machine's
    (files.root / linked_job).symlink_to(outside, target_is_directory=True)
    (files.root / "not-a-job").mkdir()

    [copy] = files.local_copies()
    assert copy.job_id == job and copy.bytes == 2
    assert files.set_aside(linked_job) is None
    assert (outside / "big.bin").exists()
    aside = files.set_aside(job)
    assert aside is not None and aside.bytes == 2 and not files.job_dir(job).exists()
    files.empty_trash()
    assert sorted(p.name for p in files.root.iterdir()) == sorted([linked_job, "not-a-job"])
    assert (outside / "big.bin").read_bytes() == b"x" * 10_000  # never followed
    assert JobFiles(tmp_path / "missing").local_copies() == []
